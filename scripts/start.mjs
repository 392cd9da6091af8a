#!/usr/bin/env node
// The README's first command: installs when needed, builds, starts the local sandbox (AWS, Entra,
// Google stand-ins) and RedApp on its embedded defaults (PGlite in ./data, demo data seeded on the
// first start), and prints where to go. Ctrl+C stops both.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.resolve(process.env.REDAPP_DATA_DIR ?? path.join(root, 'data'));
const sandboxDir = path.join(dataDir, 'sandbox');
const sandboxPort = process.env.REDAPP_SANDBOX_PORT ?? '8090';

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

const children = [];
function stopAll(signal) {
  for (const child of children) if (child.exitCode === null) child.kill(signal);
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll(signal));

console.log('Starting the sandbox...');
fs.mkdirSync(sandboxDir, { recursive: true });
const sandbox = spawn(
  process.execPath,
  [path.join(root, 'sandbox', 'bin', 'redapp-sandbox.mjs'), '--state', sandboxDir, '--port', sandboxPort],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
);
children.push(sandbox);
sandbox.on('exit', (code) => {
  console.error(`The sandbox stopped (exit ${code}).`);
  stopAll('SIGTERM');
  process.exitCode = code ?? 1;
});

let sandboxOutput = '';
await new Promise((resolve) => {
  sandbox.stdout.on('data', (chunk) => {
    sandboxOutput += chunk.toString();
    if (/redapp-sandbox ready/.test(sandboxOutput)) resolve();
  });
});

const server = spawn(process.execPath, [path.join(root, 'server', 'dist', 'cli.js'), 'serve', '--demo'], {
  cwd: root,
  env: {
    REDAPP_DATA_DIR: dataDir,
    REDAPP_SANDBOX_FILE: path.join(sandboxDir, 'sandbox.json'),
    ...process.env,
  },
  stdio: 'inherit',
});
children.push(server);
server.on('exit', (code, signal) => {
  stopAll('SIGTERM');
  process.exitCode = code ?? (signal ? 0 : 1);
});
