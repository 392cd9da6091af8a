import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createObjectDecryptStream } from '../../src/backups/object-decrypt.js';
import { createObjectEncryptStream } from '../../src/backups/object-encrypt.js';
import { BackupObjectFileStore } from '../../src/backups/object-store.js';
import { AppError } from '../../src/errors/app-error.js';
import { backupKey, expectSameBytes, keysByVersion, patternBytes } from './object-fixtures.js';

let root: string;
let store: BackupObjectFileStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'redapp-objects-'));
  store = new BackupObjectFileStore(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('backup object file store', () => {
  it('stores and reads back an encrypted object', async () => {
    const plaintext = patternBytes(200_000);
    const ids = { backupSetId: 'set-1', objectId: 'obj-1' };

    await store.write(
      ids.backupSetId,
      ids.objectId,
      Readable.from([plaintext]).pipe(createObjectEncryptStream({ ...ids, backupKey, backupKeyVersion: 1 })),
    );
    const output: Buffer[] = [];
    await pipeline(
      await store.openRead(ids.backupSetId, ids.objectId),
      createObjectDecryptStream({ ...ids, getBackupKey: keysByVersion({ 1: backupKey }) }),
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) output.push(chunk);
      },
    );

    expectSameBytes(Buffer.concat(output), plaintext);
    expect(await readdir(join(root, 'set-1'))).toEqual(['obj-1.rdbo']);
  });

  it.each(['../x', 'a/b', '', '.hidden', 'x'.repeat(129)])('rejects id %j', (objectId) => {
    expect(() => store.objectPath('set-1', objectId)).toThrow(AppError);
  });

  it('missing object is NOT_FOUND', async () => {
    await expect(store.openRead('set-1', 'none')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('delete reports whether it removed', async () => {
    await store.write('set-1', 'obj-2', [Buffer.from('x')]);

    expect(await store.delete('set-1', 'obj-2')).toBe(true);
    expect(await store.delete('set-1', 'obj-2')).toBe(false);
  });
});
