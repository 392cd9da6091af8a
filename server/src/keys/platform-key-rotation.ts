import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { appendAuditEvent, systemActor } from '../audit/audit-log.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors/app-error.js';
import { withCompanyLease } from '../leases/company-lease.js';
import { LocalPlatformKeyProvider } from '../providers/cybersentriq/local-provider.js';
import type { ProviderRegistry } from '../providers/provider-registry.js';
import { rewrapKey } from '../providers/rewrap.js';
import { findWrappedCompanyKey, replaceWrappedCompanyKey } from './company-keys-dal.js';
import type { CompanyKeyCache } from './key-cache.js';

export interface PlatformKeyRotationDeps {
  db: Kysely<Database>;
  providers: ProviderRegistry;
  cache: CompanyKeyCache;
  logger: Logger;
  /** Called after each company key version, for progress output. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Adds a platform master key version and re-wraps every CyberSentriq-managed company key version
 * under it, one company at a time under that company's lease. Safe to re-run: versions already on
 * the new master key version are skipped, so an interrupted run is finished by running it again.
 */
export async function rotatePlatformKey(
  deps: PlatformKeyRotationDeps,
): Promise<{ version: number; rewrapped: number }> {
  const provider = await deps.providers.create('cybersentriq', {});
  if (!(provider instanceof LocalPlatformKeyProvider)) {
    throw new AppError(
      'INVALID_INPUT',
      'The CyberSentriq-managed keys are on the platform KMS key (REDAPP_PLATFORM_KMS_KEY_ARN), which rotates in AWS.',
      {
        fix: 'Enable automatic key rotation on that KMS key; this command rotates only the local master key file.',
      },
    );
  }

  const version = await provider.rotate();
  const currentKeyId = provider.describe().providerKeyId;
  deps.logger.info({ version }, 'platform master key version added');

  const pending = await deps.db
    .selectFrom('company_keys')
    .select(['company_id as companyId', 'version'])
    .where('provider_type', '=', 'cybersentriq')
    .where('provider_key_id', '<>', currentKeyId)
    .orderBy('company_id')
    .orderBy('version')
    .execute();

  let done = 0;
  deps.onProgress?.(done, pending.length);
  for (const { companyId, version: companyKeyVersion } of pending) {
    await withCompanyLease(
      deps.db,
      companyId,
      'platform key rotation',
      async () => {
        const wrapped = await findWrappedCompanyKey(deps.db, companyId, companyKeyVersion);
        // Gone, or moved to another provider or master key version since the list was read.
        if (wrapped?.providerType !== 'cybersentriq' || wrapped.providerKeyId === currentKeyId) return;

        const rewrapped = await rewrapKey(wrapped, provider, provider);
        if (!(await replaceWrappedCompanyKey(deps.db, wrapped, rewrapped))) {
          deps.logger.warn(
            { companyId, companyKeyVersion },
            'company key changed during re-wrap; left as it is',
          );
        }
      },
      deps.logger,
    );
    done += 1;
    deps.onProgress?.(done, pending.length);
  }

  deps.cache.clear();
  await appendAuditEvent(deps.db, {
    companyId: null,
    actor: systemActor('redapp platform-key rotate'),
    action: 'platform_key.rotated',
    outcome: 'success',
    summary: `Platform master key version ${version} added; ${done} company key version(s) re-wrapped`,
    details: { version, rewrapped: done },
  });
  deps.logger.info({ version, rewrapped: done }, 'platform master key rotation finished');
  return { version, rewrapped: done };
}
