/**
 * Sealing of provider credentials (the Azure client secret) for storage: envelope encryption under
 * the CyberSentriq-managed provider. A random 256-bit data key encrypts the secret with AES-256-GCM;
 * the platform provider wraps the data key with a fixed context reserved for secrets. The GCM AAD binds
 * the ciphertext to what the secret belongs to (for Azure: tenant id and client id), so a sealed secret
 * copied into another configuration fails to open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../../errors/app-error.js';
import type { KeyProvider, WrapContext, WrappedKey } from '../provider-types.js';

export const SEALED_SECRET_FORMAT = 'redapp-sealed-secret-v1';

/**
 * The wrap context of every secret data key. Company ids are UUIDs, so this id never names a company
 * and a data key cannot be passed off as a company key.
 */
export const providerSecretContext: WrapContext = { companyId: 'provider-secret', companyKeyVersion: 1 };

/** A sealed secret, JSON-safe for the provider configuration column. */
export interface SealedSecret {
  format: typeof SEALED_SECRET_FORMAT;
  /** The data key as the platform provider wrapped it; binary fields in base64. */
  dataKey: Omit<WrappedKey, 'ciphertext'> & { ciphertext: string };
  /** 96-bit GCM nonce, base64. */
  nonce: string;
  /** AES-256-GCM ciphertext followed by the 16-byte tag, base64. */
  ciphertext: string;
}

export function isSealedSecret(value: unknown): value is SealedSecret {
  const candidate = value as SealedSecret | null | undefined;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.format === SEALED_SECRET_FORMAT &&
    typeof candidate.nonce === 'string' &&
    typeof candidate.ciphertext === 'string' &&
    typeof candidate.dataKey?.ciphertext === 'string'
  );
}

function aad(binding: string): Buffer {
  return Buffer.from(`${SEALED_SECRET_FORMAT}\0${binding}`, 'utf8');
}

/** Encrypts `secret` under a new data key wrapped by the platform provider; `binding` names its owner. */
export async function sealProviderSecret(
  platform: KeyProvider,
  secret: string,
  binding: string,
): Promise<SealedSecret> {
  const dataKey = randomBytes(32);
  try {
    const wrapped = await platform.wrapKey(dataKey, providerSecretContext);
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dataKey, nonce).setAAD(aad(binding));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return {
      format: SEALED_SECRET_FORMAT,
      dataKey: {
        ...wrapped,
        context: { ...wrapped.context },
        ciphertext: wrapped.ciphertext.toString('base64'),
      },
      nonce: nonce.toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Decrypts a sealed secret. Raises KEY_UNAVAILABLE when it was sealed for another `binding`, was
 * changed, or its data key cannot be unwrapped; the message never contains the secret.
 */
export async function openProviderSecret(
  platform: KeyProvider,
  sealed: SealedSecret,
  binding: string,
): Promise<string> {
  const dataKey = await platform.unwrapKey(
    { ...sealed.dataKey, ciphertext: Buffer.from(sealed.dataKey.ciphertext, 'base64') },
    providerSecretContext,
  );
  try {
    const body = Buffer.from(sealed.ciphertext, 'base64');
    if (body.length < 16) throw new Error('sealed secret shorter than its tag');
    const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(sealed.nonce, 'base64')).setAAD(
      aad(binding),
    );
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString(
      'utf8',
    );
  } catch (error) {
    throw new AppError(
      'KEY_UNAVAILABLE',
      'The stored provider secret cannot be decrypted: it was sealed for another configuration or is damaged.',
      {
        cause: error,
      },
    );
  } finally {
    dataKey.fill(0);
  }
}
