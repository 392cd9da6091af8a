import type { ProviderFactory } from '../provider-registry.js';
import type { KeyProvider } from '../provider-types.js';
import type { AwsPlatformSettings } from './aws-clients.js';
import { parseAwsKmsConfig } from './aws-kms-config.js';
import { AwsKmsKeyProvider } from './aws-kms-provider.js';

/** Providers kept per configuration, so the assumed-role session is reused until it nears expiry. */
const maxCachedProviders = 1000;

/** Returns the registry factory for 'aws-kms': one provider per distinct configuration, kept while in use. */
export function awsKmsProviderFactory(settings: AwsPlatformSettings): ProviderFactory {
  const providers = new Map<string, KeyProvider>();
  return (config) => {
    const parsed = parseAwsKmsConfig(config);
    const cacheKey = JSON.stringify([parsed.roleArn, parsed.externalId, parsed.region, parsed.keyArn]);
    let provider = providers.get(cacheKey);
    if (!provider) {
      provider = new AwsKmsKeyProvider(parsed, settings);
      if (providers.size >= maxCachedProviders) providers.delete(providers.keys().next().value!);
      providers.set(cacheKey, provider);
    }
    return provider;
  };
}
