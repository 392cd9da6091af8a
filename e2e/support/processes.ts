import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface StartedProcess {
  child: ChildProcess;
  output(): string;
  /** Sends `signal` and waits for the exit; with `timeoutMs`, kills the process when it has not exited by then. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
}

/** Starts a process and resolves once its output matches `ready`; fails with the output on exit or timeout. */
export async function startProcess(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; ready: RegExp; timeoutMs?: number; cwd?: string },
): Promise<StartedProcess & { match: RegExpMatchArray }> {
  const child = spawn(command, args, {
    cwd: options.cwd ?? repositoryRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let match = output.match(options.ready);
  while (!match) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${path.basename(args[0] ?? command)} exited (${child.exitCode ?? child.signalCode}):\n${output}`,
      );
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${path.basename(args[0] ?? command)} was not ready in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    match = output.match(options.ready);
  }

  return {
    child,
    match,
    output: () => output,
    stop: async (signal = 'SIGTERM', timeoutMs?: number) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      if (timeoutMs === undefined) {
        await exited;
        return;
      }

      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timed out'>((resolve) => {
        timer = setTimeout(() => resolve('timed out'), timeoutMs);
      });
      const result = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (result === 'timed out') {
        process.stderr.write(
          `${path.basename(args[0] ?? command)} did not stop within ${timeoutMs / 1000} s of ${signal}; killing it.\n`,
        );
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export function temporaryDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface Sandbox {
  stateDir: string;
  file: string;
  config: SandboxJson;
  process: StartedProcess;
}

export interface SandboxJson {
  aws: {
    endpoint: string;
    region: string;
    platform: { principalArn: string; accessKeyId: string; secretAccessKey: string; accountId: string };
    customerAdmin: { principalArn: string; accessKeyId: string; secretAccessKey: string; accountId: string };
  };
  identity: {
    entra: {
      tenants: Array<{
        tenantId: string;
        domain: string;
        users: Array<{ username: string; password: string; role: string }>;
      }>;
    };
    google: {
      accounts: Array<{
        customerId: string;
        domain: string;
        users: Array<{ username: string; password: string; role: string }>;
      }>;
    };
    adminEndpoint: string;
  };
  /** The Azure Key Vault and Entra stand-in, served over HTTPS with the CA in caCertPath. */
  azure: {
    tenantId: string;
    authorityHost: string;
    vaultUrl: string;
    caCertPath: string;
    /** Base URL of the stand-in's admin API (keys, app registrations, role assignments). */
    adminEndpoint: string;
  };
}

/** Starts `npx redapp-sandbox` as a process, as a developer would. */
export async function startSandbox(stateDir = temporaryDir('redapp-e2e-sandbox-')): Promise<Sandbox> {
  const started = await startProcess(
    process.execPath,
    [path.join(repositoryRoot, 'sandbox', 'bin', 'redapp-sandbox.mjs'), '--state', stateDir, '--port', '0'],
    { ready: /redapp-sandbox ready/ },
  );
  const file = path.join(stateDir, 'sandbox.json');
  return {
    stateDir,
    file,
    config: JSON.parse(fs.readFileSync(file, 'utf8')) as SandboxJson,
    process: started,
  };
}

export interface Server {
  url: string;
  dataDir: string;
  process: StartedProcess;
}

/** Starts the RedApp server from its sources on a free port, against the sandbox, with the demo data. */
export async function startServer(options: {
  sandboxFile: string;
  dataDir?: string;
  env?: Record<string, string>;
}): Promise<Server> {
  const dataDir = options.dataDir ?? temporaryDir('redapp-e2e-data-');
  const started = await startProcess(
    process.execPath,
    ['--import', 'tsx', path.join(repositoryRoot, 'server', 'src', 'cli.ts'), 'serve', '--demo'],
    {
      env: {
        REDAPP_DATA_DIR: dataDir,
        REDAPP_PORT: '0',
        REDAPP_SANDBOX_FILE: options.sandboxFile,
        DATABASE_URL: '',
        ...options.env,
      },
      ready: /RedApp Key Management is running at (http:\/\/[^\s]+)/,
    },
  );
  return { url: started.match[1]!, dataDir, process: started };
}

export interface DemoCredentials {
  users: Array<{ email: string; role: string; company: string | null; password: string }>;
}

export function demoCredentials(dataDir: string): DemoCredentials {
  return JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8')) as DemoCredentials;
}
