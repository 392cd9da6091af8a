import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { DataDirLock } from './data-dir-lock.js';
import { migrationProvider } from './migrations/index.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';

export interface DatabaseHandle {
  db: Kysely<Database>;
  /** 'pglite' for the embedded database, 'postgres' for a server reached through DATABASE_URL. */
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL connection string; PGlite is used when absent. */
  databaseUrl?: string | undefined;
  /** Directory of the embedded database; in memory when absent (tests). */
  dataDir?: string | undefined;
  /** Connection pool size for PostgreSQL. */
  poolSize?: number;
  /** Called when an idle pooled connection fails (server restart, connection terminated). */
  onPoolError?: (error: Error) => void;
}

// PostgreSQL returns bigint (int8) as text by default; our counts fit in a double.
pg.types.setTypeParser(20, (value) => Number.parseInt(value, 10));

/** Opens the database: PostgreSQL when a URL is given, else PGlite (in dataDir, locked to this process). */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    // An idle connection that the server ends emits 'error' on the pool; without a listener Node
    // treats it as an uncaught exception. The pool replaces the connection on the next checkout.
    pool.on('error', (error) => options.onPoolError?.(error));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }

  const lock = options.dataDir ? DataDirLock.acquire(options.dataDir) : undefined;
  try {
    const pglite = options.dataDir ? new PGlite(path.join(options.dataDir, 'pglite')) : new PGlite();
    await pglite.waitReady;
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    return {
      db,
      kind: 'pglite',
      close: async () => {
        await db.destroy();
        await pglite.close();
        lock?.release();
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

/** Applies every pending migration; throws the first failure with the migration's name. */
export async function migrateToLatest(db: Kysely<Database>, logger?: Logger): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  for (const name of applied) logger?.info({ migration: name }, 'migration applied');

  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const name = failed ? ` ${failed.migrationName}` : '';
    throw new Error(`Database migration${name} failed: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  }
  return applied;
}
