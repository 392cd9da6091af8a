import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateKeyCommand, DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { SandboxConfig } from '../src/sandbox-config.js';

const REPOSITORY_ROOT = resolve(import.meta.dirname, '../..');
const LAUNCHER = resolve(import.meta.dirname, '../bin/redapp-sandbox.mjs');

interface Started {
  child: ChildProcess;
  endpoint: string;
  configPath: string;
  output: () => string;
  exited: Promise<number | null>;
}

const started: ChildProcess[] = [];
const stateDir = mkdtempSync(join(tmpdir(), 'redapp-sandbox-launcher-'));

/** Starts the sandbox as other workspaces do and waits for its ready line. */
function launch(command: string, args: string[]): Promise<Started> {
  const child = spawn(command, args, {
    cwd: REPOSITORY_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return new Promise((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`sandbox did not report ready within 30 s:\n${output}`)),
      30_000,
    );
    const check = () => {
      const match = /redapp-sandbox ready: endpoint (\S+) config (\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      done({ child, endpoint: match[1]!, configPath: match[2]!, output: () => output, exited });
    };
    child.stdout!.on('data', check);
    child.on('exit', () => {
      clearTimeout(timer);
      fail(new Error(`sandbox exited before ready:\n${output}`));
    });
  });
}

function kms(config: SandboxConfig): KMSClient {
  return new KMSClient({
    endpoint: config.aws.endpoint,
    region: config.aws.region,
    credentials: config.aws.customerAdmin,
    maxAttempts: 1,
  });
}

async function isListening(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

afterEach(() => {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group has already exited.
      }
    }
  }
});

afterAll(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

describe('redapp-sandbox command', () => {
  it('npx starts, persists state and stops', async () => {
    const first = await launch('npx', ['redapp-sandbox', '--state', stateDir, '--port', '0']);
    expect(first.configPath).toBe(join(stateDir, 'sandbox.json'));
    const config = JSON.parse(readFileSync(first.configPath, 'utf8')) as SandboxConfig;
    expect(config.aws.endpoint).toBe(first.endpoint);
    expect(config.aws.platform.principalArn).toBe(
      'arn:aws:iam::156214480941:user/cybersentriq-kms-connector',
    );
    const created = await kms(config).send(new CreateKeyCommand({ Description: 'survives restart' }));

    // npx does not forward SIGTERM; the sandbox notices its parent is gone and stops within a second.
    first.child.kill('SIGTERM');
    await first.exited;
    await expect.poll(() => isListening(first.endpoint), { timeout: 5000 }).toBe(false);

    const second = await launch(process.execPath, [LAUNCHER, '--state', stateDir, '--port', '0']);
    const reloaded = JSON.parse(readFileSync(second.configPath, 'utf8')) as SandboxConfig;
    expect(reloaded.aws.customerAdmin.accessKeyId).toBe(config.aws.customerAdmin.accessKeyId);
    const described = await kms(reloaded).send(new DescribeKeyCommand({ KeyId: created.KeyMetadata!.Arn }));
    expect(described.KeyMetadata?.Description).toBe('survives restart');

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('redapp-sandbox stopped (SIGTERM)');
  });

  it('SIGINT stops the sandbox', async () => {
    const run = await launch(process.execPath, [LAUNCHER, '--state', stateDir, '--port', '0']);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(await isListening(run.endpoint)).toBe(false);
  });

  it('invalid port is rejected', async () => {
    const child = spawn(process.execPath, [LAUNCHER, '--state', stateDir, '--port', 'eighty'], {
      cwd: REPOSITORY_ROOT,
    });
    started.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code).toBe(2);
    expect(stderr).toContain('invalid --port eighty');
  });

  it('missing --state is rejected', async () => {
    const child = spawn(process.execPath, [LAUNCHER], { cwd: REPOSITORY_ROOT });
    started.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code).toBe(2);
    expect(stderr).toContain('missing --state DIR');
  });
});
