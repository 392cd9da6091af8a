// Input checks for the Azure Key Vault form, run as the admin types. The server repeats them in Test
// connection and Save, and also rejects vault hosts outside Azure's Key Vault domains. These checks
// exist so that a typo is caught before a round trip.

export interface AzureKeyVaultFormConfig {
  vaultUrl: string;
  keyName: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export type AzureKeyVaultField = keyof AzureKeyVaultFormConfig;

export type AzureKeyVaultFieldErrors = Partial<Record<AzureKeyVaultField, string>>;

const guidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Key Vault object names: 1 to 127 letters, digits and dashes.
const keyNameShape = /^[0-9A-Za-z-]{1,127}$/;
const keyVaultSuffixes = [
  '.vault.azure.net',
  '.managedhsm.azure.net',
  '.vault.azure.cn',
  '.vault.usgovcloudapi.net',
];

export function checkVaultUrl(value: string): string | undefined {
  if (value === '') return 'Enter the vault URL.';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'The vault URL is not a URL. Expected https://<vault name>.vault.azure.net.';
  }
  if (url.protocol !== 'https:') return 'The vault URL must start with https://.';
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    return 'Enter the vault URL alone, without /keys/… : https://<vault name>.vault.azure.net.';
  }
  return undefined;
}

/** Returns advice, not an error: the server decides which hosts it accepts. */
export function vaultUrlAdvice(value: string): string | undefined {
  if (value === '' || checkVaultUrl(value)) return undefined;
  const host = new URL(value).hostname.toLowerCase();
  if (keyVaultSuffixes.some((suffix) => host.endsWith(suffix))) return undefined;
  return 'Azure vault URLs end in .vault.azure.net; copy the Vault URI from the vault’s Overview page.';
}

export function checkKeyName(value: string): string | undefined {
  if (value === '') return 'Enter the key name.';
  if (value.includes('/keys/')) return 'Enter the key name alone, not the key identifier URL.';
  if (!keyNameShape.test(value))
    return 'The key name may contain only letters, digits and dashes (at most 127).';
  return undefined;
}

function checkGuid(value: string, label: string): string | undefined {
  if (value === '') return `Enter the ${label}.`;
  if (!guidShape.test(value)) return `The ${label} is not a GUID. Expected 8-4-4-4-12 hexadecimal digits.`;
  return undefined;
}

export function checkClientSecret(value: string): string | undefined {
  if (value === '') return 'Enter the client secret.';
  if (guidShape.test(value)) {
    return 'This looks like the Secret ID. Enter the secret Value shown when the secret was created.';
  }
  return undefined;
}

/** Checks every field after removing surrounding spaces, which pasted values often carry. */
export function checkAzureKeyVaultConfig(config: AzureKeyVaultFormConfig): AzureKeyVaultFieldErrors {
  const trimmed = trimAzureConfig(config);
  const errors: AzureKeyVaultFieldErrors = {
    vaultUrl: checkVaultUrl(trimmed.vaultUrl),
    keyName: checkKeyName(trimmed.keyName),
    tenantId: checkGuid(trimmed.tenantId, 'tenant ID'),
    clientId: checkGuid(trimmed.clientId, 'client ID'),
    clientSecret: checkClientSecret(trimmed.clientSecret),
  };
  for (const field of Object.keys(errors) as AzureKeyVaultField[]) {
    if (errors[field] === undefined) delete errors[field];
  }
  return errors;
}

export function trimAzureConfig(config: AzureKeyVaultFormConfig): AzureKeyVaultFormConfig {
  return {
    vaultUrl: config.vaultUrl.trim().replace(/\/$/, ''),
    keyName: config.keyName.trim(),
    tenantId: config.tenantId.trim(),
    clientId: config.clientId.trim(),
    clientSecret: config.clientSecret.trim(),
  };
}
