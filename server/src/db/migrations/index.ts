import type { Migration, MigrationProvider } from 'kysely';
import * as foundation from './0001-foundation.js';

/**
 * Every migration, in order. Listed statically (not read from disk) so the compiled server and
 * the tests apply the same set. Names sort in application order; never rename or edit one that
 * has shipped: add a new one.
 */
const migrations: Record<string, Migration> = {
  '0001-foundation': foundation,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
