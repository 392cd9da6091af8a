import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCommand } from './helpers/aws-cli.js';
import { makeHome, SCRIPT_PATH } from './helpers/setup-script.js';

const PLATFORM_ARN = 'arn:aws:iam::156214480941:user/cybersentriq-kms-connector';

// Usage errors are found before any AWS call, so these runs need neither a sandbox nor credentials.
async function runScript(args: string[], extraEnvironment: Record<string, string> = {}) {
  const environment: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: await makeHome(),
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    ...extraEnvironment,
  };
  return runCommand('bash', [SCRIPT_PATH, ...args], environment);
}

describe('setup script command line', () => {
  it('--help prints usage and exits 0', async () => {
    const result = await runScript(['--help']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Usage: cybersentriq-byok-setup\.sh --platform-principal-arn <arn>/);
    for (const flag of [
      '--key-id',
      '--key-alias',
      '--key-description',
      '--no-rotation',
      '--role-name',
      '--external-id',
      '--replace-external-id',
      '--region',
    ]) {
      expect(result.stdout).toContain(flag);
    }
    expect(result.stdout).toContain('Exit status:');
    expect(result.stdout).toMatch(/^ {2}3 +the role is configured but the end-to-end check failed/m);
  });

  it('-h prints usage and exits 0', async () => {
    const result = await runScript(['-h']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Usage:');
  });

  const invalidCases: Array<{ name: string; args: string[]; message: string }> = [
    { name: 'no options', args: [], message: 'missing required option --platform-principal-arn' },
    {
      name: 'unknown option',
      args: ['--platform-principal-arn', PLATFORM_ARN, '--bogus'],
      message: 'unknown option: --bogus',
    },
    {
      name: 'positional argument',
      args: ['--platform-principal-arn', PLATFORM_ARN, 'extra'],
      message: 'unexpected argument: extra',
    },
    {
      name: 'missing value',
      args: ['--platform-principal-arn', PLATFORM_ARN, '--region'],
      message: 'missing value for --region',
    },
    {
      name: 'empty value',
      args: ['--platform-principal-arn', PLATFORM_ARN, '--role-name='],
      message: 'empty value for --role-name',
    },
    {
      name: 'value for --no-rotation',
      args: ['--platform-principal-arn', PLATFORM_ARN, '--no-rotation=yes'],
      message: '--no-rotation takes no value',
    },
    {
      name: 'value for --replace-external-id',
      args: ['--platform-principal-arn', PLATFORM_ARN, '--replace-external-id=yes'],
      message: '--replace-external-id takes no value',
    },
    {
      name: 'platform ARN of a key',
      args: ['--platform-principal-arn', 'arn:aws:kms:us-east-1:156214480941:key/x'],
      message: 'invalid --platform-principal-arn',
    },
    {
      name: 'platform ARN short account',
      args: ['--platform-principal-arn', 'arn:aws:iam::15621448094:user/x'],
      message: 'invalid --platform-principal-arn',
    },
    {
      name: 'key ID not a UUID',
      args: ['--platform-principal-arn', PLATFORM_ARN, '--key-id', 'my-key'],
      message: "invalid --key-id 'my-key'",
    },
    {
      name: 'key ARN of another service',
      args: ['--platform-principal-arn', PLATFORM_ARN, '--key-id', 'arn:aws:s3:::bucket'],
      message: 'invalid --key-id',
    },
    {
      name: 'External ID not a UUID',
      args: ['--platform-principal-arn', PLATFORM_ARN, '--external-id', 'customer-42'],
      message: "invalid --external-id 'customer-42'",
    },
    {
      name: 'External ID inline form',
      args: ['--platform-principal-arn', PLATFORM_ARN, '--external-id=8f1e4c2b-7a3d'],
      message: "invalid --external-id '8f1e4c2b-7a3d'",
    },
    {
      name: 'region with spaces',
      args: ['--platform-principal-arn', PLATFORM_ARN, '--region', 'US East'],
      message: "invalid --region 'US East'",
    },
    {
      name: 'alias without prefix',
      args: ['--platform-principal-arn', PLATFORM_ARN, '--key-alias', 'cybersentriq'],
      message: "invalid --key-alias 'cybersentriq'",
    },
    {
      name: 'reserved alias',
      args: ['--platform-principal-arn', PLATFORM_ARN, '--key-alias', 'alias/aws/backup'],
      message: 'reserved for AWS managed keys',
    },
    {
      name: 'role name with slash',
      args: ['--platform-principal-arn', PLATFORM_ARN, '--role-name', 'path/Role'],
      message: "invalid --role-name 'path/Role'",
    },
    {
      name: 'role name too long',
      args: ['--platform-principal-arn', PLATFORM_ARN, '--role-name', 'R'.repeat(65)],
      message: 'invalid --role-name',
    },
  ];

  for (const { name, args, message } of invalidCases) {
    it(`rejects ${name} with exit 2`, async () => {
      const result = await runScript(args);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain('Usage: cybersentriq-byok-setup.sh');
    });
  }

  it('rejects a non-numeric verify timeout', async () => {
    const result = await runScript(['--platform-principal-arn', PLATFORM_ARN], {
      CYBERSENTRIQ_VERIFY_TIMEOUT: 'soon',
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("invalid CYBERSENTRIQ_VERIFY_TIMEOUT 'soon'");
  });

  it('rejects a run with no region', async () => {
    const result = await runScript(['--platform-principal-arn', PLATFORM_ARN], { AWS_DEFAULT_REGION: '' });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('no region: pass --region');
  });
});

function hasShellCheck(): boolean {
  try {
    execFileSync('shellcheck', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const shellCheckFound = hasShellCheck();
if (!shellCheckFound && process.env.CI === 'true') {
  throw new Error('missing tool for the setup script tests: shellcheck (apt-get install shellcheck)');
}

if (shellCheckFound) {
  describe('setup script lint', () => {
    it('passes shellcheck', () => {
      const output = execFileSync('shellcheck', ['--shell=bash', '--severity=style', SCRIPT_PATH], {
        encoding: 'utf8',
      });
      expect(output).toBe('');
    });
  });
} else {
  describe.skip('setup script lint (skipped: shellcheck not installed)', () => {
    it('passes shellcheck', () => {});
  });
}
