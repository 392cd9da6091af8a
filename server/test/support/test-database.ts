import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../../src/db/database.js';

/**
 * The PostgreSQL server the database suite runs against when set (CI runs the suite twice: once on
 * PGlite, once with this variable). Each call gets a fresh database on that server.
 */
export const testDatabaseUrl = process.env.REDAPP_TEST_DATABASE_URL || undefined;

export interface TestDatabase extends DatabaseHandle {
  /** Connection string of this test's database (PostgreSQL only), for child processes. */
  url: string | undefined;
}

/** Opens a migrated, empty database: in-memory PGlite, or a new database on REDAPP_TEST_DATABASE_URL. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (!testDatabaseUrl) {
    const handle = await openDatabase({});
    await migrateToLatest(handle.db);
    return { ...handle, url: undefined };
  }

  const name = `redapp_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();

  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: url.toString() });
  await migrateToLatest(handle.db);
  return {
    ...handle,
    kind: 'postgres',
    url: url.toString(),
    close: async () => {
      await handle.close();
      const cleanup = new pg.Client({ connectionString: testDatabaseUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}
