import type { Kysely } from 'kysely';

/** Lets the tenant check of a switch read one index entry per backup set instead of whole rows. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('backup_sets_company_tenant')
    .on('backup_sets')
    .columns(['company_id', 'kind', 'tenant_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('backup_sets_company_tenant').execute();
}
