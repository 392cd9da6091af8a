import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** Returns the company's suggested External ID, creating one (a random UUID) when it has none unused. */
export async function suggestedExternalId(db: Kysely<Database>, companyId: string): Promise<string> {
  const existing = await db
    .selectFrom('external_ids')
    .select('external_id')
    .where('company_id', '=', companyId)
    .where('state', '=', 'suggested')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (existing) return existing.external_id;

  const externalId = crypto.randomUUID();
  await db
    .insertInto('external_ids')
    .values({ external_id: externalId, company_id: companyId, state: 'suggested' })
    .execute();
  return externalId;
}

/** Whether an External ID was ever suggested to or saved by another company. */
export async function externalIdTakenByOther(
  db: Kysely<Database>,
  externalId: string,
  companyId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('external_ids')
    .select('company_id')
    .where('external_id', '=', externalId)
    .where('company_id', '<>', companyId)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Records an External ID as saved by the company. Returns false when another company holds it:
 * the primary key on external_id makes the first company to claim it the only one, even when two
 * Saves race.
 */
export async function claimExternalId(
  db: Kysely<Database>,
  externalId: string,
  companyId: string,
): Promise<boolean> {
  const row = await db
    .insertInto('external_ids')
    .values({ external_id: externalId, company_id: companyId, state: 'saved' })
    .onConflict((oc) =>
      oc
        .column('external_id')
        .doUpdateSet({ state: 'saved' })
        .where('external_ids.company_id', '=', companyId),
    )
    .returning('company_id')
    .executeTakeFirst();
  return row?.company_id === companyId;
}
