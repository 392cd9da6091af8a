import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors/app-error.js';
import { MASTER_KEY_FILE_NAME, MasterKeyFile } from '../../src/providers/cybersentriq/master-key-file.js';

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'redapp-master-key-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('platform master key file', () => {
  it('creates version 1 with mode 0600', async () => {
    const file = await MasterKeyFile.open(join(directory, 'keys'));

    expect(file.currentVersion).toBe(1);
    expect(file.keyFor(1)).toHaveLength(32);
    expect((await stat(file.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(directory, 'keys'))).mode & 0o777).toBe(0o700);
  });

  it('reopens the same keys', async () => {
    const first = await MasterKeyFile.open(directory);

    const second = await MasterKeyFile.open(directory);

    expect(second.keyFor(1)!.equals(first.keyFor(1)!)).toBe(true);
  });

  it('rotate adds a current version and keeps the old one', async () => {
    const file = await MasterKeyFile.open(directory);
    const first = Buffer.from(file.keyFor(1)!);

    expect(await file.rotate()).toBe(2);

    expect(file.currentVersion).toBe(2);
    expect(file.keyFor(1)!.equals(first)).toBe(true);
    expect(file.keyFor(2)!.equals(first)).toBe(false);
    expect(file.listVersions().map((v) => v.version)).toEqual([1, 2]);
    expect((await stat(file.path)).mode & 0o777).toBe(0o600);
    expect(await readFile(file.path, 'utf8')).toContain('"currentVersion": 2');
  });

  it('sees a rotation made by another instance', async () => {
    const server = await MasterKeyFile.open(directory);
    const command = await MasterKeyFile.open(directory);
    await command.rotate();

    expect(await server.reloadIfReplaced()).toBe(true);

    expect(server.currentVersion).toBe(2);
  });

  it.each(['640', '604', '660', '602'])('rejects mode %s', async (mode) => {
    const file = await MasterKeyFile.open(directory);
    await chmod(file.path, Number.parseInt(mode, 8));

    const error = await MasterKeyFile.open(directory).catch((caught: AppError) => caught);

    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('PLATFORM_CREDENTIALS');
    expect((error as AppError).fix).toContain('chmod 600');
  });

  it('rejection message names the mode and path', async () => {
    const file = await MasterKeyFile.open(directory);
    await chmod(file.path, 0o644);

    await expect(MasterKeyFile.open(directory)).rejects.toThrow(`${file.path} has mode 644`);
  });

  it('missing file with create false', async () => {
    await expect(MasterKeyFile.open(directory, { create: false })).rejects.toThrow('does not exist');
  });

  it.each([
    ['not JSON', 'nope'],
    ['wrong format version', '{"formatVersion":2}'],
    [
      'short key',
      '{"formatVersion":1,"currentVersion":1,"versions":[{"version":1,"createdAt":"x","key":"AAAA"}]}',
    ],
    [
      'current version missing',
      JSON.stringify({
        formatVersion: 1,
        currentVersion: 2,
        versions: [{ version: 1, createdAt: 'x', key: Buffer.alloc(32).toString('base64') }],
      }),
    ],
  ])('rejects a file that is %s', async (_case, content) => {
    await writeFile(join(directory, MASTER_KEY_FILE_NAME), content, { mode: 0o600 });

    await expect(MasterKeyFile.open(directory)).rejects.toThrow('is invalid');
  });

  it('concurrent rotation is rejected by the lock file', async () => {
    const file = await MasterKeyFile.open(directory);
    await writeFile(`${file.path}.lock`, '');

    await expect(file.rotate()).rejects.toThrow('lock file');
    expect(file.currentVersion).toBe(1);
  });
});

describe('platform master key file creation', () => {
  it('concurrent opens agree on version 1', async () => {
    const [a, b] = await Promise.all([MasterKeyFile.open(directory), MasterKeyFile.open(directory)]);

    expect(a.keyFor(1)!.equals(b.keyFor(1)!)).toBe(true);
  });
});
