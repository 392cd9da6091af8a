import path from 'node:path';
import { AppError } from '../errors/app-error.js';

/** Server configuration, read once at start from environment variables (see the README's table). */
export interface Config {
  /** Directory for the embedded database, the local master key and backup objects. */
  dataDir: string;
  /** PostgreSQL connection string; when absent the embedded PGlite database in dataDir is used. */
  databaseUrl: string | undefined;
  host: string;
  port: number;
  logLevel: string;
  /** Marks the session cookie Secure; on by default when the server is told it sits behind TLS. */
  cookieSecure: boolean;
  /** Trust X-Forwarded-* headers from a reverse proxy (needed for client IPs and TLS detection). */
  trustProxy: boolean;
  /** Session lifetime in seconds from sign-in. */
  sessionTtlSeconds: number;
  /** Sign-in attempts allowed per client address and email address per minute. */
  loginRateLimitPerMinute: number;
}

type Env = Record<string, string | undefined>;

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) {
    throw new AppError('INVALID_INPUT', `${name}="${raw}" is not a whole number; expected ${min} to ${max}.`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new AppError('INVALID_INPUT', `${name}=${value} is out of range; expected ${min} to ${max}.`);
  }
  return value;
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new AppError('INVALID_INPUT', `${name}="${raw}" is not a boolean; expected true or false.`);
}

/** Reads and validates the configuration; throws INVALID_INPUT naming the variable at fault. */
export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = env.DATABASE_URL === '' ? undefined : env.DATABASE_URL;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new AppError(
      'INVALID_INPUT',
      'DATABASE_URL does not start with postgres:// or postgresql://; expected a PostgreSQL connection string.',
    );
  }

  const logLevel = env.REDAPP_LOG_LEVEL ?? 'info';
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(logLevel)) {
    throw new AppError(
      'INVALID_INPUT',
      `REDAPP_LOG_LEVEL="${logLevel}" is unknown; expected one of ${levels.join(', ')}.`,
    );
  }

  const trustProxy = readBoolean(env, 'REDAPP_TRUST_PROXY', false);
  return {
    dataDir: path.resolve(env.REDAPP_DATA_DIR ?? './data'),
    databaseUrl,
    host: env.REDAPP_HOST ?? '127.0.0.1',
    port: readInteger(env, 'REDAPP_PORT', 8080, 0, 65535),
    logLevel,
    cookieSecure: readBoolean(env, 'REDAPP_COOKIE_SECURE', trustProxy),
    trustProxy,
    sessionTtlSeconds: readInteger(env, 'REDAPP_SESSION_TTL_SECONDS', 8 * 3600, 60, 7 * 24 * 3600),
    loginRateLimitPerMinute: readInteger(env, 'REDAPP_LOGIN_RATE_LIMIT', 10, 1, 10_000),
  };
}
