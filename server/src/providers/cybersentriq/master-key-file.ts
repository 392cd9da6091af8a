/**
 * The platform master key file: the embedded default provider key of the CyberSentriq-managed
 * provider, kept in one JSON file, `platform-master-key.json`, in a directory the server owns.
 *
 *   {
 *     "formatVersion": 1,
 *     "currentVersion": 2,
 *     "versions": [
 *       { "version": 1, "createdAt": "2026-01-01T00:00:00.000Z", "key": "<32 bytes, base64>" },
 *       { "version": 2, "createdAt": "2026-06-01T00:00:00.000Z", "key": "<32 bytes, base64>" }
 *     ]
 *   }
 *
 * New wraps use `currentVersion`; older versions stay so keys wrapped under them still unwrap. The file
 * has mode 0600 and is replaced atomically (temporary file, fsync, rename, directory fsync) on creation
 * and on every rotation. A file that the group or others may read or write is rejected.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileExclusively, writeFileAtomically } from '../../backups/atomic-file.js';
import { AppError } from '../../errors/app-error.js';

export const MASTER_KEY_FILE_NAME = 'platform-master-key.json';
const FILE_FORMAT_VERSION = 1;
const KEY_BYTES = 32;

export interface MasterKeyVersionInfo {
  version: number;
  createdAt: string;
}

interface MasterKeyVersion extends MasterKeyVersionInfo {
  key: Buffer;
}

interface LoadedFile {
  currentVersion: number;
  versions: Map<number, MasterKeyVersion>;
  /** Inode of the file that was read; a rotation by another process replaces the file and changes it. */
  inode: number;
}

export interface MasterKeyFileOptions {
  /** Create the file with a first version when it does not exist. Default true. */
  create?: boolean;
  /** Clock for `createdAt`, injectable for tests. */
  now?: () => Date;
}

/**
 * Holds the platform master key versions in memory for the life of the process.
 * NOTE: the keys stay in memory unzeroed until the process exits; see key-cache.ts for what Node does
 * not let us guarantee about copies.
 */
export class MasterKeyFile {
  readonly path: string;
  readonly #now: () => Date;
  #loaded: LoadedFile;

  private constructor(path: string, loaded: LoadedFile, now: () => Date) {
    this.path = path;
    this.#loaded = loaded;
    this.#now = now;
  }

  /** Opens the master key file in `directory`, creating the directory (0700) and the file (0600) if needed. */
  static async open(directory: string, options: MasterKeyFileOptions = {}): Promise<MasterKeyFile> {
    const now = options.now ?? (() => new Date());
    const path = join(directory, MASTER_KEY_FILE_NAME);

    if (!(await exists(path))) {
      if (options.create === false) {
        throw keyFileError(path, `The platform master key file ${path} does not exist.`);
      }
      await mkdir(directory, { recursive: true, mode: 0o700 });
      await createFirstVersion(path, now());
    }

    return new MasterKeyFile(path, await loadFile(path), now);
  }

  get currentVersion(): number {
    return this.#loaded.currentVersion;
  }

