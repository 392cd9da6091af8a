import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SandboxAws, SandboxCredentials } from './sandbox.js';

/** One AWS CLI under test: `path` is the executable that a test links as `aws` first on PATH. */
export interface AwsCli {
  name: 'v1' | 'v2';
  path: string;
  version: string;
}

const IN_CI = process.env.CI === 'true';

function readVersion(executable: string): string | undefined {
  try {
    return execFileSync(executable, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch {
    return undefined;
  }
}

/** Lists every `aws` executable on PATH (and Debian's /usr/bin/aws), with symlinks and pyenv shims resolved. */
function candidateExecutables(): string[] {
  const candidates = new Set<string>(['/usr/bin/aws']);
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir) candidates.add(path.join(dir, 'aws'));
  }
  try {
    // pyenv shims re-resolve the command by name on every call, so link the real executable instead.
    const real = execFileSync('pyenv', ['which', 'aws'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    candidates.add(real.trim());
  } catch {
    // No pyenv: the PATH entries are the executables themselves.
  }
  return [...candidates].filter((candidate) => !candidate.includes('/shims/'));
}

/** Finds AWS CLI v1 and v2. `missing` names the versions that were not found, with how to install them. */
export function findAwsClis(): { clis: AwsCli[]; missing: string[] } {
  const found = new Map<AwsCli['name'], AwsCli>();
  for (const executable of candidateExecutables()) {
    const version = readVersion(executable);
    const major = version?.match(/^aws-cli\/(\d+)\./)?.[1];
    const names: Record<string, AwsCli['name']> = { '1': 'v1', '2': 'v2' };
    const name = major === undefined ? undefined : names[major];
    if (version && name && !found.has(name)) found.set(name, { name, path: executable, version });
  }
  const missing = (['v1', 'v2'] as const)
    .filter((name) => !found.has(name))
    .map((name) =>
      name === 'v1'
        ? 'AWS CLI v1 (pip install awscli)'
        : 'AWS CLI v2 (apt-get install awscli, installs /usr/bin/aws)',
    );
  if (IN_CI && missing.length > 0) {
    throw new Error(`missing tool for the setup script tests: ${missing.join(', ')}`);
  }
  return { clis: [...found.values()].sort((a, b) => a.name.localeCompare(b.name)), missing };
}

/** Creates a directory holding `aws`, linked to the CLI under test, to put first on PATH. */
export async function makeAwsBinDir(cli: AwsCli): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `setup-bin-${cli.name}-`));
  await symlink(cli.path, path.join(dir, 'aws'));
  return dir;
}

/**
 * Creates a bin directory with only the commands the script needs, so that `uuidgen` is missing.
 * The AWS CLI executables start their interpreters by absolute path, so they need no PATH entries.
 */
export async function makeMinimalBinDir(cli: AwsCli): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `setup-minimal-${cli.name}-`));
  const commands = [
    'bash',
    'base64',
    'cat',
    'cut',
    'grep',
    'head',
    'mktemp',
    'paste',
    'rm',
    'sed',
    'sleep',
    'tail',
    'tr',
  ];
  await mkdir(dir, { recursive: true });
  for (const command of commands) {
    const target = execFileSync('bash', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
    await symlink(target, path.join(dir, command));
  }
  await symlink(cli.path, path.join(dir, 'aws'));
  return dir;
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment for an AWS CLI call against the sandbox with one principal's keys and nothing else. */
export function awsEnvironment(
  aws: SandboxAws,
  credentials: SandboxCredentials,
  home: string,
  pathPrefix: string,
): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {
    PATH: `${pathPrefix}${path.delimiter}${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: home,
    LANG: 'C.UTF-8',
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: aws.region,
    AWS_PAGER: '',
    // Keeps the CLI from reading any shared config or credentials outside the temp HOME.
    AWS_CONFIG_FILE: path.join(home, '.aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, '.aws', 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  if (credentials.sessionToken) environment.AWS_SESSION_TOKEN = credentials.sessionToken;
  return environment;
}

/** Runs the AWS CLI with --endpoint-url, because CLI v2.9 ignores AWS_ENDPOINT_URL. */
export function runAws(
  cli: AwsCli,
  aws: SandboxAws,
  credentials: SandboxCredentials,
  home: string,
  args: string[],
): Promise<CommandResult> {
  const environment = awsEnvironment(aws, credentials, home, path.dirname(cli.path));
  return runCommand(cli.path, ['--endpoint-url', aws.endpoint, ...args], environment);
}

/** Runs the AWS CLI and returns its stdout, failing with its stderr when it exits non-zero. */
export async function awsOutput(
  cli: AwsCli,
  aws: SandboxAws,
  credentials: SandboxCredentials,
  home: string,
  args: string[],
): Promise<string> {
  const result = await runAws(cli, aws, credentials, home, args);
  if (result.code !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout.trim();
}

/** Runs the AWS CLI and parses its JSON output. */
export async function awsJson<T>(
  cli: AwsCli,
  aws: SandboxAws,
  credentials: SandboxCredentials,
  home: string,
  args: string[],
): Promise<T> {
  return JSON.parse(await awsOutput(cli, aws, credentials, home, [...args, '--output', 'json'])) as T;
}

export function runCommand(
  command: string,
  args: string[],
  environment: NodeJS.ProcessEnv,
  onStderr?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
