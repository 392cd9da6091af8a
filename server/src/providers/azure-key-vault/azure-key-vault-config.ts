import { invalidInput } from '../../errors/app-error.js';
import { isSealedSecret, type SealedSecret } from './provider-secret.js';

/** The values the customer enters in RedApp, with the key version pinned once a test resolved it. */
export interface AzureKeyVaultConfig {
  /** Vault URL without a trailing slash, such as https://contoso-backup.vault.azure.net. */
  vaultUrl: string;
  keyName: string;
  /** 32 hex digits; absent until Test connection resolves the key's current version. */
  keyVersion?: string;
  tenantId: string;
  clientId: string;
  /** The app registration's client secret, in memory only: stored sealed, never returned or logged. */
  clientSecret: string;
}

/** The stored form: the client secret sealed under the CyberSentriq-managed key. */
export type StoredAzureKeyVaultConfig = Omit<AzureKeyVaultConfig, 'clientSecret'> & {
  sealedClientSecret: SealedSecret;
};

/** The configuration as the API and the console may show it: everything but the secret. */
export type AzureKeyVaultOverview = Omit<AzureKeyVaultConfig, 'clientSecret'>;

/** Options of the parser that differ between production and the local sandbox. */
export interface AzureVaultUrlPolicy {
  /** Accepts any https host (the sandbox's 127.0.0.1); production accepts Key Vault DNS names only. */
  allowAnyVaultHost: boolean;
}

/** DNS suffixes of Key Vault and Managed HSM in the public and sovereign Azure clouds. */
export const keyVaultDnsSuffixes = [
  '.vault.azure.net',
  '.managedhsm.azure.net',
  '.vault.azure.cn',
  '.managedhsm.azure.cn',
  '.vault.usgovcloudapi.net',
  '.managedhsm.usgovcloudapi.net',
];

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Key Vault object names: 1 to 127 letters, digits and dashes. */
const keyNamePattern = /^[0-9A-Za-z-]{1,127}$/;
const keyVersionPattern = /^[0-9a-f]{32}$/i;

function readString(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value.trim() === '')
    throw invalidInput(field, 'is missing', 'a non-empty string');
  return value.trim();
}

function parseVaultUrl(raw: string, policy: AzureVaultUrlPolicy): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The text may hold a password (user:password@host), so it is repeated only without an "@".
    const problem = raw.includes('@') ? 'is not a URL' : `"${raw}" is not a URL`;
    throw invalidInput('vaultUrl', problem, 'https://VAULT-NAME.vault.azure.net');
  }
  if (url.protocol !== 'https:')
    throw invalidInput('vaultUrl', `"${raw}" does not use https`, 'https://VAULT-NAME.vault.azure.net');
  // A user name or password in the URL may be a secret, so the message does not repeat the URL.
  if (url.username !== '' || url.password !== '')
    throw invalidInput(
      'vaultUrl',
      'contains a user name or password',
      'the vault URL alone, https://VAULT-NAME.vault.azure.net',
    );
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '')
    throw invalidInput(
      'vaultUrl',
      `"${raw}" has a path or query`,
      'the vault URL alone, https://VAULT-NAME.vault.azure.net',
    );
  const host = url.hostname.toLowerCase();
  if (
    !policy.allowAnyVaultHost &&
    !keyVaultDnsSuffixes.some((suffix) => host.endsWith(suffix) && host.length > suffix.length)
  )
    throw invalidInput(
      'vaultUrl',
      `"${raw}" is not an Azure Key Vault URL`,
      "https://VAULT-NAME.vault.azure.net (the Vault URI on the vault's Overview page)",
    );
  return url.origin;
}

/**
 * Checks the customer's values and returns them trimmed, with the vault URL reduced to its origin.
 * Accepts the client secret in plain text (from the console form) or sealed (from storage) through
 * `openSecret`. Raises INVALID_INPUT naming the field and its expected shape.
 */
export function parseAzureKeyVaultConfig(
  input: unknown,
  policy: AzureVaultUrlPolicy,
): Omit<AzureKeyVaultConfig, 'clientSecret'> & { clientSecret?: string; sealedClientSecret?: SealedSecret } {
  if (input === null || typeof input !== 'object') throw invalidInput('config', 'is missing', 'an object');
  const raw = input as Record<string, unknown>;

  const vaultUrl = parseVaultUrl(readString(raw, 'vaultUrl'), policy);
  const keyName = readString(raw, 'keyName');
  if (!keyNamePattern.test(keyName))
    throw invalidInput(
      'keyName',
      `"${keyName}" is not a Key Vault key name`,
      '1 to 127 letters, digits or dashes',
    );
  const tenantId = readString(raw, 'tenantId').toLowerCase();
  if (!guidPattern.test(tenantId))
    throw invalidInput(
      'tenantId',
      `"${tenantId}" is not a GUID`,
      "the Directory (tenant) ID from the app registration's Overview page",
    );
  const clientId = readString(raw, 'clientId').toLowerCase();
  if (!guidPattern.test(clientId))
    throw invalidInput(
      'clientId',
      `"${clientId}" is not a GUID`,
      "the Application (client) ID from the app registration's Overview page",
    );

  let keyVersion: string | undefined;
  if (raw.keyVersion !== undefined && raw.keyVersion !== null && raw.keyVersion !== '') {
    keyVersion = readString(raw, 'keyVersion').toLowerCase();
    if (!keyVersionPattern.test(keyVersion))
      throw invalidInput('keyVersion', `"${keyVersion}" is not a key version`, '32 hexadecimal digits');
  }

  const base = { vaultUrl, keyName, ...(keyVersion ? { keyVersion } : {}), tenantId, clientId };
  if (isSealedSecret(raw.sealedClientSecret)) return { ...base, sealedClientSecret: raw.sealedClientSecret };
  // The secret is checked for presence only: Entra secrets have no fixed shape, and it must not be echoed.
  // Spaces around it are removed, as the console does: a copied secret often ends with a line break.
  const clientSecret = typeof raw.clientSecret === 'string' ? raw.clientSecret.trim() : '';
  if (clientSecret === '')
    throw invalidInput(
      'clientSecret',
      'is missing',
      "the client secret's Value (not its Secret ID) from Certificates & secrets",
    );
  return { ...base, clientSecret };
}

/** The key id Key Vault reports: `{vaultUrl}/keys/{name}/{version}`. */
export function azureKeyId(
  config: Pick<AzureKeyVaultConfig, 'vaultUrl' | 'keyName'>,
  version: string,
): string {
  return `${config.vaultUrl}/keys/${config.keyName}/${version}`;
}

/** The configuration without its secret, for the overview and logs. */
export function azureKeyVaultOverview(
  config: Omit<AzureKeyVaultConfig, 'clientSecret'>,
): AzureKeyVaultOverview {
  return {
    vaultUrl: config.vaultUrl,
    keyName: config.keyName,
    ...(config.keyVersion ? { keyVersion: config.keyVersion } : {}),
    tenantId: config.tenantId,
    clientId: config.clientId,
  };
}
