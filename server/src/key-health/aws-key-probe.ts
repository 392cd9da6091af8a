import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  type KMSClient,
  ListGrantsCommand,
} from '@aws-sdk/client-kms';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { AppError } from '../errors/app-error.js';
import {
  type AwsPlatformSettings,
  assumedRoleSessionSeconds,
  platformStsClient,
  staticKmsClient,
} from '../providers/aws-kms/aws-clients.js';
import { type AwsKmsConfig, parseAwsKmsConfig } from '../providers/aws-kms/aws-kms-config.js';
import { checkKeyUsable } from '../providers/aws-kms/aws-kms-connection-test.js';
import { type AwsAction, translateAwsError } from '../providers/aws-kms/aws-kms-errors.js';
import { failedObservation, type KeyHealthProbe } from './key-health-probe.js';
import type { KeyHealthObservation } from './key-health-types.js';

/** The session name of the check's AssumeRole, as the customer's CloudTrail records it. */
export const keyHealthSessionName = 'redapp-key-health';

/**
 * The test plaintext. It is no secret: decrypting it back proves that the key still decrypts what it
 * encrypted, with the check's own encryption context, without touching any company key.
 */
const healthPlaintext = Buffer.from('cybersentriq key health check v1');

function healthEncryptionContext(companyId: string): Record<string, string> {
  return { 'cybersentriq:company-id': companyId, 'cybersentriq:purpose': 'key-health' };
}

async function call<T>(action: AwsAction, config: AwsKmsConfig, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw translateAwsError(error, action, config);
  }
}

/**
 * Checks a company's AWS KMS key the way later use needs it: AssumeRole, DescribeKey, Decrypt of the
 * stored test ciphertext (made with Encrypt when absent), and ListGrants. The AssumeRole is a fresh
 * one from the platform's credentials, so a trust policy edit shows at once. The provider instead
 * keeps its session for up to 15 minutes. Never raises: every failure becomes a state.
 */
export async function probeAwsKey(
  config: AwsKmsConfig,
  settings: AwsPlatformSettings,
  companyId: string,
  storedCiphertext: Buffer | null,
): Promise<KeyHealthObservation> {
  const sts = platformStsClient(settings, config.region);
  let kms: KMSClient | undefined;
  try {
    const assumed = await call('sts:AssumeRole', config, () =>
      sts.send(
        new AssumeRoleCommand({
          RoleArn: config.roleArn,
          ExternalId: config.externalId,
          RoleSessionName: keyHealthSessionName,
          DurationSeconds: assumedRoleSessionSeconds,
        }),
      ),
    );
    const credentials = assumed.Credentials;
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
      throw new AppError('PROVIDER_UNREACHABLE', 'AWS STS AssumeRole returned no credentials.');
    }
    kms = staticKmsClient(settings, config.region, {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
    });

    await describeKey(kms, config);
    const createdCiphertext = await decryptTestCiphertext(kms, config, companyId, storedCiphertext);
    const unknownGrants = await countUnknownGrants(kms, config);

    return {
      state: 'ok',
      message:
        unknownGrants === 0
          ? `CyberSentriq assumed ${config.roleArn} and decrypted with ${config.keyArn}.`
          : `CyberSentriq assumed ${config.roleArn} and decrypted with ${config.keyArn}; the key has ${unknownGrants} grant(s) to other principals than the role.`,
      deletionDate: null,
      unknownGrants,
      ...(createdCiphertext ? { createdCiphertext } : {}),
    };
  } catch (error) {
    return observationOfError(error);
  } finally {
    kms?.destroy();
    sts.destroy();
  }
}

async function describeKey(kms: KMSClient, config: AwsKmsConfig): Promise<void> {
  const response = await call('kms:DescribeKey', config, () =>
    kms.send(new DescribeKeyCommand({ KeyId: config.keyArn })),
  );
  const key = response.KeyMetadata;
  // Postcondition: DescribeKey describes the saved key ARN.
  if (key?.Arn !== config.keyArn) {
    throw new AppError(
      'KEY_NOT_FOUND',
      `KMS key not found: DescribeKey returned ${key?.Arn ?? 'no key'} instead of ${config.keyArn}.`,
    );
  }
  checkKeyUsable(key, config);
}

