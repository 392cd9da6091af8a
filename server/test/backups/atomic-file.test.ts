import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createFileExclusively,
  writeChunksAtomically,
  writeFileAtomically,
} from '../../src/backups/atomic-file.js';

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'redapp-atomic-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('atomic file writes', () => {
  it('writes new content with the mode', async () => {
    const path = join(directory, 'a.json');

    await writeFileAtomically(path, '{"a":1}', { mode: 0o600 });

    expect(await readFile(path, 'utf8')).toBe('{"a":1}');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('replaces existing content', async () => {
    const path = join(directory, 'a.bin');
    await writeFile(path, 'old');

    await writeChunksAtomically(path, [Buffer.from('new '), Buffer.from('content')]);

    expect(await readFile(path, 'utf8')).toBe('new content');
  });

  it('failed source keeps old content and leaves no temporary file', async () => {
    const path = join(directory, 'a.bin');
    await writeFile(path, 'old');
    async function* failing() {
      yield Buffer.from('partial');
      throw new Error('source failed');
    }

    await expect(writeChunksAtomically(path, failing())).rejects.toThrow('source failed');

    expect(await readFile(path, 'utf8')).toBe('old');
    expect(await readdir(directory)).toEqual(['a.bin']);
  });

  it('leaves no temporary file after success', async () => {
    await writeFileAtomically(join(directory, 'b'), 'x');

    expect(await readdir(directory)).toEqual(['b']);
  });
});

describe('exclusive file creation', () => {
  it('creates a missing file', async () => {
    const path = join(directory, 'c');

    expect(await createFileExclusively(path, 'first', { mode: 0o600 })).toBe(true);

    expect(await readFile(path, 'utf8')).toBe('first');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('keeps an existing file', async () => {
    const path = join(directory, 'c');
    await writeFile(path, 'existing');

    expect(await createFileExclusively(path, 'second')).toBe(false);

    expect(await readFile(path, 'utf8')).toBe('existing');
    expect(await readdir(directory)).toEqual(['c']);
  });

  it('one of two concurrent creations wins', async () => {
    const path = join(directory, 'c');

    const results = await Promise.all([createFileExclusively(path, 'a'), createFileExclusively(path, 'b')]);

    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await readdir(directory)).toEqual(['c']);
  });
});
