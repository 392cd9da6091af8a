import type { LoggerOptions } from 'pino';

/**
 * Paths redacted from every log line. Request bodies are not logged by default; these paths cover
 * objects that code logs on purpose (errors, provider configurations, request headers).
 */
export const redactedPaths = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'passphrase',
  '*.passphrase',
  'csrfToken',
  '*.csrfToken',
  'secretAccessKey',
  '*.secretAccessKey',
  'sessionToken',
  '*.sessionToken',
  'externalId',
  '*.externalId',
  'clientSecret',
  '*.clientSecret',
  'plaintext',
  '*.plaintext',
  'key',
  '*.key',
  // Database errors carry the statement's parameters, which may hold anything a request sent.
  'err.params',
  'err.parameters',
  'err.cause.params',
  'err.cause.parameters',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
  };
}
