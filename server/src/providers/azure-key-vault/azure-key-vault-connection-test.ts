import { randomBytes } from 'node:crypto';
import type { ClientSecretCredential } from '@azure/identity';
import type { KeyVaultKey } from '@azure/keyvault-keys';
import { AppError } from '../../errors/app-error.js';
import { type ConnectionTestReport, runSteps, type StepDefinition } from '../connection-test.js';
import type { WrapContext } from '../provider-types.js';
import {
  type AzurePlatformSettings,
  appCredential,
  cryptographyClient,
  keyClient,
  keyVaultScope,
  operationOptions,
  probeTenant,
} from './azure-clients.js';
import { type AzureKeyVaultConfig, azureKeyId, parseAzureKeyVaultConfig } from './azure-key-vault-config.js';
import {
  type AzureAction,
  keyDisabled,
  keyTypeUnsupported,
  translateAzureError,
} from './azure-key-vault-errors.js';
import { AZURE_WRAP_ALGORITHM, companyKeyFromPayload, wrapPayload } from './azure-key-wrap-format.js';

/** Key Vault key types that can wrap with RSA-OAEP-256. */
const wrappingKeyTypes = new Set(['RSA', 'RSA-HSM']);
export const minimumRsaBits = 2048;

/** The report of an Azure connection test, with the key id (version included) it resolved. */
export interface AzureConnectionTestReport extends ConnectionTestReport {
  /** `{vaultUrl}/keys/{name}/{version}` of the key that passed; absent when the test failed before Get key. */
  keyId?: string;
}

/** Runs one Azure call and turns its failure into the catalogue error for that action. */
export async function callAzure<T>(
  action: AzureAction,
  config: AzureKeyVaultConfig,
  send: () => Promise<T>,
): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw translateAzureError(error, action, config);
  }
}

/**
 * Gets a Key Vault token for the app with its client credentials and returns the credential. Raises the
 * catalogue error for rejected credentials, a tenant that does not exist or an unreachable authority.
 */
export async function signInApp(
  config: AzureKeyVaultConfig,
  settings: AzurePlatformSettings,
): Promise<ClientSecretCredential> {
  const credential = appCredential(settings, config);
  try {
    await credential.getToken(keyVaultScope);
  } catch (error) {
    // MSAL words a missing tenant like an unreachable authority, so ask the authority which it is.
    const refusal = /endpoints_resolution_error/.test(String((error as Error).message))
      ? await probeTenant(settings, config.tenantId)
      : undefined;
    throw translateAzureError(
      refusal ? Object.assign(new Error(refusal), { cause: error }) : error,
      'token',
      config,
    );
  }
  return credential;
}

/**
 * Wraps `payload` with the key version `keyId` and unwraps the result, returning what came back. Raises
 * AZURE_KEY_NOT_FOUND when the vault responds for another key version than the requested one.
 */
export async function wrapRoundTrip(
  config: AzureKeyVaultConfig,
  settings: AzurePlatformSettings,
  credential: ClientSecretCredential,
  keyId: string,
  payload: Buffer,
): Promise<Buffer> {
  const client = cryptographyClient(settings, keyId, credential);
  const wrapped = await callAzure('wrapKey', config, () =>
    client.wrapKey(AZURE_WRAP_ALGORITHM, payload, operationOptions(settings)),
  );
  if (wrapped.keyID !== keyId)
    throw new AppError(
      'AZURE_KEY_NOT_FOUND',
      `Azure Key Vault key not found: wrapKey answered with key ${wrapped.keyID ?? '(none)'} instead of ${keyId}.`,
    );
  const unwrapped = await callAzure('unwrapKey', config, () =>
    client.unwrapKey(AZURE_WRAP_ALGORITHM, wrapped.result, operationOptions(settings)),
  );
  return Buffer.from(unwrapped.result);
}

