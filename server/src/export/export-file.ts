import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { AppError } from '../errors/app-error.js';

/**
 * The company key export file (`.rkx`), format version 1:
 *
 *   offset  size  field
 *   0       4     magic "RKX1"
 *   4       1     format version (1)
 *   5       1     key derivation: 1 = scrypt
 *   6       1     log2(N), the scrypt cost (17: N = 131072)
 *   7       1     r, the scrypt block size (8)
 *   8       1     p, the scrypt parallelism (1)
 *   9       16    salt
 *   25      12    AES-256-GCM nonce
 *   37      ...   ciphertext of the JSON payload, then the 16-byte tag
 *
 * The 37-byte header is the GCM additional data, so changing any parameter fails decryption. The
 * key is scrypt(passphrase, salt, N, r, p) with 32 bytes of output; N = 2^17, r = 8, p = 1 needs
 * 128 MiB and is the minimum this code writes or accepts.
 */
const magic = Buffer.from('RKX1', 'ascii');
const formatVersion = 1;
const headerBytes = 37;
const tagBytes = 16;
export const minLog2N = 17;
const scryptR = 8;
const scryptP = 1;
export const minPassphraseLength = 16;

export interface ExportedKeys {
  companyId: string;
  companyName: string;
  exportedAt: string;
  /** Company key versions, the key itself base64-encoded. */
  keys: Array<{ version: number; key: string }>;
}

function deriveKey(passphrase: string, salt: Buffer, log2N: number, r: number, p: number): Buffer {
  const n = 2 ** log2N;
  return scryptSync(passphrase.normalize('NFC'), salt, 32, { N: n, r, p, maxmem: 256 * n * r });
}

/** Encrypts the payload under the passphrase; the caller checks the passphrase length first. */
export function sealExport(payload: ExportedKeys, passphrase: string, log2N = minLog2N): Buffer {
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const header = Buffer.concat([
    magic,
    Buffer.from([formatVersion, 1, log2N, scryptR, scryptP]),
    salt,
    nonce,
  ]);
  const key = deriveKey(passphrase, salt, log2N, scryptR, scryptP);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(header);
    const plaintext = Buffer.from(JSON.stringify(payload), 'utf8');
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    plaintext.fill(0);
    return Buffer.concat([header, ciphertext, cipher.getAuthTag()]);
  } finally {
    key.fill(0);
  }
}

/** Decrypts an export file; a wrong passphrase or any change to the file fails with INVALID_INPUT. */
export function openExport(file: Buffer, passphrase: string): ExportedKeys {
  if (file.length < headerBytes + tagBytes || !file.subarray(0, 4).equals(magic)) {
    throw new AppError('INVALID_INPUT', 'The file is not a RedApp company key export (no RKX1 header).');
  }
  const [version, kdf, log2N, r, p] = file.subarray(4, 9);
  if (version !== formatVersion || kdf !== 1) {
    throw new AppError(
      'INVALID_INPUT',
      `The export file has format ${version} / key derivation ${kdf}; this version reads 1 / 1 (scrypt).`,
    );
  }
  if (log2N! < minLog2N || log2N! > 22 || r !== scryptR || p !== scryptP) {
    throw new AppError(
      'INVALID_INPUT',
      `The export file's scrypt parameters (2^${log2N}, ${r}, ${p}) are outside what RedApp writes.`,
    );
  }

  const header = file.subarray(0, headerBytes);
  const key = deriveKey(passphrase, file.subarray(9, 25), log2N!, r!, p!);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, file.subarray(25, 37));
    decipher.setAAD(header);
    decipher.setAuthTag(file.subarray(file.length - tagBytes));
    const plaintext = Buffer.concat([
      decipher.update(file.subarray(headerBytes, file.length - tagBytes)),
      decipher.final(),
    ]);
    return JSON.parse(plaintext.toString('utf8')) as ExportedKeys;
  } catch {
    throw new AppError('INVALID_INPUT', 'The passphrase is wrong or the export file was changed.');
  } finally {
    key.fill(0);
  }
}
