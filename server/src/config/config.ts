import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
  /** Marks the session cookie Secure; on by default when REDAPP_TRUST_PROXY says a TLS proxy is in front. */
  cookieSecure: boolean;
  /** Trust X-Forwarded-* headers from a reverse proxy (needed for client IPs and TLS detection). */
  trustProxy: boolean;
  /** Session lifetime in seconds from sign-in. */
  sessionTtlSeconds: number;
  /** Sign-in attempts allowed per client address and email address per minute. */
  loginRateLimitPerMinute: number;
  /**
   * Maximum age of an unwrapped company key in the cache, in seconds: the longest a key that the
   * customer revoked can still be used. 0 disables the cache.
   */
  keyCacheMaxAgeSeconds: number;
  keyCacheMaxEntries: number;
  /** ARN of the platform's own KMS key for CyberSentriq-managed keys; the local master key file when unset. */
  platformKmsKeyArn: string | undefined;
  /** AWS endpoint override, for the local sandbox only; AWS's own endpoints when unset. */
  awsEndpoint: string | undefined;
  /** Directory of the built console (web/dist); the API runs without it. */
  webDir: string;
  /** The AWS principal CyberSentriq assumes customer roles from; shown in the console and the setup command. */
  platformPrincipalArn: string;
  /**
   * Platform AWS credentials given explicitly (the sandbox's); the SDK's default provider chain
   * (environment, shared files, instance role) when unset.
   */
  platformAwsCredentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Test connection runs allowed per company per minute. */
  testConnectionRateLimitPerMinute: number;
  /** Seconds between key health checks of a company on a customer-managed key. */
  keyHealthIntervalSeconds: number;
  /** Public base URL of the console, for OAuth redirect URIs; the listen address when unset. */
  publicUrl: string | undefined;
  /** Path of the sandbox's sandbox.json when running against the local sandbox. */
  sandboxFile: string | undefined;
  /** Identity providers where tenant verification signs admins in. */
  identity: IdentityConfig;
  /** How the server reaches Microsoft Entra ID and Azure Key Vault for customer keys. */
  azure: AzureConfig;
}

export interface AzureConfig {
  /** Entra authority host for client credentials (REDAPP_AZURE_AUTHORITY_HOST); Azure's public cloud when unset. */
  authorityHost: string | undefined;
  /**
   * The sandbox only, from sandbox.json: the CA file of the sandbox's HTTPS listener. Azure clients
   * trust it instead of the public CAs, and accept a vault on 127.0.0.1.
   */
  sandboxCaPath: string | undefined;
}

export interface OAuthClientConfig {
  clientId: string;
  clientSecret: string;
}

export interface IdentityConfig {
  entra: {
    /** Issuer of one tenant, with `{tenantId}` to fill in. */
    authorityTemplate: string;
    /** Microsoft Graph base URL, for directory roles when ID tokens carry no `wids`. */
    graphEndpoint: string;
    client: OAuthClientConfig | undefined;
  };
  google: {
    issuer: string;
    /** Admin SDK Directory API base URL. */
    directoryEndpoint: string;
    client: OAuthClientConfig | undefined;
  };
  /** Allows http:// issuers: the local sandbox only. */
  allowInsecureHttp: boolean;
}

type Env = Record<string, string | undefined>;

/** The console built in this repository: server/dist/config (or server/src/config) → web/dist. */
const defaultWebDir = fileURLToPath(new URL('../../../web/dist', import.meta.url));

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

function readKeyArn(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/.test(raw)) {
    throw new AppError(
      'INVALID_INPUT',
      `${name}="${raw}" is not a KMS key ARN; expected arn:aws:kms:REGION:ACCOUNT:key/KEY-ID (not an alias).`,
    );
  }
  return raw;
}

function readUrl(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^https?:\/\/[^\s/]+/.test(raw)) {
    throw new AppError(
      'INVALID_INPUT',
      `${name}="${raw}" is not an http(s) URL; expected e.g. http://127.0.0.1:4566.`,
    );
  }
  return raw.replace(/\/$/, '');
}

function readClient(env: Env, idName: string, secretName: string): OAuthClientConfig | undefined {
  const clientId = env[idName];
  const clientSecret = env[secretName];
  if (!clientId && !clientSecret) return undefined;
  if (!clientId || !clientSecret) {
    throw new AppError(
      'INVALID_INPUT',
      `${clientId ? secretName : idName} is missing; set both ${idName} and ${secretName}.`,
    );
  }
  return { clientId, clientSecret };
}

const defaultPlatformPrincipalArn = 'arn:aws:iam::156214480941:user/cybersentriq-kms-connector';

function readPrincipalArn(env: Env): string {
  const raw = env.REDAPP_PLATFORM_PRINCIPAL_ARN;
  if (raw === undefined || raw === '') return defaultPlatformPrincipalArn;
  if (!/^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/[\w+=,.@/-]+$/.test(raw)) {
    throw new AppError(
      'INVALID_INPUT',
      `REDAPP_PLATFORM_PRINCIPAL_ARN="${raw}" is not an IAM user or role ARN; expected e.g. ${defaultPlatformPrincipalArn}.`,
    );
  }
  return raw;
}

function readAuthorityHost(env: Env): string | undefined {
  const raw = env.REDAPP_AZURE_AUTHORITY_HOST;
  if (raw === undefined || raw === '') return undefined;
  if (!/^https:\/\/[^\s/]+\/?$/.test(raw)) {
    throw new AppError(
      'INVALID_INPUT',
      `REDAPP_AZURE_AUTHORITY_HOST="${raw}" is not an https origin; expected e.g. https://login.microsoftonline.us.`,
    );
  }
  return raw.replace(/\/$/, '');
}

