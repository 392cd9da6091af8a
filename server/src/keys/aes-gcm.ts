/**
 * AES-256-GCM for small values such as wrapped keys.
 *
 * A sealed value is `nonce (12 bytes) || ciphertext || tag (16 bytes)`. Each seal draws a fresh random
 * 96-bit nonce, which keeps the chance of a repeated nonce negligible up to about 2^32 seals under one
 * key (NIST SP 800-38D, section 8.3).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/** Returns a new random 256-bit key. The caller should zero it with `fill(0)` when done. */
export function generateKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** Encrypts `plaintext` under `key` with `aad` authenticated; returns nonce || ciphertext || tag. */
export function sealAesGcm(
  key: Buffer,
  plaintext: Buffer,
  aad: Buffer,
  nonce: Buffer = randomBytes(NONCE_BYTES),
): Buffer {
  assertKeyLength(key);

  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);

  return Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]);
}

/**
 * Decrypts a value from `sealAesGcm`. Returns undefined when the value is too short, was damaged, or
 * was sealed under another key or AAD: GCM cannot tell these apart, so callers raise one error.
 */
export function openAesGcm(key: Buffer, sealed: Buffer, aad: Buffer): Buffer | undefined {
  assertKeyLength(key);
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;

  const nonce = sealed.subarray(0, NONCE_BYTES);
  const ciphertext = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);

  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const plaintext = decipher.update(ciphertext);
  try {
    decipher.final();
  } catch {
    plaintext.fill(0);
    return undefined;
  }
  return plaintext;
}

export function assertKeyLength(key: Buffer): void {
  if (key.length !== KEY_BYTES) {
    throw new RangeError(`An AES-256 key is ${KEY_BYTES} bytes; this one is ${key.length}.`);
  }
}
