import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { decryptObjectBuffer } from '../../src/backups/object-decrypt.js';
import { encryptObjectBuffer } from '../../src/backups/object-encrypt.js';
import { HEADER_BYTES, TAG_BYTES } from '../../src/backups/object-format.js';
import { AppError } from '../../src/errors/app-error.js';

export const FRAME = 1024;
export const identity = { backupSetId: 'set-a', objectId: 'object-1' };
export const backupKey = randomBytes(32);

/** Returns a getBackupKey callback that returns keys for the given versions only. */
export function keysByVersion(keys: Record<number, Buffer>) {
  return (version: number) => {
    const key = keys[version];
    return key === undefined ? undefined : Buffer.from(key);
  };
}

export function encrypt(
  plaintext: Buffer,
  overrides: Partial<Parameters<typeof encryptObjectBuffer>[1]> = {},
) {
  return encryptObjectBuffer(plaintext, {
    ...identity,
    backupKey,
    backupKeyVersion: 1,
    frameSize: FRAME,
    ...overrides,
  });
}

export function decrypt(
  ciphertext: Buffer,
  overrides: Partial<Parameters<typeof decryptObjectBuffer>[1]> = {},
) {
  return decryptObjectBuffer(ciphertext, {
    ...identity,
    getBackupKey: keysByVersion({ 1: backupKey }),
    ...overrides,
  });
}

/** Splits an encrypted object into its header and frames (ciphertext || tag each). */
export function splitObject(object: Buffer, frameSize = FRAME): { header: Buffer; frames: Buffer[] } {
  const header = object.subarray(0, HEADER_BYTES);
  const frames: Buffer[] = [];
  for (let offset = HEADER_BYTES; offset < object.length; offset += frameSize + TAG_BYTES) {
    frames.push(object.subarray(offset, Math.min(object.length, offset + frameSize + TAG_BYTES)));
  }
  return { header, frames };
}

export function joinObject(header: Buffer, frames: Buffer[]): Buffer {
  return Buffer.concat([header, ...frames]);
}

export function flipBit(buffer: Buffer, offset: number, bit = 0): Buffer {
  const copy = Buffer.from(buffer);
  copy[offset] = copy[offset]! ^ (1 << bit);
  return copy;
}

/** Asserts that decrypting `promise` fails with BACKUP_OBJECT_DAMAGED naming the object. */
export async function expectDamaged(
  promise: Promise<unknown>,
  objectId = identity.objectId,
): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.code).toBe('BACKUP_OBJECT_DAMAGED');
  expect(appError.message).toContain(objectId);
  return appError;
}

/** Deterministic bytes, so failures reproduce. */
export function patternBytes(length: number, seed = 0): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return bytes;
}

/** Compares bytes without Vitest's deep equality, which walks every index of a large Buffer. */
export function expectSameBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  expect(actual.equals(expected)).toBe(true);
}
