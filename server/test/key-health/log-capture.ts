import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { loggerOptions } from '../../src/logging/logger.js';

/** Creates a pino logger at debug level, so every line the code can write is kept for inspection. */
export function capturedLogger(): { logger: Logger; stream: Writable; output: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = pino(loggerOptions('debug'), stream);
  return { logger, stream, output: () => chunks.join('') };
}

interface SandboxState {
  users?: Array<{ accessKeys?: Array<{ secretAccessKey: string }> }>;
  sessions?: Array<{ secretAccessKey: string; sessionToken: string }>;
  keys?: Array<{ material: string }>;
}

/**
 * Lists every secret the sandbox issued or holds, read from its state file: the secret access keys of its
 * users, the secret keys and session tokens of every AssumeRole session, and the key material of
 * every KMS key. A log that contains none of them leaked none of them.
 */
export function sandboxSecrets(stateDir: string): string[] {
  const state = JSON.parse(fs.readFileSync(path.join(stateDir, 'aws-state.json'), 'utf8')) as SandboxState;
  const secrets = [
    ...(state.users ?? []).flatMap((user) => (user.accessKeys ?? []).map((key) => key.secretAccessKey)),
    ...(state.sessions ?? []).flatMap((session) => [session.secretAccessKey, session.sessionToken]),
    ...(state.keys ?? []).map((key) => key.material),
  ];
  return secrets.filter((secret) => typeof secret === 'string' && secret.length >= 16);
}

/** Returns the secrets from `candidates` that occur in `log`, shortened so a failure does not print them whole. */
export function leakedSecrets(log: string, candidates: string[]): string[] {
  return candidates.filter((secret) => log.includes(secret)).map((secret) => `${secret.slice(0, 6)}…`);
}
