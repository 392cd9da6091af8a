import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { type AuditActor, appendAuditEvent, systemActor } from '../audit/audit-log.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors/app-error.js';
import { generateKey } from '../keys/aes-gcm.js';
import { insertWrappedCompanyKey, listWrappedCompanyKeys } from '../keys/company-keys-dal.js';
import type { CompanyKeyCache } from '../keys/key-cache.js';
import { holdsLease, withCompanyLease } from '../leases/company-lease.js';
import { providerLabel } from '../providers/provider-labels.js';
import type { ProviderRegistry } from '../providers/provider-registry.js';
import type { WrappedKey } from '../providers/provider-types.js';
import { rewrapKey } from '../providers/rewrap.js';
import { crashPoint } from './crash-points.js';
import {
  findActiveSwitch,
  findSwitch,
  listDueSwitches,
  type ProviderSwitch,
  startFinishingIfAllVerified,
  switchTenantsStillVerified,
  transitionSwitch,
} from './switch-dal.js';
import { listTenantStatuses, type TenantStatus } from './tenants.js';

export interface SwitchServiceDeps {
  db: Kysely<Database>;
  providers: ProviderRegistry;
  cache: CompanyKeyCache;
  logger: Logger;
  /** Delay before retrying a transient failure, by attempt number (1, 2, …), in milliseconds. */
  retryDelayMs?: (attempt: number) => number;
}

export interface SwitchTarget {
  type: string;
  config: Record<string, unknown>;
}

const finishLeaseMs = 30_000;
const defaultRetryDelay = (attempt: number) => Math.min(5_000 * 2 ** (attempt - 1), 300_000);

/**
 * The provider switch: Save creates a pending switch, every tenant of the company is verified, and
 * the switch then finishes by itself. Finishing re-wraps only the company key versions (its cost
 * does not grow with backup sets or objects), adds a new company key version under the new
 * provider, and commits everything in one transaction, so a crash at any point leaves the old state
 * or the new one; the next start (or any replica's worker) finishes it.
 */
export class SwitchService {
  readonly #deps: SwitchServiceDeps;
  readonly #retryDelay: (attempt: number) => number;

  constructor(deps: SwitchServiceDeps) {
    this.#deps = deps;
    this.#retryDelay = deps.retryDelayMs ?? defaultRetryDelay;
  }

  /** Creates the pending switch for a tested target, replacing (and voiding the verifications of) any pending one. */
  async start(companyId: string, target: SwitchTarget, actor: AuditActor): Promise<ProviderSwitch> {
    const { db, logger } = this.#deps;
    const switchId = crypto.randomUUID();

    await db.transaction().execute(async (trx) => {
      // Serialises Saves of one company: the second waits here and then replaces the first.
      const company = await trx
        .selectFrom('companies')
        .select(['provider_type', 'provider_config'])
        .where('id', '=', companyId)
        .forUpdate()
        .executeTakeFirstOrThrow();

      const active = await findActiveSwitch(trx, companyId);
      if (active?.state === 'finishing') {
        throw new AppError(
          'OPERATION_IN_PROGRESS',
          'The current switch is finishing; wait for it before saving another.',
        );
      }
      if (active) {
        await transitionSwitch(trx, active.id, 'pending', 'replaced');
        await appendAuditEvent(trx, {
          companyId,
          actor,
          action: 'switch.replaced',
          outcome: 'success',
          summary: 'Pending switch replaced by a new Save; its verifications no longer count',
          details: { switchId: active.id },
        });
      }

      await trx
        .insertInto('provider_switches')
        .values({
          id: switchId,
          company_id: companyId,
          state: 'pending',
          source_type: company.provider_type,
          source_config: JSON.stringify(company.provider_config),
          target_type: target.type,
          target_config: JSON.stringify(target.config),
          created_by_user_id: actor.userId,
          created_by: actor.label,
        })
        .execute();
      await appendAuditEvent(trx, {
        companyId,
        actor,
        action: 'switch.saved',
        outcome: 'success',
        summary: `Save: switch from ${providerLabel(company.provider_type)} to ${providerLabel(target.type)} pending tenant verification`,
        details: {
          switchId,
          sourceType: company.provider_type,
          targetType: target.type,
          ...publicConfig(target.config),
        },
      });
    });

    logger.info({ companyId, switchId, targetType: target.type }, 'switch pending');
    this.kick(companyId);
    return (await findSwitch(db, switchId))!;
  }

