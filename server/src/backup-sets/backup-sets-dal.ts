import type { Kysely } from 'kysely';
import type { BackupSetKind, Database } from '../db/schema.js';

export interface BackupSet {
  id: string;
  companyId: string;
  kind: BackupSetKind;
  tenantId: string;
  primaryDomain: string;
  name: string;
  createdAt: Date;
}

function selectBackupSets(db: Kysely<Database>) {
  return db
    .selectFrom('backup_sets')
    .select([
      'id',
      'company_id as companyId',
      'kind',
      'tenant_id as tenantId',
      'primary_domain as primaryDomain',
      'name',
      'created_at as createdAt',
    ]);
}

export function listBackupSets(db: Kysely<Database>, companyId: string): Promise<BackupSet[]> {
  return selectBackupSets(db).where('company_id', '=', companyId).orderBy('name').execute();
}

/** Finds a backup set of the given company only, so one company's id never reaches another's data. */
export function findBackupSet(db: Kysely<Database>, companyId: string, backupSetId: string) {
  return selectBackupSets(db)
    .where('company_id', '=', companyId)
    .where('id', '=', backupSetId)
    .executeTakeFirst();
}

export function findBackupSetByName(db: Kysely<Database>, companyId: string, name: string) {
  return selectBackupSets(db).where('company_id', '=', companyId).where('name', '=', name).executeTakeFirst();
}

export async function insertBackupSet(
  db: Kysely<Database>,
  values: Omit<BackupSet, 'id' | 'createdAt'>,
  id = crypto.randomUUID(),
): Promise<string> {
  await db
    .insertInto('backup_sets')
    .values({
      id,
      company_id: values.companyId,
      kind: values.kind,
      tenant_id: values.tenantId,
      primary_domain: values.primaryDomain,
      name: values.name,
    })
    .execute();
  return id;
}
