import { AppError } from '../../errors/app-error.js';
import { type AwsKmsConfig, accountOfKeyArn, accountOfRoleArn } from './aws-kms-config.js';

/** The AWS call that failed, as it appears in messages. */
export type AwsAction =
  | 'sts:GetCallerIdentity'
  | 'sts:AssumeRole'
  | 'kms:DescribeKey'
  | 'kms:GenerateDataKey'
  | 'kms:Encrypt'
  | 'kms:Decrypt'
  | 'kms:ListGrants';

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const platformCredentialErrors = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'CredentialsProviderError',
]);
const transientErrors = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ThrottlingException',
  'Throttling',
  'KMSInternalException',
  'DependencyTimeoutException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'IDPCommunicationError',
]);
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
]);

/** Whether the error is worth retrying: network failures, timeouts, throttling and 5xx responses. */
export function isTransientAwsError(error: unknown): boolean {
  const e = (error ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  return (
    transientErrors.has(e.name ?? '') ||
    networkCodes.has(e.code ?? '') ||
    networkCodes.has((e as { cause?: SdkError }).cause?.code ?? '') ||
    (status !== undefined && status >= 500)
  );
}

/**
 * Translates an SDK error from one AWS call into the catalogue: the one place where AWS's error names
 * and messages are read. The raw text goes into `cause` (logged with the request id), never into the
 * message returned to the client.
 */
export function translateAwsError(error: unknown, action: AwsAction, config: AwsKmsConfig): AppError {
  const e = (error ?? {}) as SdkError;
  const name = e.name ?? '';
  const text = e.message ?? '';
  const options = { cause: error, details: { action } };

  if (isTransientAwsError(error)) {
    return new AppError(
      'PROVIDER_UNREACHABLE',
      `AWS did not answer ${action} in time or answered with a server error.`,
      options,
    );
  }
  if (
    platformCredentialErrors.has(name) ||
    (name === 'ExpiredTokenException' && action === 'sts:GetCallerIdentity')
  ) {
    return new AppError(
      'PLATFORM_CREDENTIALS',
      `AWS rejected the CyberSentriq platform credentials on ${action}.`,
      options,
    );
  }

  // An AssumeRole refused inside the SDK's credential provider surfaces on the KMS call that needed it.
  if (action === 'sts:AssumeRole' || /\bsts:AssumeRole\b/.test(text)) {
    if (name === 'AccessDenied' || name === 'AccessDeniedException') {
      return new AppError(
        'ROLE_ACCESS_DENIED',
        `Access denied: CyberSentriq could not assume the role ${config.roleArn} with the External ID you entered.`,
        options,
      );
    }
    if (name === 'RegionDisabledException') {
      return new AppError(
        'ROLE_ACCESS_DENIED',
        `Access denied: AWS STS is not activated in region ${config.region} for the role's account.`,
        options,
      );
    }
  }

  switch (name) {
    case 'NotFoundException':
      return keyNotFound(config, options);
    case 'DisabledException':
      return new AppError('KEY_DISABLED', `The KMS key is disabled: ${config.keyArn}.`, options);
    case 'KMSInvalidStateException':
      return new AppError(
        'KEY_PENDING_DELETION',
        `The KMS key ${config.keyArn} is not usable in its current state (pending deletion or import).`,
        options,
      );
    case 'InvalidKeyUsageException':
      return new AppError(
        'KEY_NOT_SYMMETRIC',
        `Asymmetric KMS key is not supported: ${config.keyArn} cannot ${action}.`,
        options,
      );
    case 'InvalidCiphertextException':
    case 'IncorrectKeyException':
      return new AppError(
        'KEY_UNAVAILABLE',
        `AWS KMS rejected the stored ciphertext on ${action}: it was not produced by ${config.keyArn} with this company's encryption context.`,
        options,
      );
    case 'AccessDeniedException':
    case 'AccessDenied':
      return accessDenied(text, action, config, options);
  }
  return new AppError(
    'PROVIDER_UNREACHABLE',
    `AWS answered ${action} with an unexpected error (${name || 'unknown'}).`,
    options,
  );
}

function keyNotFound(
  config: AwsKmsConfig,
  options: { cause: unknown; details: Record<string, unknown> },
): AppError {
  return new AppError(
    'KEY_NOT_FOUND',
    `KMS key not found: there is no key ${config.keyArn} in region ${config.region} that the role can see.`,
    options,
  );
}

/**
 * KMS answers AccessDenied for three different causes, told apart by the message AWS writes:
 * an explicit Deny in the key policy, a missing Allow in the role's own policy, and a key in another
 * account that does not exist or does not share itself (KMS does not reveal which).
 */
function accessDenied(
  text: string,
  action: AwsAction,
  config: AwsKmsConfig,
  options: { cause: unknown; details: Record<string, unknown> },
): AppError {
  if (/explicit deny in a resource-based policy/i.test(text)) {
    return new AppError(
      'KEY_POLICY_DENIES',
      `The key policy of ${config.keyArn} explicitly denies ${action} to the role.`,
      options,
    );
  }
  if (/no resource-based policy allows/i.test(text)) {
    // A key in another account that does not exist looks exactly like one that is not shared.
    if (accountOfKeyArn(config.keyArn) !== accountOfRoleArn(config.roleArn))
      return keyNotFound(config, options);
    return new AppError(
      'KEY_PERMISSION_MISSING',
      `The key policy of ${config.keyArn} does not allow ${action} to the role: it has no statement that delegates to IAM.`,
      {
        ...options,
        fix: "Ask your AWS admin to restore the key policy's default statement that allows the account root kms:*, so the role's IAM policy takes effect.",
      },
    );
  }
  if (/explicit deny in an identity-based policy/i.test(text)) {
    return new AppError(
      'KEY_PERMISSION_MISSING',
      `The role ${config.roleArn} has a policy that explicitly denies ${action} on the key.`,
      {
        ...options,
        fix: `Ask your AWS admin to remove the Deny for ${action} from the role's policies; the role needs both encrypt and decrypt on the key.`,
      },
    );
  }
  return new AppError(
    'KEY_PERMISSION_MISSING',
    `The role ${config.roleArn} is not allowed to ${action} on ${config.keyArn}.`,
    {
      ...options,
      fix: `Ask your AWS admin to grant ${action} on the key to the role (the role needs both encrypt and decrypt on the key), or to check that the key policy delegates to IAM.`,
    },
  );
}
