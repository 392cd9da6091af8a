import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');

/** Access keys of one sandbox principal. `sessionToken` is set only for temporary (assumed-role) keys. */
export interface SandboxCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Seeded principals with long-term access keys in sandbox.json. */
export type UserName = 'platform' | 'customerAdmin' | 'customerReadOnly' | 'customerRoot';

/** The seeded users, plus a session of the customer's administrator role (assumed by customerAdmin). */
export type PrincipalName = UserName | 'customerAdminRole';

export interface SandboxAws {
  endpoint: string;
  region: string;
  platformPrincipalArn: string;
  customerAccountId: string;
  /** Role that customerAdmin may assume, standing in for a CloudShell session of an SSO or admin role. */
  customerAdminRoleArn: string;
  credentials: Record<UserName, SandboxCredentials>;
}

export interface Sandbox {
  aws: SandboxAws;
  stateDir: string;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  iamPropagationDelaySeconds?: number;
}

const START_TIMEOUT_MS = 60_000;

/**
 * Returns the command that starts the workspace's redapp-sandbox (REDAPP_SANDBOX_BIN when set). The tests
 * run it directly instead of through npx, because npx looks a command it cannot find up on the npm registry.
 */
function sandboxCommand(): { command: string; prefixArgs: string[] } {
  const configured = process.env.REDAPP_SANDBOX_BIN;
  if (configured) return { command: configured, prefixArgs: [] };
  const linked = path.join(REPO_ROOT, 'node_modules', '.bin', 'redapp-sandbox');
  if (existsSync(linked)) return { command: linked, prefixArgs: [] };
  const source = path.join(REPO_ROOT, 'sandbox', 'bin', 'redapp-sandbox.mjs');
  if (existsSync(source)) return { command: process.execPath, prefixArgs: [source] };
  throw new Error(
    `redapp-sandbox not found at ${linked} or ${source}: run npm install at the repository root`,
  );
}

/** Starts redapp-sandbox on a free port with a new state directory and reads its sandbox.json. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'setup-sandbox-'));
  const { command, prefixArgs } = sandboxCommand();
  const args = [...prefixArgs, '--state', stateDir, '--port', '0'];
  if (options.iamPropagationDelaySeconds !== undefined) {
    args.push('--iam-propagation-delay', String(options.iamPropagationDelaySeconds));
  }

  // A process group of its own, so stop() ends the sandbox and any process it started, and nothing else.
  const child = spawn(command, args, { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });

  const stop = async () => {
    await stopProcessGroup(child);
    await rm(stateDir, { recursive: true, force: true });
  };

  try {
    const config = await waitForConfig(path.join(stateDir, 'sandbox.json'), child, () => output);
    return { aws: parseSandboxConfig(config), stateDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForConfig(file: string, child: ChildProcess, output: () => string): Promise<unknown> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `redapp-sandbox exited (${child.exitCode ?? child.signalCode}) before writing ${file}:\n${output()}`,
      );
    }
    try {
      return JSON.parse(await readFile(file, 'utf8'));
    } catch {
      // Not written yet, or written partly: poll again.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`redapp-sandbox did not write ${file} within ${START_TIMEOUT_MS} ms:\n${output()}`);
}

async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(-child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readPrincipal(aws: JsonObject, name: string): { arn: string; credentials: SandboxCredentials } {
  const entry = aws[name];
  if (
    !isObject(entry) ||
    typeof entry.principalArn !== 'string' ||
    typeof entry.accessKeyId !== 'string' ||
    typeof entry.secretAccessKey !== 'string'
  ) {
    throw new Error(`sandbox.json has no aws.${name} with principalArn, accessKeyId and secretAccessKey`);
  }
  return {
    arn: entry.principalArn,
    credentials: { accessKeyId: entry.accessKeyId, secretAccessKey: entry.secretAccessKey },
  };
}

/** Reads the parts of sandbox.json that the tests use, failing with the missing field's name. */
export function parseSandboxConfig(config: unknown): SandboxAws {
  const aws = isObject(config) && isObject(config.aws) ? config.aws : undefined;
  if (!aws || typeof aws.endpoint !== 'string' || typeof aws.region !== 'string') {
    throw new Error('sandbox.json has no aws.endpoint and aws.region');
  }
  const platform = readPrincipal(aws, 'platform');
  const customerAdmin = readPrincipal(aws, 'customerAdmin');
  const adminRole = aws.customerAdminRole;
  if (!isObject(adminRole) || typeof adminRole.roleArn !== 'string') {
    throw new Error('sandbox.json has no aws.customerAdminRole.roleArn');
  }

  return {
    endpoint: aws.endpoint,
    region: aws.region,
    platformPrincipalArn: platform.arn,
    customerAccountId: customerAdmin.arn.split(':')[4] ?? '',
    customerAdminRoleArn: adminRole.roleArn,
    credentials: {
      platform: platform.credentials,
      customerAdmin: customerAdmin.credentials,
      customerReadOnly: readPrincipal(aws, 'customerReadOnly').credentials,
      customerRoot: readPrincipal(aws, 'customerRoot').credentials,
    },
  };
}
