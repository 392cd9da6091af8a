import type { WrapContext } from './provider-types.js';

/**
 * Builds the AWS KMS EncryptionContext for a company key: the company id and the company key version.
 * KMS binds it to the ciphertext as AAD, so Decrypt fails unless the same pairs are sent, and it
 * appears in CloudTrail entries, which lets an auditor see which company key each call was for.
 */
export function companyEncryptionContext(context: WrapContext): Record<string, string> {
  return {
    'cybersentriq:company-id': context.companyId,
    'cybersentriq:company-key-version': String(context.companyKeyVersion),
  };
}
