import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';

/**
 * Ciphertext blob of a symmetric key, a format of the sandbox's own:
 * "RSK1" | ARN length (2 bytes, big-endian) | key ARN | IV (12) | GCM tag (16) | AES-256-GCM ciphertext.
 * The key ARN lets Decrypt find the key without a KeyId. The additional authenticated data binds the key
 * ARN and the encryption context, so a wrong context fails the GCM tag check.
 */
const MAGIC = Buffer.from('RSK1');
const IV_LENGTH = 12;
const TAG_LENGTH = 16;

export class CiphertextError extends Error {
  override readonly name = 'CiphertextError';
}

export type EncryptionContext = Record<string, string>;

function additionalData(keyArn: string, context: EncryptionContext): Buffer {
  const pairs = Object.keys(context)
    .sort()
    .map((name) => [name, context[name]]);
  return createHash('sha256').update(keyArn).update('\0').update(JSON.stringify(pairs)).digest();
}

export function encryptSymmetric(
  keyArn: string,
  material: Buffer,
  plaintext: Buffer,
  context: EncryptionContext,
): Buffer {
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', material, iv);
  cipher.setAAD(additionalData(keyArn, context));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const arn = Buffer.from(keyArn, 'utf8');
  const arnLength = Buffer.alloc(2);
  arnLength.writeUInt16BE(arn.length);
  return Buffer.concat([MAGIC, arnLength, arn, iv, cipher.getAuthTag(), ciphertext]);
}

/** Reads the key ARN out of a ciphertext blob, or throws CiphertextError for a blob the sandbox did not make. */
export function ciphertextKeyArn(blob: Buffer): string {
  if (blob.length < MAGIC.length + 2 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new CiphertextError('not a sandbox ciphertext blob');
  }
  const arnLength = blob.readUInt16BE(MAGIC.length);
  if (blob.length < MAGIC.length + 2 + arnLength + IV_LENGTH + TAG_LENGTH)
    throw new CiphertextError('truncated ciphertext blob');
  return blob.subarray(MAGIC.length + 2, MAGIC.length + 2 + arnLength).toString('utf8');
}

export function decryptSymmetric(blob: Buffer, material: Buffer, context: EncryptionContext): Buffer {
  const keyArn = ciphertextKeyArn(blob);
  let offset = MAGIC.length + 2 + Buffer.byteLength(keyArn);
  const iv = blob.subarray(offset, offset + IV_LENGTH);
  offset += IV_LENGTH;
  const tag = blob.subarray(offset, offset + TAG_LENGTH);
  offset += TAG_LENGTH;
  const decipher = createDecipheriv('aes-256-gcm', material, iv);
  decipher.setAAD(additionalData(keyArn, context));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(blob.subarray(offset)), decipher.final()]);
  } catch {
    throw new CiphertextError('authentication tag mismatch');
  }
}

const CURVES: Record<string, string> = {
  ECC_NIST_P256: 'prime256v1',
  ECC_NIST_P384: 'secp384r1',
  ECC_NIST_P521: 'secp521r1',
  ECC_SECG_P256K1: 'secp256k1',
};

/** Generates key material for a key spec: base64 random bytes for symmetric and HMAC keys, a PKCS#8 PEM otherwise. */
export function generateMaterial(keySpec: string): string {
  if (keySpec === 'SYMMETRIC_DEFAULT') return randomBytes(32).toString('base64');
  const hmacBits = /^HMAC_(\d+)$/.exec(keySpec);
  if (hmacBits) return randomBytes(Number(hmacBits[1]) / 8).toString('base64');
  const rsaBits = /^RSA_(\d+)$/.exec(keySpec);
  if (rsaBits) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: Number(rsaBits[1]) });
    return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }
  const curve = CURVES[keySpec];
  if (!curve) throw new Error(`no key generation for key spec ${keySpec}`);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** DER-encoded SubjectPublicKeyInfo, as GetPublicKey returns it. */
export function publicKeyDer(materialPem: string): Buffer {
  return createPublicKey(createPrivateKey(materialPem)).export({ type: 'spki', format: 'der' });
}

const OAEP_HASHES: Record<string, string> = { RSAES_OAEP_SHA_1: 'sha1', RSAES_OAEP_SHA_256: 'sha256' };

export function rsaEncrypt(materialPem: string, algorithm: string, plaintext: Buffer): Buffer {
  const key = createPublicKey(createPrivateKey(materialPem));
  return publicEncrypt(
    { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASHES[algorithm] },
    plaintext,
  );
}

export function rsaDecrypt(materialPem: string, algorithm: string, ciphertext: Buffer): Buffer {
  try {
    return privateDecrypt(
      {
        key: createPrivateKey(materialPem),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: OAEP_HASHES[algorithm],
      },
      ciphertext,
    );
  } catch {
    throw new CiphertextError('RSA decryption failed');
  }
}

/** Largest plaintext RSAES-OAEP accepts: modulus bytes minus twice the hash length minus 2. */
export function rsaMaxPlaintext(keySpec: string, algorithm: string): number {
  const modulusBytes = Number(keySpec.slice('RSA_'.length)) / 8;
  const hashBytes = algorithm === 'RSAES_OAEP_SHA_1' ? 20 : 32;
  return modulusBytes - 2 * hashBytes - 2;
}
