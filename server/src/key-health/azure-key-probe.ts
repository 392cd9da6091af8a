import type { ClientSecretCredential } from '@azure/identity';
import { AppError } from '../errors/app-error.js';
import {
  type AzurePlatformSettings,
  keyClient,
  operationOptions,
} from '../providers/azure-key-vault/azure-clients.js';
import {
  type AzureKeyVaultConfig,
  azureKeyId,
  parseAzureKeyVaultConfig,
} from '../providers/azure-key-vault/azure-key-vault-config.js';
import {
  callAzure,
  checkKeyUsable,
  signInApp,
  wrapRoundTrip,
} from '../providers/azure-key-vault/azure-key-vault-connection-test.js';
import { openAzureKeyVaultConfig } from '../providers/azure-key-vault/azure-key-vault-factory.js';
import type { KeyProvider } from '../providers/provider-types.js';
import { failedObservation, type KeyHealthProbe } from './key-health-probe.js';
import type { KeyHealthObservation } from './key-health-types.js';

/**
 * The test value the check wraps and unwraps. It is no secret and no company key: the round trip only
 * proves that the app may still use the pinned key version for both operations.
 */
const healthPlaintext = Buffer.from('cybersentriq key health check v1');

/**
 * Checks a company's Azure Key Vault key the way later use needs it. The steps are a client-credentials
 * token for the app, Get key at the pinned version (enabled, inside its `nbf`/`exp` window, an RSA key
 * that may wrap), then wrapKey and unwrapKey of the test value with that version. The credential is
 * new on every check, so a revoked client secret shows at once, while the provider keeps its token
 * until it expires. Never raises: every failure becomes a state.
 */
export async function probeAzureKey(
  config: AzureKeyVaultConfig & { keyVersion: string },
  settings: AzurePlatformSettings,
): Promise<KeyHealthObservation> {
  const keyId = azureKeyId(config, config.keyVersion);
  try {
    const credential = await signInApp(config, settings);
    await getUsableKey(config, settings, credential, keyId);
    await wrapAndUnwrap(config, settings, credential, keyId);
    return {
      state: 'ok',
      message: `The app ${config.clientId} wrapped and unwrapped with ${keyId}.`,
      deletionDate: null,
      unknownGrants: undefined,
    };
  } catch (error) {
    return observationOfError(error);
  }
}

async function getUsableKey(
  config: AzureKeyVaultConfig & { keyVersion: string },
  settings: AzurePlatformSettings,
  credential: ClientSecretCredential,
  keyId: string,
): Promise<void> {
  const key = await callAzure('get', config, () =>
    keyClient(settings, config, credential).getKey(config.keyName, {
      ...operationOptions(settings),
      version: config.keyVersion,
    }),
  );
  // Postcondition: the vault describes the pinned key version.
  if (key.id !== keyId)
    throw new AppError(
      'AZURE_KEY_NOT_FOUND',
      `Azure Key Vault key not found: the vault answered with key ${key.id ?? '(none)'} instead of ${keyId}.`,
    );
  checkKeyUsable(key, config);
}

async function wrapAndUnwrap(
  config: AzureKeyVaultConfig,
  settings: AzurePlatformSettings,
  credential: ClientSecretCredential,
  keyId: string,
): Promise<void> {
  const unwrapped = await wrapRoundTrip(config, settings, credential, keyId, healthPlaintext);
  if (!healthPlaintext.equals(unwrapped))
    throw new AppError(
      'KEY_UNAVAILABLE',
      'Azure Key Vault unwrapKey returned other bytes than were wrapped.',
    );
}

function observationOfError(error: unknown): KeyHealthObservation {
  return failedObservation(error, (appError) => {
    switch (appError.code) {
      case 'AZURE_KEY_DISABLED':
        return { state: 'key_disabled', deletionDate: null };
      case 'AZURE_VAULT_UNREACHABLE':
      case 'PROVIDER_UNREACHABLE':
        return { state: 'unreachable', deletionDate: null };
      default:
        // Rejected app credentials, a missing role assignment, a deleted key or a key that cannot wrap:
        // CyberSentriq cannot use the key until someone changes Azure.
        return { state: 'access_denied', deletionDate: null };
    }
  });
}

/**
 * Returns the key health probe of companies on Azure Key Vault. `platformProvider` opens the sealed
 * client secret of the stored configuration.
 */
export function azureKeyHealthProbe(
  settings: AzurePlatformSettings,
  platformProvider: () => Promise<KeyProvider>,
): KeyHealthProbe {
  const policy = { allowAnyVaultHost: settings.sandboxCaPem !== undefined };
  return {
    async probe({ providerConfig }) {
      const {
        sealedClientSecret,
        clientSecret: _plain,
        ...rest
      } = parseAzureKeyVaultConfig(providerConfig, policy);
      // Save stores the key version it pinned and the secret sealed, so anything else is not a saved configuration.
      if (!rest.keyVersion || !sealedClientSecret)
        throw new AppError(
          'INVALID_INPUT',
          'The stored Azure Key Vault configuration has no pinned key version or sealed client secret.',
        );
      const keyVersion = rest.keyVersion;
      const config = await openAzureKeyVaultConfig({ ...rest, sealedClientSecret }, await platformProvider());
      const observation = await probeAzureKey({ ...config, keyVersion }, settings);
      return { providerKeyId: azureKeyId(config, keyVersion), observation };
    },
  };
}
