import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/database.js';
import { createTestDatabase } from '../support/test-database.js';

describe('migrations', () => {
  it('apply once and are then a no-op', async () => {
    const database = await createTestDatabase();
    try {
      expect(await migrateToLatest(database.db)).toEqual([]);
      const tables = await sql<{ table_name: string }>`
        select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(
        database.db,
      );
      expect(tables.rows.map((row) => row.table_name)).toEqual(
        expect.arrayContaining(['backup_sets', 'companies', 'partners', 'sessions', 'users']),
      );
    } finally {
      await database.close();
    }
  });

  it('enforce that company roles name a company', async () => {
    const database = await createTestDatabase();
    try {
      const partnerId = crypto.randomUUID();
      await database.db.insertInto('partners').values({ id: partnerId, name: 'P' }).execute();
      const insert = database.db
        .insertInto('users')
        .values({
          id: crypto.randomUUID(),
          email: 'x@y.example',
          display_name: 'x',
          password_hash: 'h',
          role: 'company_admin',
          partner_id: partnerId,
          company_id: null,
        })
        .execute();
      await expect(insert).rejects.toThrow(/users_company_matches_role/);
    } finally {
      await database.close();
    }
  });
});
