import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors/app-error.js';

/**
 * A per-company lease in the database: the one holder at a time, across every server replica, of
 * work that spans provider calls (a provider switch, a company key rotation, a platform key
 * rotation). A lease rather than a row lock, because a lock held across network calls to a
 * customer's KMS would pin a database connection for as long as those calls take. A lease expires
 * by itself, so a crashed holder blocks the company for at most the lease length.
 */
export const defaultLeaseMs = 30_000;

/** Takes the lease if it is free, expired, or already held by this holder; returns whether it did. */
export async function acquireLease(
  db: Kysely<Database>,
  companyId: string,
  holder: string,
  purpose: string,
  durationMs = defaultLeaseMs,
): Promise<boolean> {
  const expiresAt = new Date(Date.now() + durationMs);
  const result = await db
    .insertInto('company_leases')
    .values({ company_id: companyId, holder, purpose, expires_at: expiresAt })
    .onConflict((oc) =>
      oc
        .column('company_id')
        .doUpdateSet({ holder, purpose, expires_at: expiresAt })
        .where(sql<boolean>`company_leases.expires_at < now() or company_leases.holder = ${holder}`),
    )
    .returning('holder')
    .executeTakeFirst();
  return result?.holder === holder;
}

export async function releaseLease(db: Kysely<Database>, companyId: string, holder: string): Promise<void> {
  await db
    .deleteFrom('company_leases')
    .where('company_id', '=', companyId)
    .where('holder', '=', holder)
    .execute();
}

/** Whether `holder` still holds the company's lease; check it inside the transaction that commits the work. */
export async function holdsLease(db: Kysely<Database>, companyId: string, holder: string): Promise<boolean> {
  const row = await db
    .selectFrom('company_leases')
    .select('holder')
    .where('company_id', '=', companyId)
    .where('holder', '=', holder)
    .where('expires_at', '>', new Date())
    .forUpdate()
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Runs `work` while holding the company's lease, renewing it every third of its duration; raises
 * OPERATION_IN_PROGRESS when another holder has it. `work` receives the holder name, so it can
 * check with `holdsLease` that the lease did not lapse before it commits.
 */
export async function withCompanyLease<T>(
  db: Kysely<Database>,
  companyId: string,
  purpose: string,
  work: (holder: string) => Promise<T>,
  logger?: Logger,
  durationMs = defaultLeaseMs,
): Promise<T> {
  const holder = `${purpose}:${crypto.randomUUID()}`;
  if (!(await acquireLease(db, companyId, holder, purpose, durationMs))) {
    const current = await db
      .selectFrom('company_leases')
      .select('purpose')
      .where('company_id', '=', companyId)
      .executeTakeFirst();
    throw new AppError(
      'OPERATION_IN_PROGRESS',
      `Another key operation (${current?.purpose ?? 'unknown'}) is running for company ${companyId}.`,
    );
  }

  logger?.debug({ companyId, purpose }, 'company lease acquired');
  const renewal = setInterval(() => {
    acquireLease(db, companyId, holder, purpose, durationMs).catch((error: unknown) =>
      logger?.error({ err: error, companyId, purpose }, 'company lease renewal failed'),
    );
  }, durationMs / 3);
  try {
    return await work(holder);
  } finally {
    clearInterval(renewal);
    await releaseLease(db, companyId, holder).catch((error: unknown) =>
      logger?.error({ err: error, companyId, purpose }, 'company lease release failed'),
    );
  }
}
