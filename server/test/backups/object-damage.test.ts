import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createObjectDecryptStream } from '../../src/backups/object-decrypt.js';
import { HEADER_BYTES, TAG_BYTES } from '../../src/backups/object-format.js';
import { AppError } from '../../src/errors/app-error.js';
import {
  backupKey,
  decrypt,
  encrypt,
  expectDamaged,
  expectSameBytes,
  FRAME,
  flipBit,
  identity,
  joinObject,
  keysByVersion,
  patternBytes,
  splitObject,
} from './object-fixtures.js';

// Four frames: three full ones and a last frame of 100 bytes.
const plaintext = patternBytes(3 * FRAME + 100);
const object = encrypt(plaintext);
const { header, frames } = splitObject(object);

describe('backup object damage', () => {
  it('intact object decrypts (control)', async () => {
    expect(frames).toHaveLength(4);
    expectSameBytes(await decrypt(object), plaintext);
  });

  describe('flipped bit in the header', () => {
    const fields: Array<[string, number]> = [
      ['magic', 0],
      ['format version', 4],
      ['backup key version', 8],
      ['frame size (high byte)', 9],
      ['frame size (low byte)', 12],
      ['salt', 20],
      ['nonce prefix', 50],
    ];

    it.each(fields)('%s', async (_field, offset) => {
      await expectDamaged(decrypt(flipBit(object, offset)));
    });

    it('every header bit', async () => {
      for (let offset = 0; offset < HEADER_BYTES; offset++) {
        for (let bit = 0; bit < 8; bit++) {
          await expectDamaged(decrypt(flipBit(object, offset, bit)));
        }
      }
    });
  });

  describe('flipped bit in a frame', () => {
    it.each([0, 1, 3])('ciphertext of frame %i', async (index) => {
      const damaged = frames.map((frame, i) => (i === index ? flipBit(frame, 5) : frame));

      const error = await expectDamaged(decrypt(joinObject(header, damaged)));

      expect(error.message).toContain(`frame ${index}`);
    });

    it.each([0, 3])('tag of frame %i', async (index) => {
      const damaged = frames.map((frame, i) => (i === index ? flipBit(frame, frame.length - 1, 7) : frame));

      await expectDamaged(decrypt(joinObject(header, damaged)));
    });
  });

  describe('truncation', () => {
    it('at a frame boundary (last frame dropped)', async () => {
      const error = await expectDamaged(decrypt(joinObject(header, frames.slice(0, 3))));

      expect(error.message).toContain('without a last frame');
    });

    it('right after the header', async () => {
      const error = await expectDamaged(decrypt(header));

      expect(error.message).toContain('right after the header');
    });

    it('inside the header', async () => {
      await expectDamaged(decrypt(object.subarray(0, 20)));
    });

    it('empty input', async () => {
      await expectDamaged(decrypt(Buffer.alloc(0)));
    });

    it.each([
      ['inside a full frame', HEADER_BYTES + FRAME + 10],
      ['inside a full frame tag', HEADER_BYTES + 2 * (FRAME + TAG_BYTES) - 4],
      ['inside the last frame', object.length - 50],
      ['inside the last tag', object.length - 3],
      ['one byte short', object.length - 1],
    ])('%s', async (_case, length) => {
      await expectDamaged(decrypt(object.subarray(0, length)));
    });

    it('empty object cut to its header', async () => {
      const empty = encrypt(Buffer.alloc(0));

      await expectDamaged(decrypt(empty.subarray(0, HEADER_BYTES)));
    });
  });

  describe('frames moved', () => {
    it('reordered', async () => {
      const [f0, f1, f2, f3] = frames as [Buffer, Buffer, Buffer, Buffer];

      await expectDamaged(decrypt(joinObject(header, [f1, f0, f2, f3])));
    });

    it('dropped from the middle', async () => {
      await expectDamaged(decrypt(joinObject(header, [frames[0]!, frames[2]!, frames[3]!])));
    });

    it('duplicated', async () => {
      await expectDamaged(decrypt(joinObject(header, [frames[0]!, frames[0]!, ...frames.slice(1)])));
    });

    it('full frame moved to the end as last frame', async () => {
      await expectDamaged(decrypt(joinObject(header, [frames[0]!, frames[1]!, frames[2]!])));
    });

    it('data appended after the last frame', async () => {
      await expectDamaged(decrypt(Buffer.concat([object, Buffer.from([0])])));
    });

    it('frame from another object of the backup set', async () => {
      const other = splitObject(encrypt(plaintext, { objectId: 'object-2' }));
      const mixed = frames.map((frame, i) => (i === 1 ? other.frames[1]! : frame));

      await expectDamaged(decrypt(joinObject(header, mixed)));
    });

    it('frame from another backup set', async () => {
      const other = splitObject(encrypt(plaintext, { backupSetId: 'set-b' }));
      const mixed = frames.map((frame, i) => (i === 2 ? other.frames[2]! : frame));

      await expectDamaged(decrypt(joinObject(header, mixed)));
    });

    it('whole object read as another object', async () => {
      await expectDamaged(decrypt(object, { objectId: 'object-2' }), 'object-2');
    });

    it('whole object read in another backup set', async () => {
      await expectDamaged(decrypt(object, { backupSetId: 'set-b' }));
    });

    it('header of another object with the same key', async () => {
      const otherHeader = splitObject(encrypt(plaintext)).header;

      await expectDamaged(decrypt(joinObject(otherHeader, frames)));
    });
  });

  describe('wrong backup key version', () => {
    const secondKey = randomBytes(32);

    it('header relabelled to an existing version', async () => {
      const relabelled = Buffer.from(object);
      relabelled.writeUInt32BE(2, 5);

      await expectDamaged(
        decrypt(relabelled, { getBackupKey: keysByVersion({ 1: backupKey, 2: secondKey }) }),
      );
    });

    it('version the backup set does not have', async () => {
      const error = await expectDamaged(decrypt(object, { getBackupKey: keysByVersion({ 2: secondKey }) }));

      expect(error.message).toContain('backup key version 1');
    });

    it('key of another version returned', async () => {
      await expectDamaged(decrypt(object, { getBackupKey: () => Buffer.from(secondKey) }));
    });

    it('key lookup error passes through', async () => {
      const unavailable = new AppError('KEY_UNAVAILABLE', 'Company key version 1 failed to unwrap.');

      await expect(
        decrypt(object, {
          getBackupKey: () => {
            throw unavailable;
          },
        }),
      ).rejects.toBe(unavailable);
    });
  });

  it('stream emits no plaintext of a damaged frame', async () => {
    const damaged = joinObject(
      header,
      frames.map((frame, i) => (i === 2 ? flipBit(frame, 0) : frame)),
    );
    const received: Buffer[] = [];

    const run = pipeline(
      Readable.from([damaged.subarray(0, HEADER_BYTES), ...splitObject(damaged).frames]),
      createObjectDecryptStream({ ...identity, getBackupKey: keysByVersion({ 1: backupKey }) }),
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) received.push(chunk);
      },
    );

    await expectDamaged(run);
    const output = Buffer.concat(received);
    expect(output.length).toBeLessThanOrEqual(2 * FRAME);
    expectSameBytes(output, plaintext.subarray(0, output.length));
  });
});
