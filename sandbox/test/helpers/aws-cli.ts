import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Credentials, TestSandbox } from './sandbox-fixture.js';

export interface AwsCli {
  label: string;
  /** Path of the executable, or undefined when that major version is not installed. */
  path: string | undefined;
}

function versionOf(path: string): string | undefined {
  const result = spawnSync(path, ['--version'], {
    encoding: 'utf8',
    env: { ...process.env, HOME: tmpdir() },
  });
  if (result.status !== 0) return undefined;
  return `${result.stdout}${result.stderr}`.trim();
}

/** Finds an `aws` executable on PATH (and in /usr/bin) whose `--version` starts with `aws-cli/MAJOR.`. */
export function findAwsCli(major: 1 | 2): AwsCli {
  const candidates = [
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'aws')),
    '/usr/bin/aws',
  ];
  for (const candidate of [...new Set(candidates)]) {
    if (versionOf(candidate)?.startsWith(`aws-cli/${major}.`))
      return { label: `AWS CLI v${major}`, path: candidate };
  }
  return { label: `AWS CLI v${major}`, path: undefined };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Parsed JSON output, when the command printed any. */
  json?: Record<string, unknown>;
}

/**
 * Runs one CLI command against the sandbox with explicit endpoint, region and credentials, an empty HOME
 * and no config files, so no user configuration or default endpoint is ever used. The call is
 * asynchronous because the sandbox under test runs in this process.
 */
export function runCli(
  cli: AwsCli,
  sandbox: TestSandbox,
  credentials: Credentials,
  args: string[],
): Promise<CliResult> {
  const home = mkdtempSync(join(tmpdir(), 'redapp-awscli-home-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: sandbox.config.aws.region,
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  if (credentials.sessionToken) env.AWS_SESSION_TOKEN = credentials.sessionToken;
  const fullArgs = [...args, '--endpoint-url', sandbox.url, '--output', 'json', '--cli-read-timeout', '20'];
  return new Promise((resolve) => {
    execFile(cli.path!, fullArgs, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : 1;
      let json: Record<string, unknown> | undefined;
      if (stdout.trim().startsWith('{')) json = JSON.parse(stdout) as Record<string, unknown>;
      resolve({ code, stdout, stderr, json });
    });
  });
}