function modulusBits(modulus: Uint8Array | undefined): number {
  if (!modulus) return 0;
  let start = 0;
  while (start < modulus.length && modulus[start] === 0) start++;
  if (start === modulus.length) return 0;
  return (modulus.length - start) * 8 - Math.clz32(modulus[start]!) + 24;
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Raises the catalogue error for a key that exists but cannot protect company keys now. */
export function checkKeyUsable(key: KeyVaultKey, config: AzureKeyVaultConfig, now = new Date()): void {
  const { enabled, expiresOn, notBefore } = key.properties;
  if (enabled === false) throw keyDisabled(config, 'disabled', 'get');
  if (expiresOn && expiresOn <= now)
    throw keyDisabled(config, `expired (expiry date ${isoDate(expiresOn)})`, 'get', undefined, {
      expiresOn: expiresOn.toISOString(),
    });
  if (notBefore && notBefore > now)
    throw keyDisabled(config, `not valid before ${isoDate(notBefore)}`, 'get', undefined, {
      notBefore: notBefore.toISOString(),
    });

  const keyType = String(key.keyType ?? 'unknown');
  if (!wrappingKeyTypes.has(keyType))
    throw keyTypeUnsupported(config, `it is an ${keyType} key; only RSA and RSA-HSM keys can wrap`, 'get');
  const bits = modulusBits(key.key?.n);
  if (bits < minimumRsaBits)
    throw keyTypeUnsupported(config, `it is RSA ${bits} bits; ${minimumRsaBits} or more are needed`, 'get');
  const operations = key.keyOperations ?? [];
  const missing = ['wrapKey', 'unwrapKey'].filter((operation) => !operations.includes(operation as never));
  if (missing.length > 0)
    throw keyTypeUnsupported(config, `its permitted operations exclude ${missing.join(' and ')}`, 'get');
}

/**
 * Runs every step that later use of the key needs, in order, and stops at the first failure. The steps
 * are input checks, the app's client-credentials sign-in, and reading the key (enabled, in its validity
 * window, RSA of 2048 bits or more, permitted to wrap). The last is a wrap and unwrap round trip with
 * the company's context.
 * The key version is the pinned one when the configuration has it, else the key's current version.
 * `inputChecks: false` leaves out the first step, for a configuration the registry factory parsed.
 */
export async function runAzureConnectionTest(
  input: AzureKeyVaultConfig,
  settings: AzurePlatformSettings,
  context: WrapContext,
  options: { inputChecks?: boolean } = {},
): Promise<AzureConnectionTestReport> {
  let config = input;
  let credential: ClientSecretCredential | undefined;
  let keyId: string | undefined;

  const steps: StepDefinition[] = [
    {
      name: 'Input checks',
      run: async () => {
        const parsed = parseAzureKeyVaultConfig(input, {
          allowAnyVaultHost: settings.sandboxCaPem !== undefined,
        });
        config = { ...parsed, clientSecret: parsed.clientSecret ?? input.clientSecret };
        return 'The vault URL, key name, tenant ID, client ID and client secret are well-formed.';
      },
    },
    {
      name: 'App credentials',
      run: async () => {
        credential = await signInApp(config, settings);
        return `The app ${config.clientId} signed in to tenant ${config.tenantId}.`;
      },
    },
    {
      name: 'Get key',
      run: async () => {
        const key = await callAzure('get', config, () =>
          keyClient(settings, config, credential!).getKey(config.keyName, {
            ...operationOptions(settings),
            ...(config.keyVersion ? { version: config.keyVersion } : {}),
          }),
        );
        const version = key.properties.version;
        if (!version || key.id !== azureKeyId(config, version)) {
          throw new AppError(
            'AZURE_KEY_NOT_FOUND',
            `Azure Key Vault key not found: the vault answered with key ${key.id ?? '(none)'} instead of ${config.keyName}.`,
          );
        }
        checkKeyUsable(key, config);
        keyId = key.id;
        return `The key ${key.id} is enabled and is ${key.keyType} ${modulusBits(key.key?.n)} bits.`;
      },
    },
    {
      name: 'Wrap and unwrap',
      run: async () => {
        const sample = randomBytes(32);
        try {
          const unwrapped = await wrapRoundTrip(
            config,
            settings,
            credential!,
            keyId!,
            wrapPayload(sample, context),
          );
          const recovered = companyKeyFromPayload(unwrapped, context);
          if (!recovered?.equals(sample))
            throw new AppError(
              'KEY_UNAVAILABLE',
              'Azure Key Vault unwrapKey returned other bytes than were wrapped.',
            );
          recovered.fill(0);
        } finally {
          sample.fill(0);
        }
        return `wrapKey and unwrapKey with ${AZURE_WRAP_ALGORITHM} succeeded with the company's context.`;
      },
    },
  ];
  // The registry factory already parsed the configuration when the test runs through a provider.
  const report = await runSteps(options.inputChecks === false ? steps.slice(1) : steps);
  return report.error ? report : { ...report, keyId: keyId! };
}
