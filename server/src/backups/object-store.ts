/**
 * Stores encrypted backup objects as files: `<root>/<backup set id>/<object id>.rdbo`.
 *
 * Writes are atomic (atomic-file.ts), so a crash leaves either no object or the complete one. The ids
 * become path segments, so both are checked against a strict pattern first.
 */
import type { ReadStream } from 'node:fs';
import { mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, invalidInput } from '../errors/app-error.js';
import { writeChunksAtomically } from './atomic-file.js';

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const OBJECT_FILE_SUFFIX = '.rdbo';

export class BackupObjectFileStore {
  readonly rootDirectory: string;

  constructor(rootDirectory: string) {
    this.rootDirectory = rootDirectory;
  }

  /** Returns the file path of an object. Raises INVALID_INPUT for an id that is not 1–128 letters, digits, `_` or `-`. */
  objectPath(backupSetId: string, objectId: string): string {
    assertId('backupSetId', backupSetId);
    assertId('objectId', objectId);
    return join(this.rootDirectory, backupSetId, `${objectId}${OBJECT_FILE_SUFFIX}`);
  }

  /** Writes an encrypted object atomically, replacing any object with the same ids. */
  async write(
    backupSetId: string,
    objectId: string,
    encrypted: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<void> {
    const path = this.objectPath(backupSetId, objectId);
    await mkdir(join(this.rootDirectory, backupSetId), { recursive: true, mode: 0o700 });
    await writeChunksAtomically(path, encrypted, { mode: 0o600 });
  }

  /** Opens an object for reading. Raises NOT_FOUND when there is no such object. */
  async openRead(backupSetId: string, objectId: string): Promise<ReadStream> {
    const path = this.objectPath(backupSetId, objectId);

    // Opening first turns a missing file into NOT_FOUND here rather than a stream error later.
    const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw notFound(backupSetId, objectId);
      throw error;
    });
    return handle.createReadStream({ highWaterMark: 64 * 1024 });
  }

  /** Deletes an object; returns false when it did not exist. */
  async delete(backupSetId: string, objectId: string): Promise<boolean> {
    try {
      await unlink(this.objectPath(backupSetId, objectId));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }
}

function assertId(field: string, value: string): void {
  if (!ID_PATTERN.test(value)) {
    throw invalidInput(
      field,
      'is not a valid id',
      '1 to 128 letters, digits, "_" or "-", starting with a letter or digit',
    );
  }
}

function notFound(backupSetId: string, objectId: string): AppError {
  return new AppError('NOT_FOUND', `Backup object ${objectId} of backup set ${backupSetId} was not found.`, {
    details: { backupSetId, objectId },
  });
}
