import { randomBytes, randomUUID } from 'node:crypto';
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { AppError } from '../../errors/app-error.js';
import { type ConnectionTestReport, runSteps } from '../connection-test.js';
import { companyEncryptionContext } from '../encryption-context.js';
import type { WrapContext } from '../provider-types.js';
import {
  type AwsPlatformSettings,
  assumedRoleSessionSeconds,
  platformStsClient,
  staticKmsClient,
} from './aws-clients.js';
import type { AwsKmsConfig } from './aws-kms-config.js';
import { type AwsAction, translateAwsError } from './aws-kms-errors.js';

/**
 * The session name of the deliberate AssumeRole with a wrong External ID. The customer's CloudTrail
 * records that denied attempt under this name, and docs/setup.md asks security teams to expect it.
 */
export const externalIdCheckSessionName = 'redapp-externalid-check';

async function call<T>(action: AwsAction, config: AwsKmsConfig, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw translateAwsError(error, action, config);
  }
}

function checkKeyId(keyId: string | undefined, action: AwsAction, config: AwsKmsConfig): void {
  if (keyId !== config.keyArn) {
    throw new AppError(
      'KEY_NOT_FOUND',
      `KMS key not found: AWS answered ${action} with key ${keyId ?? '(none)'} instead of ${config.keyArn}.`,
    );
  }
}

/**
 * Runs every step that later use of the key needs, in order, and stops at the first failure:
 * platform credentials, AssumeRole with the External ID, a second AssumeRole with a random wrong
 * External ID that must be denied, DescribeKey, and a GenerateDataKey/Encrypt/Decrypt round trip
 * with the company's encryption context.
 */
export async function runAwsConnectionTest(
  config: AwsKmsConfig,
  settings: AwsPlatformSettings,
  context: WrapContext,
): Promise<ConnectionTestReport> {
  const sts = platformStsClient(settings, config.region);
  let kms: KMSClient | undefined;
  const encryptionContext = companyEncryptionContext(context);

  return runSteps([
    {
      name: 'Platform credentials',
      run: async () => {
        const identity = await call('sts:GetCallerIdentity', config, () =>
          sts.send(new GetCallerIdentityCommand({})),
        );
        return `CyberSentriq signed in to AWS as ${identity.Arn}.`;
      },
    },
    {
      name: 'Assume role',
      run: async () => {
        const response = await call('sts:AssumeRole', config, () =>
          sts.send(
            new AssumeRoleCommand({
              RoleArn: config.roleArn,
              ExternalId: config.externalId,
              RoleSessionName: 'redapp-connection-test',
              DurationSeconds: assumedRoleSessionSeconds,
            }),
          ),
        );
        const credentials = response.Credentials;
        if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
          throw new AppError('PROVIDER_UNREACHABLE', 'AWS STS AssumeRole returned no credentials.');
        }
        kms = staticKmsClient(settings, config.region, {
          accessKeyId: credentials.AccessKeyId,
          secretAccessKey: credentials.SecretAccessKey,
          sessionToken: credentials.SessionToken,
        });
        return `CyberSentriq assumed ${config.roleArn} with your External ID.`;
      },
    },
    {
      name: 'External ID enforced',
      run: async () => {
        try {
          await sts.send(
            new AssumeRoleCommand({
              RoleArn: config.roleArn,
              ExternalId: randomUUID(),
              RoleSessionName: externalIdCheckSessionName,
              DurationSeconds: assumedRoleSessionSeconds,
            }),
          );
        } catch (error) {
          const translated = translateAwsError(error, 'sts:AssumeRole', config);
          if (translated.code === 'ROLE_ACCESS_DENIED')
            return 'AWS refused the role to a wrong External ID, as it must.';
          throw translated;
        }
        throw new AppError(
          'EXTERNAL_ID_NOT_ENFORCED',
          `The role ${config.roleArn} can be assumed with a wrong External ID: its trust policy has no sts:ExternalId condition.`,
        );
      },
    },
    {
      name: 'Describe key',
      run: async () => {
        const response = await call('kms:DescribeKey', config, () =>
          kms!.send(new DescribeKeyCommand({ KeyId: config.keyArn })),
        );
        const key = response.KeyMetadata;
        if (key?.Arn !== config.keyArn) {
          throw new AppError(
            'KEY_NOT_FOUND',
            `KMS key not found: DescribeKey answered for ${key?.Arn ?? 'no key'} instead of ${config.keyArn}.`,
          );
        }
        checkKeyUsable(key, config);
        return `The key ${config.keyArn} is enabled, symmetric and for encryption.`;
      },
    },
    {
      name: 'Encrypt and decrypt',
      run: async () => {
        const dataKey = await call('kms:GenerateDataKey', config, () =>
          kms!.send(
            new GenerateDataKeyCommand({
              KeyId: config.keyArn,
              KeySpec: 'AES_256',
              EncryptionContext: encryptionContext,
            }),
          ),
        );
        checkKeyId(dataKey.KeyId, 'kms:GenerateDataKey', config);

        const sample = randomBytes(32);
        const encrypted = await call('kms:Encrypt', config, () =>
          kms!.send(
            new EncryptCommand({
              KeyId: config.keyArn,
              Plaintext: sample,
              EncryptionContext: encryptionContext,
            }),
          ),
        );
        checkKeyId(encrypted.KeyId, 'kms:Encrypt', config);

        for (const [blob, expected] of [
          [encrypted.CiphertextBlob, sample],
          [dataKey.CiphertextBlob, dataKey.Plaintext],
        ] as const) {
          const decrypted = await call('kms:Decrypt', config, () =>
            kms!.send(
              new DecryptCommand({
                KeyId: config.keyArn,
                CiphertextBlob: blob,
                EncryptionContext: encryptionContext,
              }),
            ),
          );
          checkKeyId(decrypted.KeyId, 'kms:Decrypt', config);
          if (
            !decrypted.Plaintext ||
            !expected ||
            !Buffer.from(decrypted.Plaintext).equals(Buffer.from(expected))
          ) {
            throw new AppError(
              'KEY_UNAVAILABLE',
              'AWS KMS Decrypt returned other bytes than were encrypted.',
            );
          }
        }
        sample.fill(0);
        return 'GenerateDataKey, Encrypt and Decrypt succeeded with the company encryption context.';
      },
    },
  ]);
}

