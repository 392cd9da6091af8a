import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { BackupObjectService } from './backups/backup-objects-service.js';
import { BackupObjectFileStore } from './backups/object-store.js';
import type { Config } from './config/config.js';
import type { Database } from './db/schema.js';
import { ExportService } from './export/export-service.js';
import { KeyManagementService } from './key-management/key-management-service.js';
import { BackupKeyService } from './keys/backup-keys-service.js';
import { CompanyKeyService } from './keys/company-keys-service.js';
import { CompanyKeyCache } from './keys/key-cache.js';
import type { AwsPlatformSettings } from './providers/aws-kms/aws-clients.js';
import { awsKmsProviderFactory } from './providers/aws-kms/aws-kms-factory.js';
import { azurePlatformSettings } from './providers/azure-key-vault/azure-clients.js';
import { azureKeyVaultProviderFactory } from './providers/azure-key-vault/azure-key-vault-factory.js';
import {
  type CybersentriqProviderConfig,
  cybersentriqProviderFactory,
} from './providers/cybersentriq/cybersentriq-provider.js';
import { ProviderRegistry } from './providers/provider-registry.js';
import { SwitchService } from './switch/switch-service.js';
import { IdentityClients } from './verification/identity-clients.js';
import { VerificationService } from './verification/verification-service.js';

/** The domain services, built once per process from the configuration and shared by the API and the CLI. */
export interface Services {
  providers: ProviderRegistry;
  keyCache: CompanyKeyCache;
  companyKeys: CompanyKeyService;
  backupKeys: BackupKeyService;
  backupObjects: BackupObjectService;
  platformProviderConfig: CybersentriqProviderConfig;
  switches: SwitchService;
  keyManagement: KeyManagementService;
  exports: ExportService;
  verification: VerificationService;
}

/** Chooses the CyberSentriq-managed provider's backend: the platform's KMS key when configured, else the local master key file. */
export function platformProviderConfig(config: Config): CybersentriqProviderConfig {
  if (config.platformKmsKeyArn) {
    return {
      backend: 'aws-kms',
      keyArn: config.platformKmsKeyArn,
      ...(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}),
    };
  }
  return { backend: 'local-file', directory: path.join(config.dataDir, 'keys') };
}

/** Returns the AWS settings for customer keys: explicit sandbox keys or the default chain, and the endpoint. */
export function awsPlatformSettings(config: Config): AwsPlatformSettings {
  return { credentials: config.platformAwsCredentials, endpoint: config.awsEndpoint };
}

export function createServices(config: Config, db: Kysely<Database>, logger: Logger): Services {
  const platform = platformProviderConfig(config);
  const providers = new ProviderRegistry()
    .register('cybersentriq', cybersentriqProviderFactory(platform))
    .register('aws-kms', awsKmsProviderFactory(awsPlatformSettings(config)))
    .register(
      'azure-key-vault',
      azureKeyVaultProviderFactory(azurePlatformSettings(config.azure), () =>
        providers.create('cybersentriq', {}),
      ),
    );
  const keyCache = new CompanyKeyCache({
    maxAgeMs: config.keyCacheMaxAgeSeconds * 1000,
    maxEntries: config.keyCacheMaxEntries,
  });
  const companyKeys = new CompanyKeyService({ db, providers, cache: keyCache, logger });
  const backupKeys = new BackupKeyService({ db, companyKeys, logger });
  const store = new BackupObjectFileStore(path.join(config.dataDir, 'objects'));
  const backupObjects = new BackupObjectService({ db, backupKeys, store, logger });
  const switches = new SwitchService({ db, providers, cache: keyCache, logger });
  const exports = new ExportService({ db, companyKeys, logger });
  const keyManagement = new KeyManagementService({
    db,
    config,
    providers,
    companyKeys,
    switches,
    exports,
    logger,
  });
  const verification = new VerificationService({
    db,
    clients: new IdentityClients(config.identity),
    logger,
    onVerified: (companyId, purpose) => {
      if (purpose === 'switch') {
        switches.kick(companyId);
        return;
      }
      exports
        .reofferIfVerified(companyId)
        .catch((error: unknown) => logger.error({ err: error, companyId }, 'export re-offer failed'));
    },
  });
  return {
    providers,
    keyCache,
    companyKeys,
    backupKeys,
    backupObjects,
    platformProviderConfig: platform,
    switches,
    keyManagement,
    exports,
    verification,
  };
}
