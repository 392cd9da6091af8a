import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SERVER = resolve(import.meta.dirname, '../../server');

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|js|mjs|cjs)$/.test(name) ? [path] : [];
  });
}

// Production builds must not contain the sandbox, so the server workspace may neither depend on nor import it.
describe('server isolation', () => {
  it('server does not depend on sandbox', () => {
    const manifest = JSON.parse(readFileSync(join(SERVER, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string> | undefined
    >;
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
      expect(Object.keys(manifest[field] ?? {})).not.toContain('@redapp/sandbox');
    }
  });

  // Only the code that ships is checked: server tests may drive the sandbox's scripted sign-in, as a
  // test tool, the way the e2e tests do.
  it('server sources do not import sandbox', () => {
    const files = sourceFiles(join(SERVER, 'src'));
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((file) =>
      /from\s+['"](@redapp\/sandbox|(\.\.\/)+sandbox\/)|import\(\s*['"](@redapp\/sandbox|(\.\.\/)+sandbox\/)/.test(
        readFileSync(file, 'utf8'),
      ),
    );
    expect(offenders).toEqual([]);
  });
});
