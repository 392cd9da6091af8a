import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of sandbox.json the server tests read. */
export interface SandboxAwsPrincipal {
  accountId: string;
  principalArn: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SandboxFile {
  aws: {
    endpoint: string;
    region: string;
    platform: SandboxAwsPrincipal;
    platformAdmin: SandboxAwsPrincipal;
    customerAdmin: SandboxAwsPrincipal;
    customerReadOnly: SandboxAwsPrincipal;
  };
  identity?: Record<string, unknown>;
}

export interface RunningSandbox {
  stateDir: string;
  file: string;
  config: SandboxFile;
  stop(): Promise<void>;
}

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const launcher = path.join(repositoryRoot, 'sandbox', 'bin', 'redapp-sandbox.mjs');

/**
 * Starts the sandbox as a separate process on a free loopback port, as production would reach AWS
 * over the network, and waits for its sandbox.json. The server never imports the sandbox's code.
 */
export async function startSandbox(
  options: { iamPropagationDelaySeconds?: number } = {},
): Promise<RunningSandbox> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redapp-sandbox-'));
  const args = [launcher, '--state', stateDir, '--host', '127.0.0.1', '--port', '0'];
  if (options.iamPropagationDelaySeconds !== undefined) {
    args.push('--iam-propagation-delay', String(options.iamPropagationDelaySeconds));
  }
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });

  const file = path.join(stateDir, 'sandbox.json');
  const deadline = Date.now() + 30_000;
  while (!/ready/.test(output)) {
    if (child.exitCode !== null) throw new Error(`redapp-sandbox exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redapp-sandbox did not start within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    stateDir,
    file,
    config: JSON.parse(fs.readFileSync(file, 'utf8')) as SandboxFile,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
