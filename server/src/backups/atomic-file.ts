/**
 * Atomic file writes: the target path shows either its old content or the complete new content,
 * never a partial write, even if the process or the machine stops halfway.
 *
 * Each write goes to a temporary file in the target's directory, because a rename is atomic only within
 * one file system. The file is flushed with fsync and renamed over the target. Then the directory is
 * fsynced, so the rename itself survives a power cut.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of the new file, such as 0o600. Default 0o644 (before the umask). */
  mode?: number;
}

/** Writes `data` to `targetPath` atomically. */
export async function writeFileAtomically(
  targetPath: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeChunksAtomically(targetPath, [typeof data === 'string' ? Buffer.from(data) : data], options);
}

/**
 * Writes every chunk of `source` to `targetPath` atomically. The source may be a Node Readable of
 * Buffers or any async iterable of byte arrays. If the source fails, the temporary file is removed and
 * the target is left as it was.
 */
export async function writeChunksAtomically(
  targetPath: string,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const directory = dirname(targetPath);
  const temporaryPath = join(directory, `.${basename(targetPath)}.${randomBytes(6).toString('hex')}.tmp`);

  // 'wx' fails if the name exists, so two writers never share a temporary file.
  const file = await open(temporaryPath, 'wx', options.mode ?? 0o644);
  let renamed = false;
  try {
    for await (const chunk of source) {
      await writeFully(file, chunk);
    }
    await file.sync();
    await file.close();
    await rename(temporaryPath, targetPath);
    renamed = true;
  } finally {
    if (!renamed) {
      await file.close().catch(() => undefined);
      await unlink(temporaryPath).catch(() => undefined);
    }
  }

  await syncDirectory(directory);
}

/**
 * Creates `targetPath` with `data` unless it already exists; returns false, changing nothing, if it
 * does. The content is complete and flushed before the name appears, because the file is written under
 * a temporary name and then hard-linked to the target, which fails if the target exists.
 */
export async function createFileExclusively(
  targetPath: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<boolean> {
  const directory = dirname(targetPath);
  const temporaryPath = join(directory, `.${basename(targetPath)}.${randomBytes(6).toString('hex')}.tmp`);

  const file = await open(temporaryPath, 'wx', options.mode ?? 0o644);
  let created = false;
  try {
    await writeFully(file, typeof data === 'string' ? Buffer.from(data) : data);
    await file.sync();
    await file.close();
    await link(temporaryPath, targetPath);
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await file.close().catch(() => undefined);
    await unlink(temporaryPath).catch(() => undefined);
  }

  if (created) await syncDirectory(directory);
  return created;
}

/** Flushes a directory's entries (new names, renames) to disk. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeFully(file: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await file.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}
