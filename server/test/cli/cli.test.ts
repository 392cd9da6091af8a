import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLock } from '../../src/db/data-dir-lock.js';

const cliPath = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const temporaryDirs: string[] = [];

function runCli(args: string[], options: { dataDir: string; input?: string }) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', cliPath, ...args], {
    env: { ...process.env, REDAPP_DATA_DIR: options.dataDir, DATABASE_URL: '', REDAPP_LOG_LEVEL: 'silent' },
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function makeDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redapp-cli-'));
  temporaryDirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of temporaryDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('redapp CLI', () => {
  it('migrates once and then reports nothing to do', () => {
    const dataDir = makeDataDir();
    expect(runCli(['migrate'], { dataDir }).stdout).toMatch(/Applied \d+ migration/);
    expect(runCli(['migrate'], { dataDir }).stdout).toMatch(/already up to date/);
  });

  it('seeds the demo data once and writes private credentials', () => {
    const dataDir = makeDataDir();
    expect(runCli(['seed', '--demo'], { dataDir }).stdout).toMatch(/Demo data added/);
    expect(runCli(['seed', '--demo'], { dataDir }).stdout).toMatch(/already present/);
    const credentialsPath = path.join(dataDir, 'demo-credentials.json');
    expect(fs.statSync(credentialsPath).mode & 0o077).toBe(0);
    const { users } = JSON.parse(fs.readFileSync(credentialsPath, 'utf8'));
    expect(users.map((user: { role: string }) => user.role).sort()).toEqual([
      'company_admin',
      'company_admin',
      'company_viewer',
      'partner_admin',
    ]);
  });

  it('adds a user with the password from standard input', () => {
    const dataDir = makeDataDir();
    runCli(['seed', '--demo'], { dataDir });
    const added = runCli(
      [
        'user',
        'add',
        '--email',
        'New.Admin@Contoso.example',
        '--role',
        'company_admin',
        '--company',
        '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000101',
        '--password-stdin',
      ],
      { dataDir, input: 'a long enough password\n' },
    );
    expect(added.stderr).toBe('');
    expect(added.stdout).toMatch(/User New.Admin@Contoso.example added/);

    const again = runCli(
      [
        'user',
        'add',
        '--email',
        'new.admin@contoso.example',
        '--role',
        'company_admin',
        '--company',
        '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000101',
        '--password-stdin',
      ],
      { dataDir, input: 'a long enough password\n' },
    );
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('rejects a short password and an unknown role by name', () => {
    const dataDir = makeDataDir();
    const short = runCli(
      [
        'user',
        'add',
        '--email',
        'a@b.example',
        '--role',
        'company_admin',
        '--company',
        crypto.randomUUID(),
        '--password-stdin',
      ],
      {
        dataDir,
        input: 'short\n',
      },
    );
    expect(short.stderr).toMatch(/password has 5 characters; expected at least 12/);

    const role = runCli(['user', 'add', '--email', 'a@b.example', '--role', 'owner', '--password-stdin'], {
      dataDir,
      input: 'a long enough password\n',
    });
    expect(role.stderr).toMatch(/role "owner" is unknown/);
  });

  it('exits 2 with usage for an unknown command or flag', () => {
    const dataDir = makeDataDir();
    const unknown = runCli(['frobnicate'], { dataDir });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown command "frobnicate"/);
    expect(unknown.stderr).toMatch(/Usage: redapp/);
    expect(runCli(['migrate', '--force'], { dataDir }).status).toBe(2);
  });

  it('refuses the embedded database while another process holds it', () => {
    const dataDir = makeDataDir();
    const lock = DataDirLock.acquire(dataDir);
    try {
      const result = runCli(['migrate'], { dataDir });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`in use by process ${process.pid}`);
      expect(result.stderr).toMatch(/Stop that process first/);
    } finally {
      lock.release();
    }
  });

  it('names a bad configuration variable', () => {
    const dataDir = makeDataDir();
    const result = spawnSync(process.execPath, ['--import', 'tsx', cliPath, 'migrate'], {
      env: { ...process.env, REDAPP_DATA_DIR: dataDir, REDAPP_PORT: 'eighty' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('REDAPP_PORT="eighty" is not a whole number');
  });
});
