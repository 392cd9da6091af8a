#!/usr/bin/env node
// Runs the compiled CLI when the workspace has been built, otherwise the TypeScript source through tsx, so
// `npx redapp-sandbox` works straight after `npm ci`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/cli.js', import.meta.url);
if (existsSync(fileURLToPath(compiled))) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli.ts', import.meta.url).href);
}
