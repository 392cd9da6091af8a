import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors/app-error.js';

/**
 * An exclusive lock on the embedded database directory. PGlite opens its files from one process
 * only; a second process would corrupt them, so the lock file records the owner's PID and a stale
 * lock (its process gone) is taken over.
 */
export class DataDirLock {
  private constructor(private readonly lockPath: string) {}

  static acquire(dataDir: string): DataDirLock {
    const lockPath = path.join(dataDir, 'redapp.lock');
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });

    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = fs.openSync(lockPath, 'wx', 0o600);
        fs.writeSync(fd, `${process.pid}\n`);
        fs.closeSync(fd);
        return new DataDirLock(lockPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }

      const owner = Number.parseInt(fs.readFileSync(lockPath, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isRunning(owner)) {
        throw new AppError(
          'DATABASE_IN_USE',
          `The embedded database in ${dataDir} is in use by process ${owner} (probably the RedApp server).`,
          {
            fix: 'Stop that process first, use the server API for this action, or set DATABASE_URL to a PostgreSQL server that several processes can share.',
          },
        );
      }
      fs.rmSync(lockPath, { force: true });
    }
    throw new AppError('DATABASE_IN_USE', `Could not lock the embedded database in ${dataDir}.`);
  }

  release(): void {
    fs.rmSync(this.lockPath, { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
