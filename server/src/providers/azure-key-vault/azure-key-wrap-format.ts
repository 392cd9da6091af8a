/**
 * The Azure Key Vault wrapping format. RSA-OAEP in Key Vault takes no label, so the wrap context is
 * bound by content instead: the wrapped plaintext is the 32-byte company key followed by SHA-256 of
 * the context. OAEP is non-malleable, so a wrapped key moved to another company or company key version
 * unwraps to a digest that does not match, and is rejected.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { WrapContext } from '../provider-types.js';

export const AZURE_KEY_VAULT_MECHANISM = 'AZURE-KEY-VAULT-RSA-OAEP-256';
export const AZURE_KEY_VAULT_FORMAT_VERSION = 1;
export const AZURE_WRAP_ALGORITHM = 'RSA-OAEP-256';

function contextDigest(context: WrapContext): Buffer {
  return createHash('sha256')
    .update(`redapp-azure-company-key-v1\0${context.companyId}\0${context.companyKeyVersion}`, 'utf8')
    .digest();
}

/** The bytes sent to wrapKey: key (32 bytes) || SHA-256 of the context (32 bytes). */
export function wrapPayload(companyKey: Buffer, context: WrapContext): Buffer {
  return Buffer.concat([companyKey, contextDigest(context)]);
}

/** Returns the company key from unwrapped bytes, or undefined when their context digest does not match. */
export function companyKeyFromPayload(payload: Buffer, context: WrapContext): Buffer | undefined {
  if (payload.length !== 64) return undefined;
  if (!timingSafeEqual(payload.subarray(32), contextDigest(context))) return undefined;
  return Buffer.from(payload.subarray(0, 32));
}
