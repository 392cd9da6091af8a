import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cliPath = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const contoso = '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000101';
let dataDir: string;
let backupSetId: string;

function runCli(args: string[], input?: Buffer) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', cliPath, ...args], {
    env: { ...process.env, REDAPP_DATA_DIR: dataDir, DATABASE_URL: '', REDAPP_LOG_LEVEL: 'warn' },
    input: input ?? Buffer.alloc(0),
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString() };
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redapp-backup-cli-'));
  expect(runCli(['seed', '--demo']).status).toBe(0);

  // Read a demo backup set id straight from the embedded database, the CLI's only user now.
  const { openDatabase } = await import('../../src/db/database.js');
  const handle = await openDatabase({ dataDir });
  const set = await handle.db
    .selectFrom('backup_sets')
    .select('id')
    .where('company_id', '=', contoso)
    .orderBy('name')
    .executeTakeFirstOrThrow();
  backupSetId = set.id;
  await handle.close();
});

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('redapp backup', () => {
  it('puts a file and gets it back byte for byte, across a platform key rotation', () => {
    const data = randomBytes(300_000);
    const input = path.join(dataDir, 'input.bin');
    fs.writeFileSync(input, data);

    const put = runCli(['backup', 'put', '--company', contoso, '--backup-set', backupSetId, input]);
    expect(put.stderr).toBe('');
    const object = JSON.parse(put.stdout.toString());
    expect(object).toMatchObject({ name: 'input.bin', sizeBytes: data.length });

    const rotate = runCli(['platform-key', 'rotate']);
    expect(rotate.status).toBe(0);
    expect(rotate.stdout.toString()).toMatch(
      /Platform master key version 2 is current; 3 company key version\(s\) re-wrapped/,
    );
    expect(rotate.stderr).toContain('Re-wrapping company keys: 3/3');

    const output = path.join(dataDir, 'output.bin');
    const get = runCli([
      'backup',
      'get',
      '--company',
      contoso,
      '--backup-set',
      backupSetId,
      '--object',
      object.id,
      '--output',
      output,
    ]);
    expect(get.status).toBe(0);
    expect(fs.readFileSync(output).equals(data)).toBe(true);

    const list = runCli(['backup', 'list', '--company', contoso, '--backup-set', backupSetId]);
    expect(list.stdout.toString()).toContain(object.id);
  });

  it('reads standard input with -', () => {
    const put = runCli(
      ['backup', 'put', '--company', contoso, '--backup-set', backupSetId, '-'],
      Buffer.from('from stdin'),
    );
    const object = JSON.parse(put.stdout.toString());
    const get = runCli([
      'backup',
      'get',
      '--company',
      contoso,
      '--backup-set',
      backupSetId,
      '--object',
      object.id,
    ]);
    expect(get.stdout.toString()).toBe('from stdin');
  });

  it('leaves no output file when the object is damaged', () => {
    const put = runCli(
      ['backup', 'put', '--company', contoso, '--backup-set', backupSetId, '-'],
      randomBytes(100_000),
    );
    const object = JSON.parse(put.stdout.toString());
    const stored = path.join(dataDir, 'objects', backupSetId, `${object.id}.rdbo`);
    const bytes = fs.readFileSync(stored);
    bytes[bytes.length - 1]! ^= 0x80;
    fs.writeFileSync(stored, bytes);

    const output = path.join(dataDir, 'damaged.bin');
    const get = runCli([
      'backup',
      'get',
      '--company',
      contoso,
      '--backup-set',
      backupSetId,
      '--object',
      object.id,
      '--output',
      output,
    ]);
    expect(get.status).toBe(1);
    expect(get.stderr).toContain(object.id);
    expect(fs.existsSync(output)).toBe(false);
    expect(fs.readdirSync(dataDir).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('names a backup set of another company as not found', () => {
    const fabrikam = '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000102';
    const put = runCli(
      ['backup', 'put', '--company', fabrikam, '--backup-set', backupSetId, '-'],
      Buffer.from('x'),
    );
    expect(put.status).toBe(1);
    expect(put.stderr).toContain(`Backup set ${backupSetId} was not found`);
  });

  it('exits 2 when ids are missing', () => {
    const put = runCli(['backup', 'put', 'file']);
    expect(put.status).toBe(2);
    expect(put.stderr).toContain('--company and --backup-set');
  });
});
