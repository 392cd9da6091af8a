import { createCipheriv, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decryptObjectBuffer } from '../../src/backups/object-decrypt.js';
import { encryptObjectBuffer } from '../../src/backups/object-encrypt.js';

interface VectorFile {
  backupKey: string;
  salt: string;
  noncePrefix: string;
  backupSetId: string;
  objectId: string;
  backupKeyVersion: number;
  frameSize: number;
  vectors: Array<{ name: string; plaintext: string; object: string }>;
}

const file = JSON.parse(
  readFileSync(new URL('./vectors/object-format-v1.json', import.meta.url), 'utf8'),
) as VectorFile;
const backupKey = Buffer.from(file.backupKey, 'hex');
const salt = Buffer.from(file.salt, 'hex');
const noncePrefix = Buffer.from(file.noncePrefix, 'hex');

function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([u32(bytes.length), bytes]);
}

/** Encrypts as the byte-layout description in object-format.ts says, sharing no code with src/. */
function referenceEncrypt(plaintext: Buffer): Buffer {
  const header = Buffer.concat([
    Buffer.from('RDBO'),
    Buffer.from([1]),
    u32(file.backupKeyVersion),
    u32(file.frameSize),
    salt,
    noncePrefix,
  ]);
  const info = Buffer.concat([
    lengthPrefixed('redapp/backup-object/v1'),
    lengthPrefixed(file.backupSetId),
    lengthPrefixed(file.objectId),
  ]);
  const objectKey = Buffer.from(hkdfSync('sha256', backupKey, salt, info, 32));

  const parts = [header];
  const frameCount = Math.floor(plaintext.length / file.frameSize) + 1;
  for (let index = 0; index < frameCount; index++) {
    const last = index === frameCount - 1;
    const cipher = createCipheriv('aes-256-gcm', objectKey, Buffer.concat([noncePrefix, u32(index)]));
    cipher.setAAD(Buffer.concat([header, u32(index), Buffer.from([last ? 1 : 0])]));
    const body = plaintext.subarray(index * file.frameSize, (index + 1) * file.frameSize);
    parts.push(cipher.update(body), cipher.final(), cipher.getAuthTag());
  }
  return Buffer.concat(parts);
}

describe('backup object known-answer vectors', () => {
  it('file holds five vectors', () => {
    expect(file.vectors).toHaveLength(5);
  });

  it.each(file.vectors)('$name: encrypt', ({ plaintext, object }) => {
    const encrypted = encryptObjectBuffer(Buffer.from(plaintext, 'hex'), {
      backupSetId: file.backupSetId,
      objectId: file.objectId,
      backupKey,
      backupKeyVersion: file.backupKeyVersion,
      frameSize: file.frameSize,
      fixedRandomnessForTests: { salt, noncePrefix },
    });

    expect(encrypted.toString('hex')).toBe(object);
  });

  it.each(file.vectors)('$name: decrypt', async ({ plaintext, object }) => {
    const decrypted = await decryptObjectBuffer(Buffer.from(object, 'hex'), {
      backupSetId: file.backupSetId,
      objectId: file.objectId,
      getBackupKey: (version) => (version === file.backupKeyVersion ? Buffer.from(backupKey) : undefined),
    });

    expect(decrypted.toString('hex')).toBe(plaintext);
  });

  it.each(file.vectors)('$name: matches the layout description', ({ plaintext, object }) => {
    expect(referenceEncrypt(Buffer.from(plaintext, 'hex')).toString('hex')).toBe(object);
  });
});
