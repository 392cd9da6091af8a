import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createObjectDecryptStream, decryptObjectChunks } from '../../src/backups/object-decrypt.js';
import { createObjectEncryptStream, encryptObjectChunks } from '../../src/backups/object-encrypt.js';
import {
  DEFAULT_FRAME_SIZE,
  HEADER_BYTES,
  MAX_FRAME_SIZE,
  MIN_FRAME_SIZE,
  TAG_BYTES,
} from '../../src/backups/object-format.js';
import {
  backupKey,
  decrypt,
  encrypt,
  expectSameBytes,
  FRAME,
  identity,
  keysByVersion,
  patternBytes,
} from './object-fixtures.js';

function splitIntoChunks(data: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let offset = 0;
  for (let i = 0; offset < data.length; i++) {
    const size = Math.max(1, sizes[i % Math.max(1, sizes.length)] ?? data.length);
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

describe('backup object round trip', () => {
  const sizes = [0, 1, FRAME - 1, FRAME, FRAME + 1, 7 * FRAME, 7 * FRAME + 123];

  it.each(sizes)('size %i through buffers', async (size) => {
    const plaintext = patternBytes(size);

    const object = encrypt(plaintext);

    const frames = Math.floor(size / FRAME) + 1;
    expect(object.length).toBe(HEADER_BYTES + size + frames * TAG_BYTES);
    expectSameBytes(await decrypt(object), plaintext);
  });

  it.each(sizes)('size %i through Transform streams', async (size) => {
    const plaintext = patternBytes(size, 3);
    const output: Buffer[] = [];

    await pipeline(
      Readable.from(splitIntoChunks(plaintext, [700, 1500, 1])),
      createObjectEncryptStream({ ...identity, backupKey, backupKeyVersion: 1, frameSize: FRAME }),
      createObjectDecryptStream({ ...identity, getBackupKey: keysByVersion({ 1: backupKey }) }),
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) output.push(chunk);
      },
    );

    expectSameBytes(Buffer.concat(output), plaintext);
  });

  it('default frame size is 64 KiB', () => {
    const object = encrypt(patternBytes(DEFAULT_FRAME_SIZE), { frameSize: undefined });

    expect(object.readUInt32BE(9)).toBe(64 * 1024);
    expect(object.length).toBe(HEADER_BYTES + DEFAULT_FRAME_SIZE + 2 * TAG_BYTES);
  });

  it('any size and chunking (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 6 * FRAME + 5 }),
        fc.array(fc.integer({ min: 1, max: 3 * FRAME }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 3 * FRAME }), { minLength: 1, maxLength: 5 }),
        async (size, plaintextChunking, ciphertextChunking) => {
          const plaintext = patternBytes(size, size);

          const object = await collect(
            encryptObjectChunks(splitIntoChunks(plaintext, plaintextChunking), {
              ...identity,
              backupKey,
              backupKeyVersion: 1,
              frameSize: FRAME,
            }),
          );
          const decrypted = await collect(
            decryptObjectChunks(splitIntoChunks(object, ciphertextChunking), {
              ...identity,
              getBackupKey: keysByVersion({ 1: backupKey }),
            }),
          );

          expectSameBytes(decrypted, plaintext);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('two encryptions differ', () => {
    const plaintext = patternBytes(100);

    expect(encrypt(plaintext).equals(encrypt(plaintext))).toBe(false);
  });

  it.each([MIN_FRAME_SIZE - 1, MAX_FRAME_SIZE + 1, 1500.5])('rejects frame size %d', (frameSize) => {
    expect(() => encrypt(Buffer.alloc(1), { frameSize })).toThrow(RangeError);
  });

  it.each([MIN_FRAME_SIZE, MAX_FRAME_SIZE])('accepts frame size %d', async (frameSize) => {
    const plaintext = patternBytes(frameSize + 5);

    expectSameBytes(await decrypt(encrypt(plaintext, { frameSize })), plaintext);
  });

  it('rejects a backup key of 16 bytes', () => {
    expect(() => encrypt(Buffer.alloc(1), { backupKey: Buffer.alloc(16) })).toThrow(RangeError);
  });

  it('zeroes the backup key returned by getBackupKey', async () => {
    const returned = Buffer.from(backupKey);

    await decrypt(encrypt(patternBytes(10)), { getBackupKey: () => returned });

    expect(returned.equals(Buffer.alloc(32))).toBe(true);
  });
});
