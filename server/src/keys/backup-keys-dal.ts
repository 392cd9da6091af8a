import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export interface StoredBackupKey {
  version: number;
  companyKeyVersion: number;
  wrappedKey: Buffer;
}

function toStored(row: {
  version: number;
  company_key_version: number;
  wrapped_key: Uint8Array;
}): StoredBackupKey {
  return {
    version: row.version,
    companyKeyVersion: row.company_key_version,
    wrappedKey: Buffer.from(row.wrapped_key),
  };
}

export async function findNewestBackupKey(
  db: Kysely<Database>,
  backupSetId: string,
): Promise<StoredBackupKey | undefined> {
  const row = await db
    .selectFrom('backup_keys')
    .select(['version', 'company_key_version', 'wrapped_key'])
    .where('backup_set_id', '=', backupSetId)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && toStored(row);
}

export async function findBackupKey(
  db: Kysely<Database>,
  backupSetId: string,
  version: number,
): Promise<StoredBackupKey | undefined> {
  const row = await db
    .selectFrom('backup_keys')
    .select(['version', 'company_key_version', 'wrapped_key'])
    .where('backup_set_id', '=', backupSetId)
    .where('version', '=', version)
    .executeTakeFirst();
  return row && toStored(row);
}

/** Inserts a backup key version; returns false when another writer took that version first. */
export async function insertBackupKey(
  db: Kysely<Database>,
  values: {
    backupSetId: string;
    companyId: string;
    version: number;
    companyKeyVersion: number;
    wrappedKey: Buffer;
  },
): Promise<boolean> {
  const result = await db
    .insertInto('backup_keys')
    .values({
      backup_set_id: values.backupSetId,
      company_id: values.companyId,
      version: values.version,
      company_key_version: values.companyKeyVersion,
      wrapped_key: values.wrappedKey,
    })
    .onConflict((oc) => oc.columns(['backup_set_id', 'version']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}
