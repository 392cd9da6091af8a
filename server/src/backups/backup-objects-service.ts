import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { findBackupSet } from '../backup-sets/backup-sets-dal.js';
import type { Database } from '../db/schema.js';
import { AppError, invalidInput } from '../errors/app-error.js';
import type { BackupKeyService } from '../keys/backup-keys-service.js';
import {
  type BackupObject,
  findBackupObject,
  insertBackupObject,
  listBackupObjects,
} from './backup-objects-dal.js';
import { decryptObjectChunks } from './object-decrypt.js';
import { encryptObjectChunks } from './object-encrypt.js';
import type { BackupObjectFileStore } from './object-store.js';

export interface BackupObjectServiceDeps {
  db: Kysely<Database>;
  backupKeys: BackupKeyService;
  store: BackupObjectFileStore;
  logger: Logger;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects.
const controlCharacters = /[\u0000-\u001f\u007f]/;

/**
 * Backup objects: uploaded as a stream, encrypted in frames under the backup set's current backup
 * key, written atomically, and recorded in the database only once the file is complete, so a crash
 * never leaves a visible half-written object.
 */
export class BackupObjectService {
  readonly #deps: BackupObjectServiceDeps;

  constructor(deps: BackupObjectServiceDeps) {
    this.#deps = deps;
  }

  async #requireBackupSet(companyId: string, backupSetId: string): Promise<void> {
    if (!(await findBackupSet(this.#deps.db, companyId, backupSetId))) {
      throw new AppError('NOT_FOUND', `Backup set ${backupSetId} was not found in this company.`);
    }
  }

  list(companyId: string, backupSetId: string): Promise<BackupObject[]> {
    return this.#requireBackupSet(companyId, backupSetId).then(() =>
      listBackupObjects(this.#deps.db, companyId, backupSetId),
    );
  }

  async get(companyId: string, backupSetId: string, objectId: string): Promise<BackupObject> {
    const object = await findBackupObject(this.#deps.db, companyId, backupSetId, objectId);
    if (!object)
      throw new AppError(
        'NOT_FOUND',
        `Backup object ${objectId} was not found in backup set ${backupSetId}.`,
      );
    return object;
  }

  /** Encrypts and stores a stream of plaintext as a new object of the backup set. */
  async upload(
    companyId: string,
    backupSetId: string,
    plaintext: AsyncIterable<Buffer>,
    name: string,
  ): Promise<BackupObject> {
    if (name.length === 0 || name.length > 255 || controlCharacters.test(name)) {
      throw invalidInput(
        'name',
        `"${name}" is empty, longer than 255 characters or has control characters`,
        '1 to 255 printable characters',
      );
    }
    await this.#requireBackupSet(companyId, backupSetId);

    const objectId = crypto.randomUUID();
    const { version, key } = await this.#deps.backupKeys.keyForUpload(companyId, backupSetId);
    let sizeBytes = 0;
    let storedBytes = 0;
    try {
      const counted = async function* () {
        for await (const chunk of plaintext) {
          sizeBytes += chunk.length;
          yield chunk;
        }
      };
      const encrypted = async function* () {
        for await (const chunk of encryptObjectChunks(counted(), {
          backupKey: key,
          backupKeyVersion: version,
          backupSetId,
          objectId,
        })) {
          storedBytes += chunk.length;
          yield chunk;
        }
      };
      await this.#deps.store.write(backupSetId, objectId, encrypted());
    } finally {
      key.fill(0);
    }

    const object = {
      id: objectId,
      backupSetId,
      companyId,
      name,
      sizeBytes,
      storedBytes,
      backupKeyVersion: version,
    };
    try {
      await insertBackupObject(this.#deps.db, object);
    } catch (error) {
      await this.#deps.store.delete(backupSetId, objectId).catch(() => undefined);
      throw error;
    }
    this.#deps.logger.info(
      { companyId, backupSetId, objectId, sizeBytes, backupKeyVersion: version },
      'backup object stored',
    );
    return this.get(companyId, backupSetId, objectId);
  }

  /** Decrypts a stored object as a stream of plaintext; damage raises BACKUP_OBJECT_DAMAGED naming it. */
  async *download(companyId: string, backupSetId: string, objectId: string): AsyncGenerator<Buffer> {
    await this.get(companyId, backupSetId, objectId);
    const encrypted: Readable = await this.#deps.store.openRead(backupSetId, objectId);
    try {
      yield* decryptObjectChunks(encrypted, {
        backupSetId,
        objectId,
        getBackupKey: (version) => this.#deps.backupKeys.keyForDownload(companyId, backupSetId, version),
      });
    } finally {
      encrypted.destroy();
    }
  }

  /**
   * Decrypts the whole object and discards the plaintext, so an HTTP download can report damage or a
   * revoked key as an error response before it sends the first byte.
   */
  async verify(companyId: string, backupSetId: string, objectId: string): Promise<void> {
    for await (const _chunk of this.download(companyId, backupSetId, objectId)) {
      // Discarded: only the authentication of every frame matters here.
    }
  }
}
