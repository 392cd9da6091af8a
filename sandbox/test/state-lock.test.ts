import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../src/sandbox.js';

const stateDirs: string[] = [];
const newStateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'redapp-sandbox-lock-'));
  stateDirs.push(dir);
  return dir;
};

afterEach(() => {
  for (const dir of stateDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('state directory lock', () => {
  it('second sandbox on same directory rejected', async () => {
    const stateDir = newStateDir();
    const first = await startSandbox({ stateDir, standIns: [] });
    await expect(startSandbox({ stateDir, standIns: [] })).rejects.toThrow(
      `is in use by process ${process.pid}`,
    );
    await first.close();

    const again = await startSandbox({ stateDir, standIns: [] });
    expect(again.config.aws.customerAdmin.accessKeyId).toBe(first.config.aws.customerAdmin.accessKeyId);
    await again.close();
  });

  it('lock of a dead process is taken over', async () => {
    const stateDir = newStateDir();
    // PIDs above the kernel's pid_max (at most 2^22) never belong to a running process.
    writeFileSync(join(stateDir, 'sandbox.lock'), String(2 ** 22 + 1));
    const sandbox = await startSandbox({ stateDir, standIns: [] });
    await sandbox.close();
  });
});