/**
 * Points the AWS settings at the local sandbox: its endpoint and the platform user's access keys,
 * read from the sandbox.json it writes. Production leaves REDAPP_SANDBOX_FILE unset.
 */
function applySandboxFile(config: Config): Config {
  if (!config.sandboxFile) return config;
  let sandbox: {
    aws?: {
      endpoint?: string;
      platform?: { principalArn?: string; accessKeyId?: string; secretAccessKey?: string };
    };
    identity?: {
      entra?: {
        authorityTemplate: string;
        graphEndpoint: string;
        clients: { withDirectoryRoles: OAuthClientConfig };
      };
      google?: { issuer: string; directoryEndpoint: string; clients: { default: OAuthClientConfig } };
    };
    azure?: { authorityHost?: string; caCertPath?: string };
  };
  try {
    sandbox = JSON.parse(fs.readFileSync(config.sandboxFile, 'utf8'));
  } catch (error) {
    throw new AppError(
      'INVALID_INPUT',
      `REDAPP_SANDBOX_FILE="${config.sandboxFile}" cannot be read as JSON (${(error as Error).message.split('\n')[0]}).`,
      { fix: 'Start the sandbox first (npx redapp-sandbox --state DIR) and point this at DIR/sandbox.json.' },
    );
  }
  const platform = sandbox.aws?.platform;
  if (
    !sandbox.aws?.endpoint ||
    !platform?.accessKeyId ||
    !platform.secretAccessKey ||
    !platform.principalArn
  ) {
    throw new AppError(
      'INVALID_INPUT',
      `REDAPP_SANDBOX_FILE="${config.sandboxFile}" has no aws.endpoint or aws.platform keys.`,
    );
  }
  const entra = sandbox.identity?.entra;
  const google = sandbox.identity?.google;
  return {
    ...config,
    identity: {
      entra: entra
        ? {
            authorityTemplate: entra.authorityTemplate,
            graphEndpoint: entra.graphEndpoint,
            client: pickClient(entra.clients.withDirectoryRoles),
          }
        : config.identity.entra,
      google: google
        ? {
            issuer: google.issuer,
            directoryEndpoint: google.directoryEndpoint,
            client: pickClient(google.clients.default),
          }
        : config.identity.google,
      allowInsecureHttp: true,
    },
    azure:
      sandbox.azure?.authorityHost && sandbox.azure.caCertPath
        ? { authorityHost: sandbox.azure.authorityHost, sandboxCaPath: sandbox.azure.caCertPath }
        : config.azure,
    awsEndpoint: config.awsEndpoint ?? sandbox.aws.endpoint,
    platformPrincipalArn: platform.principalArn,
    platformAwsCredentials: { accessKeyId: platform.accessKeyId, secretAccessKey: platform.secretAccessKey },
  };
}

function pickClient(client: OAuthClientConfig): OAuthClientConfig {
  return { clientId: client.clientId, clientSecret: client.clientSecret };
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
  const config: Config = {
    dataDir: path.resolve(env.REDAPP_DATA_DIR ?? './data'),
    databaseUrl,
    host: env.REDAPP_HOST ?? '127.0.0.1',
    port: readInteger(env, 'REDAPP_PORT', 8080, 0, 65535),
    logLevel,
    cookieSecure: readBoolean(env, 'REDAPP_COOKIE_SECURE', trustProxy),
    trustProxy,
    sessionTtlSeconds: readInteger(env, 'REDAPP_SESSION_TTL_SECONDS', 8 * 3600, 60, 7 * 24 * 3600),
    loginRateLimitPerMinute: readInteger(env, 'REDAPP_LOGIN_RATE_LIMIT', 10, 1, 10_000),
    keyCacheMaxAgeSeconds: readInteger(env, 'REDAPP_KEY_CACHE_MAX_AGE_SECONDS', 300, 0, 3600),
    keyCacheMaxEntries: readInteger(env, 'REDAPP_KEY_CACHE_MAX_ENTRIES', 1000, 1, 1_000_000),
    platformKmsKeyArn: readKeyArn(env, 'REDAPP_PLATFORM_KMS_KEY_ARN'),
    awsEndpoint: readUrl(env, 'REDAPP_AWS_ENDPOINT'),
    webDir: path.resolve(env.REDAPP_WEB_DIR ?? defaultWebDir),
    platformPrincipalArn: readPrincipalArn(env),
    platformAwsCredentials: undefined,
    testConnectionRateLimitPerMinute: readInteger(env, 'REDAPP_TEST_CONNECTION_RATE_LIMIT', 10, 1, 10_000),
    keyHealthIntervalSeconds: readInteger(env, 'REDAPP_KEY_HEALTH_INTERVAL_SECONDS', 300, 5, 86_400),
    publicUrl: readUrl(env, 'REDAPP_PUBLIC_URL'),
    sandboxFile: env.REDAPP_SANDBOX_FILE ? path.resolve(env.REDAPP_SANDBOX_FILE) : undefined,
    identity: {
      entra: {
        authorityTemplate: 'https://login.microsoftonline.com/{tenantId}/v2.0',
        graphEndpoint: 'https://graph.microsoft.com/v1.0',
        client: readClient(env, 'REDAPP_ENTRA_CLIENT_ID', 'REDAPP_ENTRA_CLIENT_SECRET'),
      },
      google: {
        issuer: 'https://accounts.google.com',
        directoryEndpoint: 'https://admin.googleapis.com/admin/directory/v1',
        client: readClient(env, 'REDAPP_GOOGLE_CLIENT_ID', 'REDAPP_GOOGLE_CLIENT_SECRET'),
      },
      allowInsecureHttp: false,
    },
    azure: { authorityHost: readAuthorityHost(env), sandboxCaPath: undefined },
  };
  return applySandboxFile(config);
}
