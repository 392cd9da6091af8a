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

// Request logs go to files, so the console URL, the passwords and the setup command stay on screen.
const logDir = path.join(dataDir, 'logs');
fs.mkdirSync(logDir, { recursive: true });
const sandboxLog = fs.createWriteStream(path.join(logDir, 'sandbox.log'), { flags: 'a' });
const serverLog = fs.createWriteStream(path.join(logDir, 'server.log'), { flags: 'a' });

let sandboxOutput = '';
await new Promise((resolve) => {
  const waitForReady = (chunk) => {
    sandboxOutput += chunk.toString();
    if (/redapp-sandbox ready/.test(sandboxOutput)) {
      sandbox.stdout.off('data', waitForReady);
      sandboxLog.write(sandboxOutput);
      sandbox.stdout.pipe(sandboxLog);
      resolve();
    }
  };
  sandbox.stdout.on('data', waitForReady);
});

const server = spawn(process.execPath, [path.join(root, 'server', 'dist', 'cli.js'), 'serve', '--demo'], {
  cwd: root,
  env: {
    REDAPP_DATA_DIR: dataDir,
    REDAPP_SANDBOX_FILE: path.join(sandboxDir, 'sandbox.json'),
    ...process.env,
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
children.push(server);

const levelNames = { 40: 'warning', 50: 'error', 60: 'fatal' };
let pending = '';
server.stdout.on('data', (chunk) => {
  pending += chunk.toString();
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) showServerLine(line);
});

/** Writes a JSON log line to the log file, and shows warnings and errors; other lines go to the terminal. */
function showServerLine(line) {
  let entry;
  try {
    entry = line.startsWith('{') ? JSON.parse(line) : undefined;
  } catch {
    entry = undefined;
  }
  if (entry === undefined) {
    console.log(line);
    if (line.startsWith('Stop with Ctrl+C')) {
      const relative = path.relative(process.cwd(), logDir);
      const where = relative.startsWith('..') || path.isAbsolute(relative) ? logDir : relative;
      console.log(`Server and sandbox logs: ${where}/server.log and ${where}/sandbox.log`);
    }
    return;
  }
  serverLog.write(`${line}\n`);
  if (entry.level >= 40) {
    const reason = entry.err?.message ? `: ${entry.err.message}` : '';
    console.log(
      `server ${levelNames[Math.min(60, Math.floor(entry.level / 10) * 10)] ?? 'warning'}: ${entry.msg}${reason}`,
    );
  }
}
server.on('exit', (code, signal) => {
  stopAll('SIGTERM');
  process.exitCode = code ?? (signal ? 0 : 1);
});
