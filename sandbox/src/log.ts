import { join } from 'node:path';
import pino, { type Logger } from 'pino';

/**
 * Creates the sandbox's JSON-lines log at `DIR/sandbox.log`. Request lines carry the action, caller ARN and
 * result code; secrets are never passed to the logger, and the redaction paths are a second guard.
 */
export function createFileLogger(stateDir: string): Logger {
  // Synchronous writes keep every line on disk even if the process is killed, at a cost too small to matter
  // next to the HTTP handling of a request.
  const destination = pino.destination({ dest: join(stateDir, 'sandbox.log'), mkdir: true, sync: true });
  return pino(
    {
      base: { component: 'redapp-sandbox' },
      redact: [
        '*.secretAccessKey',
        '*.sessionToken',
        '*.SecretAccessKey',
        '*.SessionToken',
        '*.material',
        '*.Plaintext',
      ],
    },
    destination,
  );
}
