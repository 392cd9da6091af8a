import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export interface BackupObject {
  id: string;
  backupSetId: string;
  companyId: string;
  name: string;
  sizeBytes: number;
  storedBytes: number;
  backupKeyVersion: number;
  createdAt: Date;
}

function selectObjects(db: Kysely<Database>) {
  return db
    .selectFrom('backup_objects')
    .select([
      'id',
      'backup_set_id as backupSetId',
      'company_id as companyId',
      'name',
      'size_bytes as sizeBytes',
      'stored_bytes as storedBytes',
      'backup_key_version as backupKeyVersion',
      'created_at as createdAt',
    ]);
}

export async function listBackupObjects(
  db: Kysely<Database>,
  companyId: string,
  backupSetId: string,
): Promise<BackupObject[]> {
  const rows = await selectObjects(db)
    .where('company_id', '=', companyId)
    .where('backup_set_id', '=', backupSetId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(normalise);
}

export async function findBackupObject(
  db: Kysely<Database>,
  companyId: string,
  backupSetId: string,
  objectId: string,
): Promise<BackupObject | undefined> {
  const row = await selectObjects(db)
    .where('company_id', '=', companyId)
    .where('backup_set_id', '=', backupSetId)
    .where('id', '=', objectId)
    .executeTakeFirst();
  return row && normalise(row);
}

export async function insertBackupObject(
  db: Kysely<Database>,
  object: Omit<BackupObject, 'createdAt'>,
): Promise<void> {
  await db
    .insertInto('backup_objects')
    .values({
      id: object.id,
      backup_set_id: object.backupSetId,
      company_id: object.companyId,
      name: object.name,
      size_bytes: object.sizeBytes,
      stored_bytes: object.storedBytes,
      backup_key_version: object.backupKeyVersion,
    })
    .execute();
}

/** bigint columns arrive as numbers from pg (our type parser) and as bigint from PGlite. */
function normalise(row: BackupObject): BackupObject {
  return { ...row, sizeBytes: Number(row.sizeBytes), storedBytes: Number(row.storedBytes) };
}
