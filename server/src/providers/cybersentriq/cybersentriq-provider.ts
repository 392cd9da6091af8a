/**
 * Builds the CyberSentriq-managed provider from the platform configuration: the local master key file
 * (embedded default) or a KMS key in the platform's own AWS account (production).
 */
import { invalidInput } from '../../errors/app-error.js';
import type { ProviderFactory } from '../provider-registry.js';
import type { KeyProvider } from '../provider-types.js';
import { LocalPlatformKeyProvider } from './local-provider.js';
import { MasterKeyFile } from './master-key-file.js';
import {
  createPlatformKmsClient,
  type PlatformKmsClient,
  type PlatformKmsConfig,
  PlatformKmsKeyProvider,
} from './platform-kms-provider.js';

export type CybersentriqProviderConfig =
  | { backend: 'local-file' /** Directory of platform-master-key.json. */; directory: string }
  | ({ backend: 'aws-kms' } & PlatformKmsConfig);

export interface CybersentriqProviderDependencies {
  /** KMS client for the aws-kms backend; default one from `createPlatformKmsClient`. */
  kmsClient?: PlatformKmsClient;
}

export async function createCybersentriqProvider(
  config: CybersentriqProviderConfig,
  dependencies: CybersentriqProviderDependencies = {},
): Promise<KeyProvider> {
  if (config.backend === 'local-file') {
    return new LocalPlatformKeyProvider(await MasterKeyFile.open(config.directory));
  }
  if (config.backend === 'aws-kms') {
    return new PlatformKmsKeyProvider(config, dependencies.kmsClient ?? createPlatformKmsClient(config));
  }
  throw invalidInput(
    'backend',
    `${JSON.stringify((config as { backend: unknown }).backend)} is unknown`,
    "'local-file' or 'aws-kms'",
  );
}

/**
 * Returns the registry factory for the 'cybersentriq' type. Every company shares the one platform
 * provider, so the factory ignores the per-company configuration and builds the provider once.
 */
export function cybersentriqProviderFactory(
  config: CybersentriqProviderConfig,
  dependencies: CybersentriqProviderDependencies = {},
): ProviderFactory {
  let provider: Promise<KeyProvider> | undefined;
  return () => {
    provider ??= createCybersentriqProvider(config, dependencies);
    // A failed start (for example an unreadable key file) is not cached, so a later call retries.
    provider.catch(() => {
      provider = undefined;
    });
    return provider;
  };
}