interface KeyMetadataLike {
  KeyState?: string;
  KeySpec?: string;
  KeyUsage?: string;
  DeletionDate?: Date;
}

/** Raises the catalogue error for a key that exists but cannot protect company keys. */
export function checkKeyUsable(key: KeyMetadataLike, config: AwsKmsConfig): void {
  if (key.KeyState === 'Disabled') {
    throw new AppError('KEY_DISABLED', `The KMS key is disabled: ${config.keyArn}.`);
  }
  if (key.KeyState === 'PendingDeletion' || key.KeyState === 'PendingReplicaDeletion') {
    const date = key.DeletionDate ? key.DeletionDate.toISOString().slice(0, 10) : 'an unknown date';
    throw new AppError(
      'KEY_PENDING_DELETION',
      `The KMS key ${config.keyArn} is scheduled for deletion on ${date}.`,
      {
        details: { deletionDate: key.DeletionDate?.toISOString() },
      },
    );
  }
  if (key.KeySpec?.startsWith('HMAC')) {
    throw new AppError(
      'KEY_NOT_SYMMETRIC',
      `HMAC KMS key is not supported: ${config.keyArn} is ${key.KeySpec}, which cannot encrypt.`,
    );
  }
  if (key.KeySpec !== 'SYMMETRIC_DEFAULT') {
    throw new AppError(
      'KEY_NOT_SYMMETRIC',
      `Asymmetric KMS key is not supported: ${config.keyArn} is ${key.KeySpec}.`,
    );
  }
  if (key.KeyUsage !== 'ENCRYPT_DECRYPT') {
    throw new AppError(
      'KEY_NOT_SYMMETRIC',
      `The KMS key ${config.keyArn} is for ${key.KeyUsage}, not ENCRYPT_DECRYPT.`,
    );
  }
  if (key.KeyState !== 'Enabled') {
    throw new AppError(
      'KEY_DISABLED',
      `The KMS key ${config.keyArn} is in state ${key.KeyState}, not Enabled.`,
    );
  }
}
