/**
 * The CyberSentriq-managed provider, production option: company keys wrapped by a KMS key in the
 * platform's own AWS account, reached with the platform's own credentials (the SDK's default credential
 * chain, no role assumption).
 *
 * Wrap is KMS Encrypt and unwrap is KMS Decrypt, both with the company's EncryptionContext and the key
 * ARN pinned. Every response's KeyId must equal the requested key ARN, so a misrouted or substituted key
 * is rejected. SDK errors are translated to the error catalogue here; their raw text stays in `cause`,
 * which is logged and never sent to clients.
 */
import { performance } from 'node:perf_hooks';
import {
  DecryptCommand,
  type DecryptCommandOutput,
  EncryptCommand,
  type EncryptCommandOutput,
  KMSClient,
} from '@aws-sdk/client-kms';
import { AppError, invalidInput } from '../../errors/app-error.js';
import { generateKey } from '../../keys/aes-gcm.js';
import { companyEncryptionContext } from '../encryption-context.js';
import type {
  ConnectionTestResult,
  KeyProvider,
  ProviderDescription,
  WrapContext,
  WrappedKey,
} from '../provider-types.js';
import { assertWrapContext, sameContext } from '../wrap-context.js';

export const PLATFORM_KMS_MECHANISM = 'AWS-KMS-SYMMETRIC_DEFAULT';
export const PLATFORM_KMS_FORMAT_VERSION = 1;

const KEY_ARN_PATTERN =
  /^arn:aws(?:-cn|-us-gov)?:kms:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

/** The two KMS calls this provider makes; a KMSClient satisfies it, and tests pass a small fake. */
export interface PlatformKmsClient {
  send(command: EncryptCommand): Promise<EncryptCommandOutput>;
  send(command: DecryptCommand): Promise<DecryptCommandOutput>;
}

export interface PlatformKmsConfig {
  /** Full key ARN of the platform KMS key that new wraps use (an alias ARN is rejected). */
  keyArn: string;
  /** Key ARNs of earlier platform keys whose wrapped company keys must still unwrap. */
  previousKeyArns?: string[];
  /** KMS endpoint URL, for the local sandbox only; unset in production. */
  endpoint?: string;
}

/** Returns the region in a KMS key ARN, or undefined when the string is not a full KMS key ARN. */
export function regionOfKeyArn(keyArn: string): string | undefined {
  return KEY_ARN_PATTERN.exec(keyArn)?.[1];
}

/**
 * Creates a KMSClient for the platform key: region from the key ARN, credentials from the default chain
 * (environment, shared files, container or instance role).
 */
export function createPlatformKmsClient(config: PlatformKmsConfig): KMSClient {
  const region = regionOfKeyArn(config.keyArn);
  if (region === undefined) throw invalidKeyArn('keyArn');

  return new KMSClient({ region, ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }) });
}

export class PlatformKmsKeyProvider implements KeyProvider {
  readonly providerType = 'cybersentriq' as const;
  readonly #keyArn: string;
  readonly #acceptedKeyArns: ReadonlySet<string>;
  readonly #client: PlatformKmsClient;

  constructor(config: PlatformKmsConfig, client: PlatformKmsClient) {
    for (const [index, arn] of [config.keyArn, ...(config.previousKeyArns ?? [])].entries()) {
      if (regionOfKeyArn(arn) === undefined) throw invalidKeyArn(index === 0 ? 'keyArn' : 'previousKeyArns');
    }

    this.#keyArn = config.keyArn;
    this.#acceptedKeyArns = new Set([config.keyArn, ...(config.previousKeyArns ?? [])]);
    this.#client = client;
  }

