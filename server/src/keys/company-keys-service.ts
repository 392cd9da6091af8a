import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type AuditActor, appendAuditEvent } from '../audit/audit-log.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors/app-error.js';
import { requestEarlyCheck } from '../key-health/key-health-dal.js';
import { withCompanyLease } from '../leases/company-lease.js';
import type { ProviderRegistry } from '../providers/provider-registry.js';
import type { KeyProvider, WrappedKey } from '../providers/provider-types.js';
import { generateKey } from './aes-gcm.js';
import {
  type CompanyKeyVersion,
  deleteUnusedCompanyKeyVersions,
  findWrappedCompanyKey,
  insertWrappedCompanyKey,
  listCompanyKeyVersions,
  newestCompanyKeyVersion,
} from './company-keys-dal.js';
import type { CompanyKeyCache } from './key-cache.js';

export interface CompanyKeyServiceDeps {
  db: Kysely<Database>;
  providers: ProviderRegistry;
  cache: CompanyKeyCache;
  logger: Logger;
}

/**
 * Company keys: one 256-bit AES key per company and version, wrapped by the company's provider with
 * a context naming the company and the version. Unwrapped keys pass through the bounded cache, whose
 * maximum age bounds how long a key the customer revoked keeps working.
 */
export class CompanyKeyService {
  readonly #deps: CompanyKeyServiceDeps;

  constructor(deps: CompanyKeyServiceDeps) {
    this.#deps = deps;
  }

  /** Returns the provider that currently protects the company's keys. */
  async providerOf(companyId: string): Promise<KeyProvider> {
    const company = await this.#deps.db
      .selectFrom('companies')
      .select(['provider_type', 'provider_config'])
      .where('id', '=', companyId)
      .executeTakeFirst();
    if (!company) throw new AppError('NOT_FOUND', `Company ${companyId} was not found.`);
    return this.#deps.providers.create(company.provider_type, company.provider_config);
  }

  /** Returns the provider for one wrapped key: the type it records, with the company's configuration. */
  async #providerFor(companyId: string, wrapped: WrappedKey): Promise<KeyProvider> {
    const company = await this.#deps.db
      .selectFrom('companies')
      .select(['provider_type', 'provider_config'])
      .where('id', '=', companyId)
      .executeTakeFirstOrThrow();
    const config = company.provider_type === wrapped.providerType ? company.provider_config : {};
    return this.#deps.providers.create(wrapped.providerType, config);
  }

  /** Creates version 1 when the company has no key yet; a no-op otherwise. Returns the newest version. */
  async ensureCompanyKey(companyId: string): Promise<number> {
    const newest = await newestCompanyKeyVersion(this.#deps.db, companyId);
    if (newest !== undefined) return newest;

    await this.#addVersion(companyId, 1);
    return (await newestCompanyKeyVersion(this.#deps.db, companyId))!;
  }

  /** Adds a company key version; new backup keys use it. Older versions stay while backup keys need them. */
  async rotate(
    companyId: string,
    actor: AuditActor,
  ): Promise<{ version: number; deletedVersions: number[] }> {
    return withCompanyLease(
      this.#deps.db,
      companyId,
      'company key rotation',
      async () => {
        const newest = await this.ensureCompanyKey(companyId);
        const version = newest + 1;
        await this.#addVersion(companyId, version);
        const deletedVersions = await deleteUnusedCompanyKeyVersions(this.#deps.db, companyId, version);
        if (deletedVersions.length > 0) this.#deps.cache.invalidateCompany(companyId);
        this.#deps.logger.info({ companyId, version, deletedVersions }, 'company key rotated');
        await appendAuditEvent(this.#deps.db, {
          companyId,
          actor,
          action: 'company_key.rotated',
          outcome: 'success',
          summary: `Company key version ${version} added`,
          details: { version, deletedVersions },
        });
        return { version, deletedVersions };
      },
      this.#deps.logger,
    );
  }

  async #addVersion(companyId: string, version: number): Promise<void> {
    const provider = await this.providerOf(companyId);
    const key = generateKey();
    try {
      const wrapped = await provider.wrapKey(key, { companyId, companyKeyVersion: version });
      // A concurrent creator of the same version wins; ours is dropped and never used.
      if (await insertWrappedCompanyKey(this.#deps.db, wrapped)) {
        this.#deps.logger.info(
          { companyId, version, providerType: wrapped.providerType },
          'company key version created',
        );
      }
    } finally {
      key.fill(0);
    }
  }

  newestVersion(companyId: string): Promise<number | undefined> {
    return newestCompanyKeyVersion(this.#deps.db, companyId);
  }

  listVersions(companyId: string): Promise<CompanyKeyVersion[]> {
    return listCompanyKeyVersions(this.#deps.db, companyId);
  }

  /**
   * Returns a company key version in the clear, from the cache or unwrapped by its provider.
   * Provider errors (key disabled, access revoked, unreachable) pass through as catalogue errors.
   * The caller owns the returned buffer and zeroes it when done.
   */
  async unwrap(companyId: string, version: number): Promise<Buffer> {
    return this.#deps.cache.getOrLoad(companyId, version, async () => {
      const wrapped = await findWrappedCompanyKey(this.#deps.db, companyId, version);
      if (!wrapped) {
        throw new AppError('KEY_UNAVAILABLE', `Company ${companyId} has no company key version ${version}.`);
      }
      const provider = await this.#providerFor(companyId, wrapped);
      try {
        return await provider.unwrapKey(wrapped, wrapped.context);
      } catch (error) {
        // A refused unwrap is what key health reports, so the next checker pass looks at this company.
        if (wrapped.providerType !== 'cybersentriq') {
          await requestEarlyCheck(this.#deps.db, companyId).catch((checkError: unknown) =>
            this.#deps.logger.error(
              { err: checkError, companyId },
              'could not request an early key health check',
            ),
          );
        }
        throw error;
      }
    });
  }
}
