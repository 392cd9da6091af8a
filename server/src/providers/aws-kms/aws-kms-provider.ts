import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { AppError } from '../../errors/app-error.js';
import type { ConnectionTestReport } from '../connection-test.js';
import { companyEncryptionContext } from '../encryption-context.js';
import type {
  ConnectionTestResult,
  KeyProvider,
  ProviderDescription,
  WrapContext,
  WrappedKey,
} from '../provider-types.js';
import { assertWrapContext, sameContext } from '../wrap-context.js';
import { type AwsPlatformSettings, assumedRoleKmsClient } from './aws-clients.js';
import { type AwsKmsConfig, parseAwsKmsConfig } from './aws-kms-config.js';
import { runAwsConnectionTest } from './aws-kms-connection-test.js';
import { type AwsAction, translateAwsError } from './aws-kms-errors.js';

export const AWS_KMS_MECHANISM = 'AWS-KMS-SYMMETRIC_DEFAULT';
export const AWS_KMS_FORMAT_VERSION = 1;

/**
 * The customer's own KMS key, reached through their IAM role: STS AssumeRole with the External ID
 * from the platform's credentials, then KMS calls in the key's region with a fixed encryption
 * context naming the company and the company key version. Every answer's KeyId is checked against
 * the saved key ARN, so a role that can reach another key cannot substitute it.
 */
export class AwsKmsKeyProvider implements KeyProvider {
  readonly providerType = 'aws-kms' as const;
  readonly config: AwsKmsConfig;
  readonly #settings: AwsPlatformSettings;
  readonly #kms: KMSClient;

  constructor(config: unknown, settings: AwsPlatformSettings, kmsClient?: KMSClient) {
    this.config = parseAwsKmsConfig(config);
    this.#settings = settings;
    this.#kms = kmsClient ?? assumedRoleKmsClient(settings, this.config, 'redapp-key-access');
  }

  async wrapKey(plaintextKey: Buffer, context: WrapContext): Promise<WrappedKey> {
    assertWrapContext(context);
    if (plaintextKey.length !== 32)
      throw new RangeError(`wrapKey expects a 32-byte company key; got ${plaintextKey.length}.`);

    const response = await this.#send('kms:Encrypt', () =>
      this.#kms.send(
        new EncryptCommand({
          KeyId: this.config.keyArn,
          Plaintext: plaintextKey,
          EncryptionContext: companyEncryptionContext(context),
        }),
      ),
    );
    this.#checkKeyId(response.KeyId, 'kms:Encrypt');
    if (!response.CiphertextBlob?.length) {
      throw new AppError('PROVIDER_UNREACHABLE', 'AWS KMS Encrypt returned no ciphertext.');
    }
    return {
      providerType: this.providerType,
      providerKeyId: this.config.keyArn,
      mechanism: AWS_KMS_MECHANISM,
      formatVersion: AWS_KMS_FORMAT_VERSION,
      ciphertext: Buffer.from(response.CiphertextBlob),
      context: { ...context },
    };
  }

  async unwrapKey(wrapped: WrappedKey, context: WrapContext): Promise<Buffer> {
    assertWrapContext(context);
    // Preconditions: the wrapped key is ours, for this key ARN and this context.
    if (
      wrapped.providerType !== 'aws-kms' ||
      wrapped.mechanism !== AWS_KMS_MECHANISM ||
      wrapped.formatVersion !== AWS_KMS_FORMAT_VERSION
    ) {
      throw unavailable(
        context,
        `it was wrapped by ${wrapped.providerType} (${wrapped.mechanism}), not AWS KMS`,
      );
    }
    if (wrapped.providerKeyId !== this.config.keyArn) {
      throw unavailable(
        context,
        `it was wrapped by ${wrapped.providerKeyId}, not the saved key ${this.config.keyArn}`,
      );
    }
    if (!sameContext(wrapped.context, context)) {
      throw unavailable(context, 'it was bound to another company or company key version');
    }

    const response = await this.#send('kms:Decrypt', () =>
      this.#kms.send(
        new DecryptCommand({
          KeyId: this.config.keyArn,
          CiphertextBlob: wrapped.ciphertext,
          EncryptionContext: companyEncryptionContext(context),
        }),
      ),
    );
    this.#checkKeyId(response.KeyId, 'kms:Decrypt');
    if (response.Plaintext?.length !== 32) {
      throw unavailable(context, 'AWS KMS Decrypt did not return a 32-byte key');
    }
    return Buffer.from(response.Plaintext);
  }

  describe(): ProviderDescription {
    return {
      providerType: this.providerType,
      backend: 'aws-kms',
      providerKeyId: this.config.keyArn,
      mechanism: AWS_KMS_MECHANISM,
      details: { roleArn: this.config.roleArn, region: this.config.region },
    };
  }

  async testConnection(): Promise<ConnectionTestResult> {
    const started = Date.now();
    const result = await runAwsConnectionTest(this.config, this.#settings, {
      companyId: 'connection-test',
      companyKeyVersion: 1,
    });
    if (result.error) throw result.error;
    return { providerKeyId: this.config.keyArn, durationMs: Date.now() - started };
  }

  /** Runs Test connection step by step with the company's encryption context. */
  runConnectionTest(context: WrapContext): Promise<ConnectionTestReport> {
    return runAwsConnectionTest(this.config, this.#settings, context);
  }

  async #send<T>(action: AwsAction, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw translateAwsError(error, action, this.config);
    }
  }

  /** Postcondition: the key id in the response must equal the saved key ARN. */
  #checkKeyId(keyId: string | undefined, action: AwsAction): void {
    if (keyId !== this.config.keyArn) {
      throw new AppError(
        'KEY_NOT_FOUND',
        `KMS key not found: AWS answered ${action} with key ${keyId ?? '(none)'} instead of the saved key ${this.config.keyArn}.`,
        { details: { action } },
      );
    }
  }
}

function unavailable(context: WrapContext, problem: string): AppError {
  return new AppError(
    'KEY_UNAVAILABLE',
    `Company key version ${context.companyKeyVersion} of company ${context.companyId} cannot be unwrapped: ${problem}.`,
    { details: { companyId: context.companyId, companyKeyVersion: context.companyKeyVersion } },
  );
}