  async wrapKey(plaintextKey: Buffer, context: WrapContext): Promise<WrappedKey> {
    assertWrapContext(context);
    if (plaintextKey.length !== 32) {
      throw new RangeError(`wrapKey expects a 32-byte company key; got ${plaintextKey.length} bytes.`);
    }

    const response = await this.#call('Encrypt', context, () =>
      this.#client.send(
        new EncryptCommand({
          KeyId: this.#keyArn,
          Plaintext: plaintextKey,
          EncryptionContext: companyEncryptionContext(context),
        }),
      ),
    );

    // Postcondition: the key that encrypted is the configured key.
    this.#checkResponseKeyId(response.KeyId, this.#keyArn, context, 'wrap');
    if (response.CiphertextBlob === undefined || response.CiphertextBlob.length === 0) {
      throw unavailable(context, 'KMS Encrypt returned no ciphertext', undefined, 'wrap');
    }

    return {
      providerType: this.providerType,
      providerKeyId: this.#keyArn,
      mechanism: PLATFORM_KMS_MECHANISM,
      formatVersion: PLATFORM_KMS_FORMAT_VERSION,
      ciphertext: Buffer.from(response.CiphertextBlob),
      context: { ...context },
    };
  }

  async unwrapKey(wrapped: WrappedKey, context: WrapContext): Promise<Buffer> {
    assertWrapContext(context);
    const supported =
      wrapped.providerType === 'cybersentriq' &&
      wrapped.mechanism === PLATFORM_KMS_MECHANISM &&
      wrapped.formatVersion === PLATFORM_KMS_FORMAT_VERSION;
    if (!supported) {
      throw unavailable(
        context,
        `the wrapped key (${wrapped.mechanism}) was not made by the platform KMS key`,
      );
    }
    if (!this.#acceptedKeyArns.has(wrapped.providerKeyId)) {
      throw unavailable(
        context,
        `the wrapped key names KMS key ${wrapped.providerKeyId}, which is not configured`,
      );
    }
    if (!sameContext(wrapped.context, context)) {
      throw unavailable(context, 'the wrapped key was bound to another company or company key version');
    }

    const response = await this.#call('Decrypt', context, () =>
      this.#client.send(
        new DecryptCommand({
          KeyId: wrapped.providerKeyId,
          CiphertextBlob: wrapped.ciphertext,
          EncryptionContext: companyEncryptionContext(context),
        }),
      ),
    );

    // Postcondition: the key that decrypted is the one recorded in the wrapped key.
    this.#checkResponseKeyId(response.KeyId, wrapped.providerKeyId, context, 'unwrap');
    if (response.Plaintext?.length !== 32) {
      response.Plaintext?.fill(0);
      throw unavailable(context, 'KMS Decrypt returned a plaintext that is not a 32-byte key');
    }

    const plaintextKey = Buffer.alloc(32);
    plaintextKey.set(response.Plaintext);
    response.Plaintext.fill(0);
    return plaintextKey;
  }

  describe(): ProviderDescription {
    return {
      providerType: this.providerType,
      backend: 'aws-kms',
      providerKeyId: this.#keyArn,
      mechanism: PLATFORM_KMS_MECHANISM,
      details: { acceptedKeyArns: [...this.#acceptedKeyArns] },
    };
  }

  async testConnection(): Promise<ConnectionTestResult> {
    const started = performance.now();
    const context = { companyId: 'connection-test', companyKeyVersion: 1 };
    const key = generateKey();

    try {
      const unwrapped = await this.unwrapKey(await this.wrapKey(key, context), context);
      const matches = unwrapped.equals(key);
      unwrapped.fill(0);
      if (!matches) throw new AppError('INTERNAL', 'The platform KMS key round trip returned another key.');

      return { providerKeyId: this.#keyArn, durationMs: performance.now() - started };
    } finally {
      key.fill(0);
    }
  }

  #checkResponseKeyId(
    responseKeyId: string | undefined,
    expected: string,
    context: WrapContext,
    operation: 'wrap' | 'unwrap',
  ): void {
    if (responseKeyId === expected) return;
    throw unavailable(
      context,
      `KMS returned key ${responseKeyId ?? '(none)'} instead of the requested ${expected}`,
      undefined,
      operation,
    );
  }

  async #call<T>(action: string, context: WrapContext, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw translateKmsError(error, action, this.#keyArn, context);
    }
  }
}

const CREDENTIAL_ERRORS = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'CredentialsProviderError',
]);
const KEY_STATE_ERRORS = new Set(['NotFoundException', 'DisabledException', 'KMSInvalidStateException']);
const CIPHERTEXT_ERRORS = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);
const TRANSIENT_ERRORS = new Set([
  'ThrottlingException',
  'KMSInternalException',
  'DependencyTimeoutException',
  'KeyUnavailableException',
  'TimeoutError',
  'RequestTimeout',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * Translates an error from a platform KMS call into the error catalogue. The message names the action
 * and the key ARN but never repeats the SDK's text, which stays in `cause` for the log.
 */
export function translateKmsError(
  error: unknown,
  action: string,
  keyArn: string,
  context: WrapContext,
): AppError {
  const name = (error as { name?: string } | null)?.name ?? '';
  const code = (error as { code?: string } | null)?.code ?? '';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;

  if (CIPHERTEXT_ERRORS.has(name)) {
    return unavailable(
      context,
      `KMS ${action} rejected the wrapped key as damaged or bound to another context`,
      error,
    );
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    return new AppError(
      'PLATFORM_CREDENTIALS',
      `KMS ${action} on the platform key ${keyArn} failed: the platform credentials were rejected (${name}).`,
      { cause: error, details: { action } },
    );
  }
  if (KEY_STATE_ERRORS.has(name)) {
    return new AppError(
      'PLATFORM_CREDENTIALS',
      `KMS ${action} failed because the platform key ${keyArn} is missing, disabled or not usable (${name}).`,
      { cause: error, details: { action } },
    );
  }
  if (TRANSIENT_ERRORS.has(name) || NETWORK_CODES.has(code) || (status !== undefined && status >= 500)) {
    return new AppError(
      'PROVIDER_UNREACHABLE',
      `KMS ${action} on the platform key did not complete (${name || code}).`,
      {
        cause: error,
        details: { action },
      },
    );
  }
  return new AppError('INTERNAL', `KMS ${action} on the platform key failed unexpectedly.`, {
    cause: error,
    details: { action },
  });
}

function invalidKeyArn(field: string): AppError {
  return invalidInput(
    field,
    'is not a full KMS key ARN',
    'arn:aws:kms:<region>:<12-digit account>:key/<key id>',
  );
}

function unavailable(
  context: WrapContext,
  problem: string,
  cause?: unknown,
  operation: 'wrap' | 'unwrap' = 'unwrap',
): AppError {
  return new AppError(
    'KEY_UNAVAILABLE',
    `Company key version ${context.companyKeyVersion} of company ${context.companyId} failed to ${operation}: ${problem}.`,
    { cause, details: { companyId: context.companyId, companyKeyVersion: context.companyKeyVersion } },
  );
}
