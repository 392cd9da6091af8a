import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Every External ID ever suggested or saved, for any company: never deleted, so one can never be
  // reused to point CyberSentriq at another customer's role.
  await db.schema
    .createTable('external_ids')
    .addColumn('external_id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'uuid', (c) => c.notNull().references('companies.id'))
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('suggested', 'saved')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('external_ids_company').on('external_ids').column('company_id').execute();

  await db.schema
    .createTable('provider_switches')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('company_id', 'uuid', (c) => c.notNull().references('companies.id'))
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('pending', 'finishing', 'finished', 'cancelled', 'replaced')`),
    )
    .addColumn('source_type', 'text', (c) => c.notNull())
    .addColumn('source_config', 'jsonb', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_config', 'jsonb', (c) => c.notNull())
    .addColumn('created_by_user_id', 'uuid')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('last_error', 'jsonb')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz')
    .execute();
  // One switch in progress per company, whatever the number of replicas.
  await sql`create unique index provider_switches_one_active on provider_switches (company_id)
            where state in ('pending', 'finishing')`.execute(db);

  await db.schema
    .createTable('tenant_verifications')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('company_id', 'uuid', (c) => c.notNull().references('companies.id'))
    .addColumn('switch_id', 'uuid', (c) => c.references('provider_switches.id'))
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('switch', 'export')`))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('verified', 'refused')`))
    .addColumn('reason', 'text')
    .addColumn('identity', 'text')
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('tenant_verifications_lookup')
    .on('tenant_verifications')
    .columns(['company_id', 'kind', 'tenant_id', 'created_at'])
    .execute();

  // OAuth state of a verification in progress: single use, expiring, bound to session, switch and tenant.
  await db.schema
    .createTable('verification_states')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('session_id_hash', 'text', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('company_id', 'uuid', (c) => c.notNull())
    .addColumn('switch_id', 'uuid')
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('export_offers')
    .addColumn('company_id', 'uuid', (c) => c.primaryKey().references('companies.id'))
    .addColumn('switch_id', 'uuid')
    .addColumn('available', 'boolean', (c) => c.notNull())
    .addColumn('offered_at', 'timestamptz', (c) => c.notNull())
    .addColumn('consumed_at', 'timestamptz')
    .addColumn('consumed_by', 'text')
    .execute();

  await db.schema
    .createTable('key_health')
    .addColumn('company_id', 'uuid', (c) => c.primaryKey().references('companies.id'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('deletion_date', 'timestamptz')
    .addColumn('unknown_grants', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('checked_at', 'timestamptz', (c) => c.notNull())
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('next_check_at', 'timestamptz', (c) => c.notNull())
    .execute();

  // The small ciphertext the key health check decrypts, per company and key ARN.
  await db.schema
    .alterTable('companies')
    .addColumn('provider_since', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('health_ciphertext', 'bytea')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'key_health',
    'export_offers',
    'verification_states',
    'tenant_verifications',
    'provider_switches',
    'external_ids',
  ]) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema
    .alterTable('companies')
    .dropColumn('provider_since')
    .dropColumn('health_ciphertext')
    .execute();
}
