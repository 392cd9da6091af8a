#!/usr/bin/env node
// The README's first command: installs when needed, builds, and starts RedApp on its embedded
// defaults (PGlite in ./data, demo data seeded on first start). Ctrl+C stops it.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function run(command, args, label) {
  console.log(`${label}...`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`${label} failed; see the output above.`);
    process.exit(result.status ?? 1);
  }
}

run(process.execPath, [path.join(root, 'scripts', 'ensure-installed.mjs')], 'Checking dependencies');
run('npm', ['run', 'build', '--silent'], 'Building');

const env = { REDAPP_DATA_DIR: path.join(root, 'data'), ...process.env };
const server = spawn(process.execPath, [path.join(root, 'server', 'dist', 'cli.js'), 'serve', '--demo'], {
  cwd: root,
  env,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
