import type { Migration, MigrationProvider } from 'kysely';
import * as foundation from './0001-foundation.js';
import * as keyHierarchy from './0002-key-hierarchy.js';
import * as auditLog from './0003-audit-log.js';
import * as providerSwitch from './0004-provider-switch.js';
import * as tenantIndex from './0005-tenant-index.js';

/**
 * Every migration, in order. Listed statically (not read from disk) so the compiled server and
 * the tests apply the same set. Names sort in application order; never rename or edit one that
 * has shipped: add a new one.
 */
const migrations: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-key-hierarchy': keyHierarchy,
  '0003-audit-log': auditLog,
  '0004-provider-switch': providerSwitch,
  '0005-tenant-index': tenantIndex,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
