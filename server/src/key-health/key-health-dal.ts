import { type Kysely, sql } from 'kysely';
import { appendAuditEvent, systemActor } from '../audit/audit-log.js';
import type { Database } from '../db/schema.js';
import type { KeyHealthObservation, KeyHealthState, KeyHealthView } from './key-health-types.js';

/** `now()` plus a number of seconds, on the database clock that every replica shares. */
function secondsFromNow(seconds: number) {
  return sql<Date>`now() + ${seconds}::double precision * interval '1 second'`;
}

/** Companies on one of `providerTypes` that were never checked or whose next check is due. */
export async function listDueCompanies(
  db: Kysely<Database>,
  providerTypes: string[],
  limit: number,
): Promise<string[]> {
  if (providerTypes.length === 0) return [];
  const rows = await db
    .selectFrom('companies')
    .leftJoin('key_health', 'key_health.company_id', 'companies.id')
    .select('companies.id')
    .where('companies.provider_type', 'in', providerTypes)
    .where((eb) =>
      eb.or([
        eb('key_health.company_id', 'is', null),
        eb('key_health.next_check_at', '<=', sql<Date>`now()`),
      ]),
    )
    .orderBy('key_health.next_check_at', (ob) => ob.asc().nullsFirst())
    .limit(limit)
    .execute();
  return rows.map((row) => row.id);
}

/**
 * Claims the company's check for this interval: moves next_check_at one interval ahead if it is due,
 * or inserts the first row. Both are conditional, so of two replicas that race, exactly one gets
 * true. A replica that dies after claiming leaves the company for the next interval.
 */