  /** Versions on file, oldest first, without key material. */
  listVersions(): MasterKeyVersionInfo[] {
    return [...this.#loaded.versions.values()]
      .sort((a, b) => a.version - b.version)
      .map(({ version, createdAt }) => ({ version, createdAt }));
  }

  /** Returns the key of one version (not a copy: do not change or zero it), or undefined if absent. */
  keyFor(version: number): Buffer | undefined {
    return this.#loaded.versions.get(version)?.key;
  }

  /** Reads the file again if another process has replaced it since it was loaded; returns whether it did. */
  async reloadIfReplaced(): Promise<boolean> {
    const stats = await lstat(this.path);
    if (stats.ino === this.#loaded.inode) return false;

    this.#loaded = await loadFile(this.path);
    return true;
  }

  /**
   * Adds a new version and makes it current; returns its number. A lock file next to the key file keeps
   * two rotations from running at once, because the second would otherwise drop the first one's version.
   */
  async rotate(): Promise<number> {
    const lockPath = `${this.path}.lock`;
    const lock = await open(lockPath, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
      throw keyFileError(
        this.path,
        `Another platform master key rotation holds the lock file ${lockPath}.`,
        'Wait for it to finish. If no rotation is running, delete the lock file and try again.',
      );
    });

    try {
      const latest = await loadFile(this.path);
      const version = Math.max(...latest.versions.keys()) + 1;
      latest.versions.set(version, {
        version,
        createdAt: this.#now().toISOString(),
        key: randomBytes(KEY_BYTES),
      });
      latest.currentVersion = version;

      await writeFileAtomically(this.path, serialize(latest), { mode: 0o600 });
      this.#loaded = await loadFile(this.path);
      return version;
    } finally {
      await lock.close();
      await unlink(lockPath);
    }
  }
}

/**
 * Creates the file with version 1. If another process creates it first, its file wins and this one
 * changes nothing, so two processes starting at once never end up holding different first keys.
 */
async function createFirstVersion(path: string, createdAt: Date): Promise<void> {
  const first: MasterKeyVersion = {
    version: 1,
    createdAt: createdAt.toISOString(),
    key: randomBytes(KEY_BYTES),
  };
  const content = serialize({ currentVersion: 1, versions: new Map([[1, first]]) });
  await createFileExclusively(path, content, { mode: 0o600 });
  first.key.fill(0);
}

async function loadFile(path: string): Promise<LoadedFile> {
  const stats = await lstat(path);
  if (!stats.isFile()) {
    throw keyFileError(path, `The platform master key file ${path} is not a regular file.`);
  }
  if ((stats.mode & 0o077) !== 0) {
    throw keyFileError(
      path,
      `The platform master key file ${path} has mode ${(stats.mode & 0o777).toString(8)}, so other users ` +
        'may read or change it; the server does not start with it.',
      `Run chmod 600 ${path}, check who has read it, and rotate the platform master key if in doubt.`,
    );
  }

  const parsed = parseContent(path, await readFile(path, 'utf8'));
  return { ...parsed, inode: stats.ino };
}

function parseContent(path: string, text: string): Omit<LoadedFile, 'inode'> {
  const invalid = (problem: string) =>
    keyFileError(path, `The platform master key file ${path} is invalid: ${problem}.`);

  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw invalid('it is not JSON');
  }

  if (!isRecord(document) || document.formatVersion !== FILE_FORMAT_VERSION) {
    throw invalid(`formatVersion is not ${FILE_FORMAT_VERSION}`);
  }
  if (!Array.isArray(document.versions) || document.versions.length === 0) {
    throw invalid('versions is not a non-empty array');
  }

  const versions = new Map<number, MasterKeyVersion>();
  for (const entry of document.versions) {
    if (!isRecord(entry) || !isPositiveInteger(entry.version) || typeof entry.createdAt !== 'string') {
      throw invalid('a version entry lacks a positive integer version or a createdAt string');
    }
    const key = typeof entry.key === 'string' ? Buffer.from(entry.key, 'base64') : Buffer.alloc(0);
    if (key.length !== KEY_BYTES)
      throw invalid(`the key of version ${entry.version} is not 32 bytes of base64`);
    if (versions.has(entry.version)) throw invalid(`version ${entry.version} appears twice`);
    versions.set(entry.version, { version: entry.version, createdAt: entry.createdAt, key });
  }

  const currentVersion = document.currentVersion;
  if (!isPositiveInteger(currentVersion) || !versions.has(currentVersion)) {
    throw invalid('currentVersion does not name a version in the file');
  }
  return { currentVersion, versions };
}

function serialize(file: Omit<LoadedFile, 'inode'>): string {
  const versions = [...file.versions.values()]
    .sort((a, b) => a.version - b.version)
    .map(({ version, createdAt, key }) => ({ version, createdAt, key: key.toString('base64') }));
  return `${JSON.stringify({ formatVersion: FILE_FORMAT_VERSION, currentVersion: file.currentVersion, versions }, null, 2)}\n`;
}

function keyFileError(path: string, message: string, fix?: string): AppError {
  return new AppError('PLATFORM_CREDENTIALS', message, {
    ...(fix === undefined ? {} : { fix }),
    details: { path },
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 0xffff_ffff;
}
