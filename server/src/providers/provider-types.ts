/**
 * The key provider contract: one small interface that every provider implements.
 *
 * A provider protects company keys: it wraps a company key under its provider key and unwraps it again.
 * Each wrapped key is bound to a context naming the company and the company key version, so a wrapped
 * key copied to another company or version fails to unwrap.
 */

/** Provider types known to the product. Only the registry maps a type to an implementation. */
export const providerTypes = ['cybersentriq', 'aws-kms', 'azure-key-vault'] as const;
export type ProviderType = (typeof providerTypes)[number];

/** The context a company key is bound to when wrapped (AWS: EncryptionContext, others: AAD). */
export interface WrapContext {
  companyId: string;
  /** Company key version, a positive integer. */
  companyKeyVersion: number;
}

/** A company key wrapped by a provider, with everything needed to unwrap it later. */
export interface WrappedKey {
  providerType: ProviderType;
  /**
   * The provider key that wrapped this key: the full key ARN for AWS KMS, the key id with version
   * for Azure Key Vault, and `platform-master-key/<version>` for the local platform master key.
   */
  providerKeyId: string;
  /** Wrapping mechanism, such as `AES-256-GCM` or `AWS-KMS-SYMMETRIC_DEFAULT`. */
  mechanism: string;
  /** Version of the ciphertext layout for this mechanism. */
  formatVersion: number;
  ciphertext: Buffer;
  context: WrapContext;
}

/** Non-secret facts a provider reports about itself; never key material or credentials. */
export interface ProviderDescription {
  providerType: ProviderType;
  /** Storage of the provider key, such as `local-file` or `aws-kms`. */
  backend: string;
  /** The provider key that new wraps use. */
  providerKeyId: string;
  mechanism: string;
  /** Extra non-secret facts, such as the master key versions on file. */
  details?: Record<string, unknown>;
}

/** Result of a successful connection test; failures raise an AppError instead. */
export interface ConnectionTestResult {
  providerKeyId: string;
  /** Wall-clock time of the test round trip in milliseconds. */
  durationMs: number;
}

export interface KeyProvider {
  readonly providerType: ProviderType;
  /** Wraps a 32-byte company key, binding it to the context. */
  wrapKey(plaintextKey: Buffer, context: WrapContext): Promise<WrappedKey>;
  /**
   * Unwraps a key wrapped by this provider type. The context must equal the one recorded at wrap
   * time; a mismatch or a damaged ciphertext raises AppError KEY_UNAVAILABLE. The caller owns the
   * returned buffer and should zero it with `fill(0)` when done.
   */
  unwrapKey(wrapped: WrappedKey, context: WrapContext): Promise<Buffer>;
  describe(): ProviderDescription;
  /** Wraps and unwraps a random key with a test context; raises an AppError on the first failure. */
  testConnection(): Promise<ConnectionTestResult>;
}