export async function claimCompany(
  db: Kysely<Database>,
  companyId: string,
  intervalSeconds: number,
): Promise<boolean> {
  const moved = await db
    .updateTable('key_health')
    .set({ next_check_at: secondsFromNow(intervalSeconds) })
    .where('company_id', '=', companyId)
    .where('next_check_at', '<=', sql<Date>`now()`)
    .returning('company_id')
    .executeTakeFirst();
  if (moved) return true;

  const inserted = await db
    .insertInto('key_health')
    .values({
      company_id: companyId,
      state: 'unknown' satisfies KeyHealthState,
      message: 'The first key health check is running.',
      checked_at: sql<Date>`now()`,
      changed_at: sql<Date>`now()`,
      next_check_at: secondsFromNow(intervalSeconds),
    })
    .onConflict((oc) => oc.column('company_id').doNothing())
    .returning('company_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Reads what the check needs: the company's provider configuration, when it took over, and the test ciphertext. */
/**
 * Makes the company's next key health check due now, so that a failure seen in use (a download the
 * provider refused) shows in the key health within one checker pass instead of one interval.
 */
export async function requestEarlyCheck(db: Kysely<Database>, companyId: string): Promise<void> {
  await db
    .updateTable('key_health')
    .set({ next_check_at: sql<Date>`now()` })
    .where('company_id', '=', companyId)
    .where('next_check_at', '>', sql<Date>`now()`)
    .execute();
}

/** Brings every check due later than one interval from now forward to that time, after the interval shrank. */
export async function capNextChecks(db: Kysely<Database>, intervalSeconds: number): Promise<void> {
  await db
    .updateTable('key_health')
    .set({ next_check_at: secondsFromNow(intervalSeconds) })
    .where('next_check_at', '>', secondsFromNow(intervalSeconds))
    .execute();
}

export async function findCheckTarget(db: Kysely<Database>, companyId: string) {
  return db
    .selectFrom('companies')
    .select(['provider_type', 'provider_config', 'provider_since', 'health_ciphertext'])
    .where('id', '=', companyId)
    .executeTakeFirst();
}

export interface RecordOutcome {
  recorded: boolean;
  previousState: KeyHealthState | undefined;
  changed: boolean;
}

/**
 * Stores a check's result, and an audit event when the state changed, in one transaction. Nothing
 * is stored when the company left the checked provider or switched keys while the check ran
 * (provider_since moved), because the result then describes a key the company no longer uses.
 */
export async function recordObservation(
  db: Kysely<Database>,
  input: {
    companyId: string;
    /** The provider type the check ran for. */
    providerType: string;
    providerSince: Date;
    /** The provider key the check used, for the audit event. */
    providerKeyId: string;
    /** The test ciphertext the check read, which a created one may replace. */
    storedCiphertext: Buffer | null;
    observation: KeyHealthObservation;
    intervalSeconds: number;
  },
): Promise<RecordOutcome> {
  const { companyId, observation } = input;
  return db.transaction().execute(async (trx) => {
    const company = await trx
      .selectFrom('companies')
      .select(['provider_type', 'provider_since'])
      .where('id', '=', companyId)
      .forUpdate()
      .executeTakeFirst();
    if (
      company?.provider_type !== input.providerType ||
      new Date(company.provider_since).getTime() !== input.providerSince.getTime()
    ) {
      return { recorded: false, previousState: undefined, changed: false };
    }

    const previous = await trx
      .selectFrom('key_health')
      .select(['state', 'unknown_grants'])
      .where('company_id', '=', companyId)
      .forUpdate()
      .executeTakeFirst();
    const previousState = previous?.state as KeyHealthState | undefined;
    const changed = previousState !== observation.state;
    const values = {
      state: observation.state,
      message: observation.message,
      deletion_date: observation.deletionDate,
      unknown_grants: observation.unknownGrants ?? previous?.unknown_grants ?? 0,
      checked_at: sql<Date>`now()`,
      next_check_at: secondsFromNow(input.intervalSeconds),
    };
    await trx
      .insertInto('key_health')
      .values({ company_id: companyId, ...values, changed_at: sql<Date>`now()` })
      .onConflict((oc) =>
        oc.column('company_id').doUpdateSet(changed ? { ...values, changed_at: sql<Date>`now()` } : values),
      )
      .execute();

    if (observation.createdCiphertext) {
      // Conditional, so a ciphertext stored by another replica meanwhile is kept.
      const stored = input.storedCiphertext;
      await trx
        .updateTable('companies')
        .set({ health_ciphertext: observation.createdCiphertext })
        .where('id', '=', companyId)
        .where('health_ciphertext', stored ? '=' : 'is', stored)
        .execute();
    }

    if (changed) {
      await appendAuditEvent(trx, {
        companyId,
        actor: systemActor('key-health'),
        action: 'key_health.changed',
        outcome: observation.state === 'ok' ? 'success' : 'failure',
        summary: `Key health changed from ${previousState ?? 'none'} to ${observation.state}`,
        details: {
          previousState: previousState ?? null,
          state: observation.state,
          providerType: input.providerType,
          providerKeyId: input.providerKeyId,
          ...(observation.code ? { code: observation.code } : {}),
          ...(observation.deletionDate ? { deletionDate: observation.deletionDate.toISOString() } : {}),
          unknownGrants: values.unknown_grants,
        },
      });
    }
    return { recorded: true, previousState, changed };
  });
}

/** Reads the company's recorded key health; undefined before its first check. */
export async function findKeyHealth(
  db: Kysely<Database>,
  companyId: string,
): Promise<KeyHealthView | undefined> {
  const row = await db
    .selectFrom('key_health')
    .selectAll()
    .where('company_id', '=', companyId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    state: row.state as KeyHealthState,
    message: row.message,
    checkedAt: new Date(row.checked_at).toISOString(),
    changedAt: new Date(row.changed_at).toISOString(),
    nextCheckAt: new Date(row.next_check_at).toISOString(),
    ...(row.deletion_date ? { deletionDate: new Date(row.deletion_date).toISOString() } : {}),
    unknownGrants: row.unknown_grants,
  };
}