/** Decrypts the stored test ciphertext, or makes one first. Returns the new ciphertext when it made one. */
async function decryptTestCiphertext(
  kms: KMSClient,
  config: AwsKmsConfig,
  companyId: string,
  stored: Buffer | null,
): Promise<Buffer | undefined> {
  const encryptionContext = healthEncryptionContext(companyId);
  let created: Buffer | undefined;
  let ciphertext = stored;
  if (!ciphertext) {
    const encrypted = await call('kms:Encrypt', config, () =>
      kms.send(
        new EncryptCommand({
          KeyId: config.keyArn,
          Plaintext: healthPlaintext,
          EncryptionContext: encryptionContext,
        }),
      ),
    );
    if (!encrypted.CiphertextBlob?.length) {
      throw new AppError('PROVIDER_UNREACHABLE', 'AWS KMS Encrypt returned no ciphertext.');
    }
    created = Buffer.from(encrypted.CiphertextBlob);
    ciphertext = created;
  }

  let decrypted: Awaited<ReturnType<typeof decrypt>>;
  try {
    decrypted = await decrypt(kms, config, ciphertext, encryptionContext);
  } catch (error) {
    // A stored ciphertext that this key did not make (left from an earlier key) is replaced once.
    if (stored && error instanceof AppError && error.code === 'KEY_UNAVAILABLE') {
      return decryptTestCiphertext(kms, config, companyId, null);
    }
    throw error;
  }
  // Postconditions: the response names the saved key and contains the test plaintext.
  if (decrypted.KeyId !== config.keyArn) {
    throw new AppError(
      'KEY_NOT_FOUND',
      `KMS key not found: kms:Decrypt returned key ${decrypted.KeyId ?? '(none)'} instead of ${config.keyArn}.`,
    );
  }
  if (!decrypted.Plaintext || !healthPlaintext.equals(Buffer.from(decrypted.Plaintext))) {
    throw new AppError(
      'KEY_UNAVAILABLE',
      'AWS KMS Decrypt returned other bytes than the test ciphertext holds.',
    );
  }
  return created;
}

function decrypt(
  kms: KMSClient,
  config: AwsKmsConfig,
  ciphertext: Buffer,
  encryptionContext: Record<string, string>,
) {
  return call('kms:Decrypt', config, () =>
    kms.send(
      new DecryptCommand({
        KeyId: config.keyArn,
        CiphertextBlob: ciphertext,
        EncryptionContext: encryptionContext,
      }),
    ),
  );
}

/**
 * Counts grants on the key whose grantee is neither the role nor a session of it. The setup script
 * lets the role create grants only for itself, so any other grantee was added by someone else.
 */
async function countUnknownGrants(kms: KMSClient, config: AwsKmsConfig): Promise<number> {
  const sessionPrefix = assumedRolePrefix(config.roleArn);
  let unknown = 0;
  let marker: string | undefined;
  do {
    const page = await call('kms:ListGrants', config, () =>
      kms.send(new ListGrantsCommand({ KeyId: config.keyArn, Limit: 100, Marker: marker })),
    );
    for (const grant of page.Grants ?? []) {
      const grantee = grant.GranteePrincipal ?? '';
      if (grantee !== config.roleArn && !grantee.startsWith(sessionPrefix)) unknown += 1;
    }
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return unknown;
}

/** `arn:aws:iam::111122223333:role/path/Name` → `arn:aws:sts::111122223333:assumed-role/Name/`. */
function assumedRolePrefix(roleArn: string): string {
  const [, partition, , , account, resource] = roleArn.split(':');
  const roleName = resource?.split('/').at(-1) ?? '';
  return `arn:${partition}:sts::${account}:assumed-role/${roleName}/`;
}

function observationOfError(error: unknown): KeyHealthObservation {
  return failedObservation(error, (appError) => {
    switch (appError.code) {
      case 'KEY_DISABLED':
        return { state: 'key_disabled', deletionDate: null };
      case 'KEY_PENDING_DELETION': {
        const date = appError.details?.deletionDate;
        return { state: 'key_pending_deletion', deletionDate: date ? new Date(String(date)) : null };
      }
      case 'PROVIDER_UNREACHABLE':
        return { state: 'unreachable', deletionDate: null };
      default:
        // A denied AssumeRole, a missing permission, a key policy deny, a deleted key or rejected platform
        // credentials: CyberSentriq cannot use the key until someone changes AWS.
        return { state: 'access_denied', deletionDate: null };
    }
  });
}

/** The key health probe of companies on AWS KMS, with the platform's own AWS credentials. */
export function awsKeyHealthProbe(settings: AwsPlatformSettings): KeyHealthProbe {
  return {
    async probe({ companyId, providerConfig, storedCiphertext }) {
      const config = parseAwsKmsConfig(providerConfig);
      const observation = await probeAwsKey(config, settings, companyId, storedCiphertext);
      return { providerKeyId: config.keyArn, observation };
    },
  };
}
