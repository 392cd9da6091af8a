import type { Kysely, Selectable } from 'kysely';
import type { CompanyKeysTable, Database } from '../db/schema.js';
import type { ProviderType, WrappedKey } from '../providers/provider-types.js';

export interface CompanyKeyVersion {
  version: number;
  providerType: string;
  providerKeyId: string;
  mechanism: string;
  createdAt: Date;
}

/** PGlite returns bytea as Uint8Array and pg as Buffer; callers get a Buffer either way. */
function toWrappedKey(row: Selectable<CompanyKeysTable>): WrappedKey {
  return {
    providerType: row.provider_type as ProviderType,
    providerKeyId: row.provider_key_id,
    mechanism: row.mechanism,
    formatVersion: row.format_version,
    ciphertext: Buffer.from(row.ciphertext),
    context: { companyId: row.context.companyId, companyKeyVersion: row.context.companyKeyVersion },
  };
}

export async function findWrappedCompanyKey(
  db: Kysely<Database>,
  companyId: string,
  version: number,
): Promise<WrappedKey | undefined> {
  const row = await db
    .selectFrom('company_keys')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('version', '=', version)
    .executeTakeFirst();
  return row && toWrappedKey(row);
}

export async function listWrappedCompanyKeys(db: Kysely<Database>, companyId: string): Promise<WrappedKey[]> {
  const rows = await db
    .selectFrom('company_keys')
    .selectAll()
    .where('company_id', '=', companyId)
    .orderBy('version')
    .execute();
  return rows.map(toWrappedKey);
}

export function listCompanyKeyVersions(
  db: Kysely<Database>,
  companyId: string,
): Promise<CompanyKeyVersion[]> {
  return db
    .selectFrom('company_keys')
    .select([
      'version',
      'provider_type as providerType',
      'provider_key_id as providerKeyId',
      'mechanism',
      'created_at as createdAt',
    ])
    .where('company_id', '=', companyId)
    .orderBy('version')
    .execute();
}

export async function newestCompanyKeyVersion(
  db: Kysely<Database>,
  companyId: string,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('company_keys')
    .select((eb) => eb.fn.max('version').as('version'))
    .where('company_id', '=', companyId)
    .executeTakeFirst();
  return row?.version ?? undefined;
}

/** Inserts a wrapped company key version; returns false when that version already exists. */
export async function insertWrappedCompanyKey(db: Kysely<Database>, wrapped: WrappedKey): Promise<boolean> {
  const result = await db
    .insertInto('company_keys')
    .values({
      company_id: wrapped.context.companyId,
      version: wrapped.context.companyKeyVersion,
      provider_type: wrapped.providerType,
      provider_key_id: wrapped.providerKeyId,
      mechanism: wrapped.mechanism,
      format_version: wrapped.formatVersion,
      ciphertext: wrapped.ciphertext,
      context: JSON.stringify(wrapped.context),
    })
    .onConflict((oc) => oc.columns(['company_id', 'version']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/**
 * Replaces the wrapping of an existing version, only if it is still the one the caller re-wrapped
 * (same provider key id and ciphertext). Returns false when another writer changed it first.
 */
export async function replaceWrappedCompanyKey(
  db: Kysely<Database>,
  previous: WrappedKey,
  next: WrappedKey,
): Promise<boolean> {
  const result = await db
    .updateTable('company_keys')
    .set({
      provider_type: next.providerType,
      provider_key_id: next.providerKeyId,
      mechanism: next.mechanism,
      format_version: next.formatVersion,
      ciphertext: next.ciphertext,
      context: JSON.stringify(next.context),
    })
    .where('company_id', '=', previous.context.companyId)
    .where('version', '=', previous.context.companyKeyVersion)
    .where('provider_key_id', '=', previous.providerKeyId)
    .where('ciphertext', '=', previous.ciphertext)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deletes company key versions older than `keepFrom` that no backup key needs; returns the versions deleted. */
export async function deleteUnusedCompanyKeyVersions(
  db: Kysely<Database>,
  companyId: string,
  keepFrom: number,
): Promise<number[]> {
  const rows = await db
    .deleteFrom('company_keys')
    .where('company_id', '=', companyId)
    .where('version', '<', keepFrom)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('backup_keys')
            .select('backup_keys.version')
            .whereRef('backup_keys.company_id', '=', 'company_keys.company_id')
            .whereRef('backup_keys.company_key_version', '=', 'company_keys.version'),
        ),
      ),
    )
    .returning('version')
    .execute();
  return rows.map((row) => row.version);
}
