import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirLock } from '../../src/db/data-dir-lock.js';

describe('DataDirLock', () => {
  it('takes over a lock whose process is gone', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redapp-lock-'));
    // PID 2^22 + 1 is above Linux's pid_max limit, so no process has it.
    fs.writeFileSync(path.join(dir, 'redapp.lock'), `${2 ** 22 + 1}\n`);
    const lock = DataDirLock.acquire(dir);
    expect(fs.readFileSync(path.join(dir, 'redapp.lock'), 'utf8').trim()).toBe(String(process.pid));
    lock.release();
    expect(fs.existsSync(path.join(dir, 'redapp.lock'))).toBe(false);
    fs.rmSync(dir, { recursive: true });
  });
});
