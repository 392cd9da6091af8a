import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const LOCK_FILE = 'sandbox.lock';
/**
 * How long a new sandbox waits for the previous owner of the directory to exit. A sandbox started by a
 * killed `npx` notices its parent is gone within half a second, so a quick restart is not rejected.
 */
const WAIT_FOR_OWNER_MS = 5000;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function runningOwner(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const owner = Number(text.trim());
  return Number.isInteger(owner) && owner > 0 && isRunning(owner) ? owner : undefined;
}

/**
 * Claims the state directory for this process by writing its pid to `DIR/sandbox.lock`, so two sandboxes
 * never overwrite each other's state. A lock left by a process that no longer runs is taken over, and a
 * running owner is given a few seconds to exit. Returns the function that releases the lock.
 */
export async function lockStateDir(stateDir: string): Promise<() => void> {
  const path = join(stateDir, LOCK_FILE);
  const deadline = Date.now() + WAIT_FOR_OWNER_MS;
  let owner = runningOwner(path);
  while (owner !== undefined && Date.now() < deadline) {
    await sleep(100);
    owner = runningOwner(path);
  }
  if (owner !== undefined) {
    throw new Error(
      `state directory ${stateDir} is in use by process ${owner}; stop it or choose another --state`,
    );
  }
  writeFileSync(path, String(process.pid), { mode: 0o600 });
  return () => rmSync(path, { force: true });
}
