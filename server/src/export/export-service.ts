import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type AuditActor, appendAuditEvent } from '../audit/audit-log.js';
import { verifyPassword } from '../auth/passwords.js';
import type { Database } from '../db/schema.js';
import { AppError, invalidInput } from '../errors/app-error.js';
import { listWrappedCompanyKeys } from '../keys/company-keys-dal.js';
import type { CompanyKeyService } from '../keys/company-keys-service.js';
import { findActiveSwitch } from '../switch/switch-dal.js';
import { listTenantStatuses } from '../switch/tenants.js';
import { type ExportedKeys, minPassphraseLength, sealExport } from './export-file.js';

export interface ExportServiceDeps {
  db: Kysely<Database>;
  companyKeys: CompanyKeyService;
  logger: Logger;
}

/**
 * The company key export. A finished switch offers one export without re-verifying tenants; later
 * exports need every tenant verified again. The offer is consumed by a conditional update, so two
 * concurrent requests have one winner.
 */
export class ExportService {
  readonly #deps: ExportServiceDeps;

  constructor(deps: ExportServiceDeps) {
    this.#deps = deps;
  }

  /**
   * Returns whether an export is on offer, and `reverify` when the offer was taken, so that verifying
   * every tenant again is what earns the next one.
   */
  async status(companyId: string): Promise<{ available: boolean; reason: string; reverify: boolean }> {
    const offer = await this.#deps.db
      .selectFrom('export_offers')
      .selectAll()
      .where('company_id', '=', companyId)
      .executeTakeFirst();
    if (offer?.available && offer.consumed_at === null)
      return { available: true, reason: 'One export is available.', reverify: false };
    if (!offer)
      return {
        available: false,
        reason: 'An export is offered once a switch of provider has finished.',
        reverify: false,
      };
    return {
      available: false,
      reason: 'The export was taken; verify every tenant again to export once more.',
      reverify: true,
    };
  }

  /** Offers one more export when every tenant has been verified for export since the last one. */
  async reofferIfVerified(companyId: string): Promise<boolean> {
    const { db, logger } = this.#deps;
    const offer = await db
      .selectFrom('export_offers')
      .selectAll()
      .where('company_id', '=', companyId)
      .executeTakeFirst();
    if (!offer?.consumed_at || (await findActiveSwitch(db, companyId))) return false;

    const tenants = await listTenantStatuses(db, companyId, {
      purpose: 'export',
      since: new Date(offer.consumed_at),
    });
    // NOTE: a company without tenants cannot earn another export this way; there is nothing to verify.
    if (tenants.length === 0 || tenants.some((tenant) => tenant.status !== 'verified')) return false;

    const result = await db
      .updateTable('export_offers')
      .set({ available: true, consumed_at: null, consumed_by: null, offered_at: new Date(), switch_id: null })
      .where('company_id', '=', companyId)
      .where('consumed_at', '=', offer.consumed_at)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1)
      logger.info({ companyId }, 'export offered again after re-verification');
    return Number(result.numUpdatedRows) === 1;
  }

  /** Checks the admin's password, takes the offer and returns the export file. */
  async export(
    companyId: string,
    principal: { userId: string; email: string },
    password: string,
    passphrase: string,
  ): Promise<{ file: Buffer; fileName: string }> {
    const { db, companyKeys, logger } = this.#deps;
    if (passphrase.length < minPassphraseLength) {
      throw invalidInput(
        'passphrase',
        `has ${passphrase.length} characters`,
        `at least ${minPassphraseLength} characters`,
      );
    }
    const user = await db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', principal.userId)
      .executeTakeFirst();
    if (!(await verifyPassword(user?.password_hash, password))) {
      throw new AppError('INVALID_CREDENTIALS', 'The password is incorrect.', {
        fix: 'Enter the password you sign in to RedApp with.',
      });
    }
    if (!(await this.status(companyId)).available) {
      throw new AppError('EXPORT_NOT_AVAILABLE', 'No export of the company key is available now.');
    }

    // The keys are unwrapped before the offer is taken, so a provider failure does not use it up.
    const company = await db
      .selectFrom('companies')
      .select('name')
      .where('id', '=', companyId)
      .executeTakeFirstOrThrow();
    const payload: ExportedKeys = {
      companyId,
      companyName: company.name,
      exportedAt: new Date().toISOString(),
      keys: [],
    };
    for (const wrapped of await listWrappedCompanyKeys(db, companyId)) {
      const version = wrapped.context.companyKeyVersion;
      const key = await companyKeys.unwrap(companyId, version);
      payload.keys.push({ version, key: key.toString('base64') });
      key.fill(0);
    }

    const taken = await db
      .updateTable('export_offers')
      .set({ consumed_at: new Date(), consumed_by: principal.email })
      .where('company_id', '=', companyId)
      .where('available', '=', true)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) {
      throw new AppError('EXPORT_NOT_AVAILABLE', 'The export was just taken by another request.');
    }

    const file = sealExport(payload, passphrase);
    const actor: AuditActor = { userId: principal.userId, label: principal.email };
    await appendAuditEvent(db, {
      companyId,
      actor,
      action: 'company_key.exported',
      outcome: 'success',
      summary: `Company key exported (${payload.keys.length} version(s))`,
      details: { versions: payload.keys.map((k) => k.version) },
    });
    logger.info(
      { companyId, userId: principal.userId, versions: payload.keys.length },
      'company key exported',
    );
    return { file, fileName: `redapp-company-key-${companyId}.rkx` };
  }
}
