import { AppError } from '../../errors/app-error.js';
import type { AzureKeyVaultConfig } from './azure-key-vault-config.js';

/** The Azure call that failed, as it appears in messages: the token request or a Key Vault key operation. */
export type AzureAction = 'token' | 'get' | 'wrapKey' | 'unwrapKey';

interface AzureSdkError {
  name?: string;
  code?: string;
  statusCode?: number;
  message?: string;
  cause?: { code?: string };
  errorResponse?: { error?: string; errorDescription?: string };
  details?: { error?: { innererror?: { code?: string } } };
}

const networkUnreachableCodes = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  // A server responded without TLS, so it is not a vault.
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);
const transientCodes = new Set(['ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'ESOCKETTIMEDOUT', 'REQUEST_SEND_ERROR']);
const certificateCodes = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/;

/** Maps Key Vault's RBAC data actions back to the operation names customers grant. */
const operationOfDataAction: Record<string, string> = {
  'keys/read': 'get',
  'keys/wrap/action': 'wrapKey',
  'keys/unwrap/action': 'unwrapKey',
};

function errorCodeOf(error: AzureSdkError): string {
  return error.code ?? error.cause?.code ?? '';
}

/** Whether the error is worth retrying later: timeouts, throttling and server errors. */
export function isTransientAzureError(error: unknown): boolean {
  const e = (error ?? {}) as AzureSdkError;
  const status = e.statusCode;
  return (
    transientCodes.has(errorCodeOf(e)) ||
    e.name === 'AbortError' ||
    status === 408 ||
    status === 429 ||
    (status !== undefined && status >= 500)
  );
}

/**
 * A copy of the SDK error with its name, code, status and message only. SDK errors hold the HTTP request
 * (non-enumerable, but reachable), and the token request's body carries the client secret.
 */
function safeCause(cause: unknown): Error | undefined {
  if (cause === undefined) return undefined;
  const e = (cause ?? {}) as AzureSdkError;
  const copy = new Error(e.message ?? String(cause));
  copy.name = e.name ?? 'Error';
  return Object.assign(copy, { code: errorCodeOf(e) || undefined, statusCode: e.statusCode });
}

function option(action: AzureAction, cause: unknown, extra: Record<string, unknown> = {}) {
  return { cause: safeCause(cause), details: { action, ...extra } };
}

/**
 * Translates an error from Entra ID, Key Vault or the SDK's own key checks into the catalogue: the one
 * place where Azure's error codes and messages are read. The raw text goes into `cause` (logged),
 * never into the message a client receives.
 */
export function translateAzureError(
  error: unknown,
  action: AzureAction,
  config: Omit<AzureKeyVaultConfig, 'clientSecret'>,
): AppError {
  if (error instanceof AppError) return error;
  const e = (error ?? {}) as AzureSdkError;
  const text = `${e.message ?? ''} ${e.errorResponse?.errorDescription ?? ''}`;
  const code = errorCodeOf(e);
  const keyLabel = `${config.keyName} in ${config.vaultUrl}`;

  if (action === 'token' || e.name === 'AuthenticationError' || e.name === 'CredentialUnavailableError')
    return tokenError(e, text, code, config, error);

  if (networkUnreachableCodes.has(code) || certificateCodes.test(code) || /challenge resource/i.test(text)) {
    const problem = certificateCodes.test(code)
      ? 'its TLS certificate is not trusted'
      : /challenge resource/i.test(text)
        ? 'it did not answer as an Azure Key Vault'
        : 'no vault answers at that address';
    return new AppError(
      'AZURE_VAULT_UNREACHABLE',
      `Azure Key Vault not found or unreachable: ${config.vaultUrl} (${problem}).`,
      option(action, error, { code }),
    );
  }
  if (isTransientAzureError(error)) {
    return new AppError(
      'PROVIDER_UNREACHABLE',
      `Azure Key Vault did not answer ${action} in time or answered with a server error.`,
      option(action, error),
    );
  }

  const expired = /expired at (\S+)/.exec(text);
  if (expired)
    return keyDisabled(config, `expired (expiry date ${expired[1]!.slice(0, 10)})`, action, error, {
      expiresOn: expired[1],
    });
  const notBefore = /can't be used before (\S+)/.exec(text);
  if (notBefore)
    return keyDisabled(config, `not valid before ${notBefore[1]!.slice(0, 10)}`, action, error, {
      notBefore: notBefore[1],
    });
  if (/Operation \w+ is not supported on key/.test(text) || /not supported for a key of type/i.test(text))
    return keyTypeUnsupported(config, `its permitted operations or type exclude ${action}`, action, error);

  const inner = e.details?.error?.innererror?.code ?? '';
  if (e.statusCode === 404 || code === 'KeyNotFound') {
    return new AppError(
      'AZURE_KEY_NOT_FOUND',
      `Azure Key Vault key not found: there is no key ${keyLabel}${config.keyVersion ? ` with version ${config.keyVersion}` : ''}.`,
      option(action, error),
    );
  }
  if (e.statusCode === 401) {
    return new AppError(
      'AZURE_CREDENTIALS_REJECTED',
      `Azure Key Vault ${config.vaultUrl} rejected the app's token: the vault may belong to another tenant than ${config.tenantId}.`,
      option(action, error),
    );
  }
  if (e.statusCode === 403) {
    if (inner === 'KeyDisabled' || /disabled key/i.test(text))
      return keyDisabled(config, 'disabled', action, error);
    if (inner === 'KeyExpired' || /expired key/i.test(text))
      return keyDisabled(config, 'expired', action, error);
    if (inner === 'KeyNotYetValid' || /not yet valid/i.test(text))
      return keyDisabled(config, 'not yet valid', action, error);
    if (inner === 'KeyOperationForbidden' || /not permitted on this key/i.test(text))
      return keyTypeUnsupported(config, `its permitted operations exclude ${action}`, action, error);
    return permissionMissing(config, text, action, error);
  }
  if (e.statusCode === 400 && /algorithm|key type|incompatible/i.test(text))
    return keyTypeUnsupported(config, `it cannot ${action} with RSA-OAEP-256`, action, error);

  return new AppError(
    'PROVIDER_UNREACHABLE',
    `Azure Key Vault answered ${action} with an unexpected error (${code || e.statusCode || 'unknown'}).`,
    option(action, error),
  );
}

function tokenError(
  e: AzureSdkError,
  text: string,
  code: string,
  config: Omit<AzureKeyVaultConfig, 'clientSecret'>,
  error: unknown,
): AppError {
  const aadsts = /AADSTS(\d+)/.exec(text)?.[1];
  const details = option('token', error, aadsts ? { aadsts: `AADSTS${aadsts}` } : {});
  if (aadsts === '7000215' || aadsts === '7000222') {
    const problem =
      aadsts === '7000222' ? 'the client secret has expired' : 'the client secret is not valid for this app';
    return new AppError(
      'AZURE_CREDENTIALS_REJECTED',
      `Microsoft Entra ID rejected the app credentials of client ${config.clientId}: ${problem}.`,
      details,
    );
  }
  if (aadsts === '700016')
    return new AppError(
      'AZURE_CREDENTIALS_REJECTED',
      `Microsoft Entra ID rejected the app credentials: there is no app with client ID ${config.clientId} in tenant ${config.tenantId}.`,
      details,
    );
  if (aadsts === '90002' || aadsts === '900023')
    return new AppError(
      'AZURE_CREDENTIALS_REJECTED',
      `Microsoft Entra ID rejected the app credentials: tenant ${config.tenantId} was not found.`,
      details,
    );
  if (aadsts !== undefined || e.statusCode === 400 || e.statusCode === 401)
    return new AppError(
      'AZURE_CREDENTIALS_REJECTED',
      `Microsoft Entra ID rejected the app credentials of client ${config.clientId} in tenant ${config.tenantId}.`,
      details,
    );
  if (transientCodes.has(code) || networkUnreachableCodes.has(code) || isTransientAzureError(e))
    return new AppError(
      'PROVIDER_UNREACHABLE',
      'Microsoft Entra ID did not answer the token request in time or answered with a server error.',
      details,
    );
  return new AppError(
    'PROVIDER_UNREACHABLE',
    'Microsoft Entra ID answered the token request with an unexpected error.',
    details,
  );
}

export function keyDisabled(
  config: Omit<AzureKeyVaultConfig, 'clientSecret'>,
  state: string,
  action: AzureAction,
  cause?: unknown,
  extra: Record<string, unknown> = {},
): AppError {
  return new AppError(
    'AZURE_KEY_DISABLED',
    `The Azure Key Vault key is ${state}: ${config.keyName} in ${config.vaultUrl}.`,
    option(action, cause, extra),
  );
}

export function keyTypeUnsupported(
  config: Omit<AzureKeyVaultConfig, 'clientSecret'>,
  problem: string,
  action: AzureAction,
  cause?: unknown,
): AppError {
  return new AppError(
    'AZURE_KEY_TYPE_UNSUPPORTED',
    `The Azure Key Vault key ${config.keyName} cannot protect company keys: ${problem}.`,
    option(action, cause),
  );
}

/**
 * Key Vault's RBAC refusal names the data action ("Action: 'Microsoft.KeyVault/vaults/keys/wrap/action'").
 * A caller without a role on the whole vault gets the same refusal for a key that does not exist, so
 * the message mentions it when the refused action is the read.
 */
function permissionMissing(
  config: Omit<AzureKeyVaultConfig, 'clientSecret'>,
  text: string,
  action: AzureAction,
  cause: unknown,
): AppError {
  const dataAction = /Action: '[^']*\/vaults\/(keys\/[a-z]+(?:\/action)?)'/i.exec(text)?.[1]?.toLowerCase();
  const operation = (dataAction && operationOfDataAction[dataAction]) || action;
  const unknownKey =
    operation === 'get' ? ' (or there is no such key: Key Vault does not tell the two apart)' : '';
  return new AppError(
    'AZURE_PERMISSION_MISSING',
    `The app ${config.clientId} is not allowed to ${operation} the key ${config.keyName} in ${config.vaultUrl}${unknownKey}.`,
    {
      ...option(action, cause, { operation }),
      fix: `Ask your Azure admin to assign the app the "Key Vault Crypto Service Encryption User" role on the key (it grants get, wrapKey and unwrapKey); ${operation} is missing.`,
    },
  );
}
