import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The provider protecting each company's keys, and its non-secret configuration.
  await db.schema
    .alterTable('companies')
    .addColumn('provider_type', 'text', (c) => c.notNull().defaultTo('cybersentriq'))
    .addColumn('provider_config', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();

  await db.schema
    .createTable('company_keys')
    .addColumn('company_id', 'uuid', (c) => c.notNull().references('companies.id'))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
    .addColumn('provider_type', 'text', (c) => c.notNull())
    .addColumn('provider_key_id', 'text', (c) => c.notNull())
    .addColumn('mechanism', 'text', (c) => c.notNull())
    .addColumn('format_version', 'integer', (c) => c.notNull())
    .addColumn('ciphertext', 'bytea', (c) => c.notNull())
    .addColumn('context', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('company_keys_pk', ['company_id', 'version'])
    .execute();

  await db.schema
    .createTable('backup_keys')
    .addColumn('backup_set_id', 'uuid', (c) => c.notNull().references('backup_sets.id'))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
    .addColumn('company_id', 'uuid', (c) => c.notNull())
    .addColumn('company_key_version', 'integer', (c) => c.notNull())
    .addColumn('wrapped_key', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('backup_keys_pk', ['backup_set_id', 'version'])
    // A company key version cannot be deleted while a backup key needs it.
    .addForeignKeyConstraint(
      'backup_keys_company_key_fk',
      ['company_id', 'company_key_version'],
      'company_keys',
      ['company_id', 'version'],
      (c) => c.onDelete('restrict'),
    )
    .execute();

  await db.schema
    .createTable('backup_objects')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('backup_set_id', 'uuid', (c) => c.notNull().references('backup_sets.id'))
    .addColumn('company_id', 'uuid', (c) => c.notNull().references('companies.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('stored_bytes', 'bigint', (c) => c.notNull())
    .addColumn('backup_key_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint(
      'backup_objects_backup_key_fk',
      ['backup_set_id', 'backup_key_version'],
      'backup_keys',
      ['backup_set_id', 'version'],
    )
    .execute();
  await db.schema
    .createIndex('backup_objects_backup_set')
    .on('backup_objects')
    .column('backup_set_id')
    .execute();

  // One holder at a time per company for work that spans provider calls (switch, rotation).
  await db.schema
    .createTable('company_leases')
    .addColumn('company_id', 'uuid', (c) => c.primaryKey().references('companies.id'))
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['company_leases', 'backup_objects', 'backup_keys', 'company_keys']) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable('companies').dropColumn('provider_type').dropColumn('provider_config').execute();
}
