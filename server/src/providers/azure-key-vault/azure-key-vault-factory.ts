import { createHash } from 'node:crypto';
import type { ProviderFactory } from '../provider-registry.js';
import type { KeyProvider } from '../provider-types.js';
import type { AzurePlatformSettings } from './azure-clients.js';
import {
  type AzureKeyVaultConfig,
  parseAzureKeyVaultConfig,
  type StoredAzureKeyVaultConfig,
} from './azure-key-vault-config.js';
import { AzureKeyVaultKeyProvider } from './azure-key-vault-provider.js';
import { openProviderSecret, sealProviderSecret } from './provider-secret.js';

/** Providers kept per configuration, so the app's token and the SDK clients are reused. */
const maxCachedProviders = 1000;

/** What a sealed client secret is bound to: the app registration it belongs to. */
export function azureSecretBinding(config: Pick<AzureKeyVaultConfig, 'tenantId' | 'clientId'>): string {
  return `azure-key-vault\0${config.tenantId}\0${config.clientId}`;
}

/** Replaces the plain client secret with one sealed under the CyberSentriq-managed provider, for storage. */
export async function sealAzureKeyVaultConfig(
  config: AzureKeyVaultConfig,
  platform: KeyProvider,
): Promise<StoredAzureKeyVaultConfig> {
  const { clientSecret, ...rest } = config;
  return {
    ...rest,
    sealedClientSecret: await sealProviderSecret(platform, clientSecret, azureSecretBinding(config)),
  };
}

/** Opens the sealed client secret of a stored configuration with the CyberSentriq-managed provider. */
export async function openAzureKeyVaultConfig(
  stored: StoredAzureKeyVaultConfig,
  platform: KeyProvider,
): Promise<AzureKeyVaultConfig> {
  const { sealedClientSecret, ...rest } = stored;
  return {
    ...rest,
    clientSecret: await openProviderSecret(platform, sealedClientSecret, azureSecretBinding(rest)),
  };
}

/**
 * Returns the registry factory for 'azure-key-vault'. It accepts the console's form (plain
 * `clientSecret`) and the stored form (`sealedClientSecret`, opened with the platform provider), and
 * keeps one provider per distinct configuration.
 */
export function azureKeyVaultProviderFactory(
  settings: AzurePlatformSettings,
  platformProvider: () => Promise<KeyProvider>,
): ProviderFactory {
  const providers = new Map<string, KeyProvider>();
  const policy = { allowAnyVaultHost: settings.sandboxCaPem !== undefined };
  return async (input) => {
    const parsed = parseAzureKeyVaultConfig(input, policy);
    const { sealedClientSecret, clientSecret, ...rest } = parsed;
    const config: AzureKeyVaultConfig =
      clientSecret !== undefined
        ? { ...rest, clientSecret }
        : await openAzureKeyVaultConfig(
            { ...rest, sealedClientSecret: sealedClientSecret! },
            await platformProvider(),
          );
    const secret = config.clientSecret;

    // The cache key contains a digest of the secret, so a new secret gets a new provider.
    const cacheKey = createHash('sha256')
      .update(
        JSON.stringify([
          rest.vaultUrl,
          rest.keyName,
          rest.keyVersion ?? '',
          rest.tenantId,
          rest.clientId,
          secret,
        ]),
      )
      .digest('hex');
    let provider = providers.get(cacheKey);
    if (!provider) {
      provider = new AzureKeyVaultKeyProvider(config, settings, {
        seal: async (pinned) => sealAzureKeyVaultConfig(pinned, await platformProvider()),
        open: async (stored) => openAzureKeyVaultConfig(stored, await platformProvider()),
      });
      if (providers.size >= maxCachedProviders) providers.delete(providers.keys().next().value!);
      providers.set(cacheKey, provider);
    }
    return provider;
  };
}
