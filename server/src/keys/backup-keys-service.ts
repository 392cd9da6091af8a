import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import { generateKey } from './aes-gcm.js';
import { unwrapBackupKey, wrapBackupKey } from './backup-key-wrap.js';
import { findBackupKey, findNewestBackupKey, insertBackupKey } from './backup-keys-dal.js';
import type { CompanyKeyService } from './company-keys-service.js';

export interface BackupKeyServiceDeps {
  db: Kysely<Database>;
  companyKeys: CompanyKeyService;
  logger: Logger;
}

/**
 * Backup keys: one 256-bit AES key per backup set and version, wrapped by a company key version.
 * New data always uses a backup key wrapped by the newest company key version: when the company key
 * has been rotated (or re-created by a provider switch) since the backup set's newest backup key, the
 * next upload adds a backup key version under the newest company key, so data written afterwards
 * never depends on an older company key version.
 */
export class BackupKeyService {
  readonly #deps: BackupKeyServiceDeps;

  constructor(deps: BackupKeyServiceDeps) {
    this.#deps = deps;
  }

  /** Returns the backup key that new objects of the backup set use. The caller zeroes `key`. */
  async keyForUpload(companyId: string, backupSetId: string): Promise<{ version: number; key: Buffer }> {
    // Two writers may race to add the same version; the loser reads the winner's key.
    for (let attempt = 0; attempt < 3; attempt++) {
      const companyKeyVersion = await this.#deps.companyKeys.ensureCompanyKey(companyId);
      const newest = await findNewestBackupKey(this.#deps.db, backupSetId);

      if (newest && newest.companyKeyVersion === companyKeyVersion) {
        const key = await this.#unwrap(companyId, backupSetId, newest);
        return { version: newest.version, key };
      }

      const version = (newest?.version ?? 0) + 1;
      const key = generateKey();
      const companyKey = await this.#deps.companyKeys.unwrap(companyId, companyKeyVersion);
      let wrappedKey: Buffer;
      try {
        wrappedKey = wrapBackupKey(companyKey, key, {
          companyId,
          backupSetId,
          companyKeyVersion,
          backupKeyVersion: version,
        });
      } finally {
        companyKey.fill(0);
      }

      if (
        await insertBackupKey(this.#deps.db, {
          backupSetId,
          companyId,
          version,
          companyKeyVersion,
          wrappedKey,
        })
      ) {
        this.#deps.logger.info(
          { companyId, backupSetId, version, companyKeyVersion },
          'backup key version created',
        );
        return { version, key };
      }
      key.fill(0);
    }
    throw new Error(`Backup set ${backupSetId} kept changing its newest backup key; try again.`);
  }

  /** Returns a backup key version, or undefined when the backup set has no such version. The caller zeroes it. */
  async keyForDownload(companyId: string, backupSetId: string, version: number): Promise<Buffer | undefined> {
    const stored = await findBackupKey(this.#deps.db, backupSetId, version);
    return stored && this.#unwrap(companyId, backupSetId, stored);
  }

  async #unwrap(
    companyId: string,
    backupSetId: string,
    stored: { version: number; companyKeyVersion: number; wrappedKey: Buffer },
  ): Promise<Buffer> {
    const companyKey = await this.#deps.companyKeys.unwrap(companyId, stored.companyKeyVersion);
    try {
      return unwrapBackupKey(companyKey, stored.wrappedKey, {
        companyId,
        backupSetId,
        companyKeyVersion: stored.companyKeyVersion,
        backupKeyVersion: stored.version,
      });
    } finally {
      companyKey.fill(0);
    }
  }
}