  async cancel(companyId: string, actor: AuditActor): Promise<void> {
    const active = await findActiveSwitch(this.#deps.db, companyId);
    if (!active) throw new AppError('CONFLICT', 'There is no pending switch to cancel.');
    if (!(await transitionSwitch(this.#deps.db, active.id, 'pending', 'cancelled'))) {
      throw new AppError(
        'OPERATION_IN_PROGRESS',
        'The switch is already finishing and can no longer be cancelled.',
      );
    }
    await appendAuditEvent(this.#deps.db, {
      companyId,
      actor,
      action: 'switch.cancelled',
      outcome: 'success',
      summary: 'Pending switch cancelled',
      details: { switchId: active.id },
    });
    this.#deps.logger.info({ companyId, switchId: active.id }, 'switch cancelled');
  }

  tenantStatuses(companyId: string, switchId: string): Promise<TenantStatus[]> {
    return listTenantStatuses(this.#deps.db, companyId, { switchId });
  }

  /** Starts finishing the company's pending switch in the background when every tenant is verified. */
  kick(companyId: string): void {
    this.tryFinish(companyId).catch((error: unknown) =>
      this.#deps.logger.error({ err: error, companyId }, 'switch finish failed'),
    );
  }

  /** Finishes the pending switch if all live tenants are verified; returns whether it finished. */
  async tryFinish(companyId: string): Promise<boolean> {
    const active = await findActiveSwitch(this.#deps.db, companyId);
    if (active?.state !== 'pending') return false;

    // The tenant check and the move to finishing are one statement, so a backup set added
    // meanwhile (a new, unverified tenant) blocks the finish.
    if (!(await startFinishingIfAllVerified(this.#deps.db, active.id))) return false;
    this.#deps.logger.info({ companyId, switchId: active.id }, 'switch finishing');
    return this.finish(active.id);
  }

  /** Finishes every switch left in 'finishing' (after a crash) whose retry is due; run at start and periodically. */
  async resumeDue(): Promise<void> {
    for (const due of await listDueSwitches(this.#deps.db)) {
      await this.finish(due.id).catch((error: unknown) =>
        this.#deps.logger.error(
          { err: error, companyId: due.companyId, switchId: due.id },
          'switch resume failed',
        ),
      );
    }
  }

  /**
   * Finishes a switch that is in 'finishing'. Idempotent: it re-reads everything, and the commit
   * checks that the key versions it re-wrapped are still the ones stored.
   */
  async finish(switchId: string): Promise<boolean> {
    const initial = await findSwitch(this.#deps.db, switchId);
    if (initial?.state !== 'finishing') return initial?.state === 'finished';

    try {
      return await withCompanyLease(
        this.#deps.db,
        initial.companyId,
        'provider switch',
        (holder) => this.#finishUnderLease(initial, holder),
        this.#deps.logger,
        finishLeaseMs,
      );
    } catch (error) {
      if (error instanceof TenantAppeared) {
        // Not a failure: the switch waits in pending until the new tenant is verified.
        await transitionSwitch(this.#deps.db, initial.id, 'finishing', 'pending', { nextAttemptAt: null });
        this.#deps.logger.info(
          { companyId: initial.companyId, switchId: initial.id },
          'switch back to pending: new tenant',
        );
        return false;
      }
      await this.#recordFailure(initial, error);
      return false;
    }
  }

  /** Returns whether the switch is finished; false when it left 'finishing' before this holder took the lease. */
  async #finishUnderLease(sw: ProviderSwitch, holder: string): Promise<boolean> {
    const { db, providers, logger } = this.#deps;
    const companyId = sw.companyId;

    // Another replica may have finished the switch between our first read and taking the lease.
    // Re-wrapping then would use the old provider on keys it no longer wraps.
    const latest = await findSwitch(db, sw.id);
    if (latest?.state !== 'finishing') return latest?.state === 'finished';

    crashPoint('before-target-test');
    const target = await providers.create(sw.targetType, sw.targetConfig);
    await target.testConnection();
    crashPoint('after-target-test');

    const source = await providers.create(sw.sourceType, sw.sourceConfig);
    const current = await listWrappedCompanyKeys(db, companyId);
    const rewrapped: WrappedKey[] = [];
    for (const wrapped of current) {
      crashPoint('before-rewrap');
      rewrapped.push(await rewrapKey(wrapped, source, target));
      crashPoint('after-rewrap');
    }

    // A new version under the new provider, so data written after the switch never depended on the old one.
    const newVersion = (current.at(-1)?.context.companyKeyVersion ?? 0) + 1;
    const freshKey = generateKey();
    let fresh: WrappedKey;
    try {
      crashPoint('before-new-version');
      fresh = await target.wrapKey(freshKey, { companyId, companyKeyVersion: newVersion });
    } finally {
      freshKey.fill(0);
    }

    await db.transaction().execute(async (trx) => {
      // The company row lock serialises this commit with backup set creation, which takes it too,
      // so a tenant added while the switch was finishing is either seen here or waits for the commit.
      await trx.selectFrom('companies').select('id').where('id', '=', companyId).forUpdate().execute();
      if (!(await switchTenantsStillVerified(trx, sw.id))) throw new TenantAppeared();

      if (!(await holdsLease(trx, companyId, holder))) {
        throw new AppError(
          'OPERATION_IN_PROGRESS',
          'The switch lease lapsed before commit; the finish will be retried.',
        );
      }
      // The set of key versions and their wrappings must be exactly what was re-wrapped.
      const now = await listWrappedCompanyKeys(trx, companyId);
      const unchanged =
        now.length === current.length &&
        now.every(
          (row, index) =>
            row.context.companyKeyVersion === current[index]!.context.companyKeyVersion &&
            row.ciphertext.equals(current[index]!.ciphertext),
        );
      if (!unchanged) throw new KeySetChanged();

      for (const next of rewrapped) {
        await trx
          .updateTable('company_keys')
          .set({
            provider_type: next.providerType,
            provider_key_id: next.providerKeyId,
            mechanism: next.mechanism,
            format_version: next.formatVersion,
            ciphertext: next.ciphertext,
            context: JSON.stringify(next.context),
          })
          .where('company_id', '=', companyId)
          .where('version', '=', next.context.companyKeyVersion)
          .execute();
      }
      crashPoint('inside-commit');
      if (!(await insertWrappedCompanyKey(trx, fresh))) throw new KeySetChanged();

      await trx
        .updateTable('companies')
        .set({
          provider_type: sw.targetType,
          provider_config: JSON.stringify(sw.targetConfig),
          provider_since: new Date(),
          health_ciphertext: null,
        })
        .where('id', '=', companyId)
        .execute();
      await sql`delete from key_health where company_id = ${companyId}`.execute(trx);
      if (
        !(await transitionSwitch(trx, sw.id, 'finishing', 'finished', {
          finishedAt: new Date(),
          lastError: null,
        }))
      ) {
        throw new AppError('CONFLICT', `Switch ${sw.id} left the finishing state during its finish.`);
      }
      await trx
        .insertInto('export_offers')
        .values({ company_id: companyId, switch_id: sw.id, available: true, offered_at: new Date() })
        .onConflict((oc) =>
          oc.column('company_id').doUpdateSet({
            switch_id: sw.id,
            available: true,
            offered_at: new Date(),
            consumed_at: null,
            consumed_by: null,
          }),
        )
        .execute();
      await appendAuditEvent(trx, {
        companyId,
        actor: systemActor('switch-finisher'),
        action: 'switch.finished',
        outcome: 'success',
        summary:
          `Switched from ${providerLabel(sw.sourceType)} to ${providerLabel(sw.targetType)}; ` +
          `${rewrapped.length} company key version(s) re-wrapped and version ${newVersion} added`,
        details: {
          switchId: sw.id,
          sourceType: sw.sourceType,
          targetType: sw.targetType,
          rewrapped: rewrapped.length,
          newVersion,
        },
      });
    });
    crashPoint('after-commit');

    this.#deps.cache.invalidateCompany(companyId);
    logger.info({ companyId, switchId: sw.id, targetType: sw.targetType, newVersion }, 'switch finished');
    return true;
  }

  /**
   * A transient failure (provider unreachable, lease contention, a rotation racing the finish)
   * keeps the switch finishing and schedules a retry with backoff; a permanent one (target key
   * disabled, old key revoked) returns it to pending with the error shown.
   */
  async #recordFailure(sw: ProviderSwitch, error: unknown): Promise<void> {
    const { db, logger } = this.#deps;
    const appError = error instanceof AppError ? error : undefined;
    const transient =
      error instanceof KeySetChanged ||
      appError?.code === 'PROVIDER_UNREACHABLE' ||
      appError?.code === 'OPERATION_IN_PROGRESS';
    const attempts = sw.attempts + 1;

    if (transient) {
      const nextAttemptAt = new Date(Date.now() + this.#retryDelay(attempts));
      if (!(await transitionSwitch(db, sw.id, 'finishing', 'finishing', { attempts, nextAttemptAt }))) {
        this.#logSupersededFailure(sw, error);
        return;
      }
      logger.warn(
        { err: error, companyId: sw.companyId, switchId: sw.id, attempts, nextAttemptAt },
        'switch finish will be retried',
      );
      return;
    }

    const lastError = appError
      ? { code: appError.code, message: appError.message, fix: appError.fix }
      : {
          code: 'INTERNAL',
          message: 'Finishing the switch failed unexpectedly.',
          fix: 'Try again or contact support.',
        };
    if (
      !(await transitionSwitch(db, sw.id, 'finishing', 'pending', {
        attempts,
        lastError,
        nextAttemptAt: null,
      }))
    ) {
      this.#logSupersededFailure(sw, error);
      return;
    }
    await appendAuditEvent(db, {
      companyId: sw.companyId,
      actor: systemActor('switch-finisher'),
      action: 'switch.finish_failed',
      outcome: 'failure',
      summary: `Finishing the switch failed: ${lastError.code}`,
      details: { switchId: sw.id, code: lastError.code },
    });
    logger.error(
      { err: error, companyId: sw.companyId, switchId: sw.id, code: lastError.code },
      'switch returned to pending',
    );
  }

  /** Logs a failure that changes nothing, because another replica finished the switch meanwhile (no audit event). */
  #logSupersededFailure(sw: ProviderSwitch, error: unknown): void {
    this.#deps.logger.info(
      { err: error, companyId: sw.companyId, switchId: sw.id },
      'switch finish failure ignored: the switch is no longer finishing',
    );
  }

  /** Retries a switch that returned to pending with an error, once its tenants are still verified. */
  async retry(companyId: string, actor: AuditActor): Promise<boolean> {
    const active = await findActiveSwitch(this.#deps.db, companyId);
    if (active?.state !== 'pending') throw new AppError('CONFLICT', 'There is no pending switch to retry.');
    await appendAuditEvent(this.#deps.db, {
      companyId,
      actor,
      action: 'switch.retried',
      outcome: 'success',
      summary: 'Finishing the switch retried',
      details: { switchId: active.id },
    });
    return this.tryFinish(companyId);
  }
}

/** A backup set with an unverified tenant was added while the switch was finishing: it waits for verification. */
class TenantAppeared extends Error {
  constructor() {
    super('A new tenant appeared while the switch was finishing.');
  }
}

/** The key versions changed between re-wrap and commit (a rotation won the race); the finish starts over. */
class KeySetChanged extends Error {
  constructor() {
    super('The company key versions changed while the switch was finishing.');
  }
}

/** Returns the parts of a provider configuration that may appear in the audit log (no External ID, no secret). */
export function publicConfig(config: Record<string, unknown>): Record<string, unknown> {
  const {
    externalId: _externalId,
    clientSecret: _clientSecret,
    sealedClientSecret: _sealed,
    ...rest
  } = config;
  return rest;
}
