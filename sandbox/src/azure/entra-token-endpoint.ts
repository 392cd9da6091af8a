import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendJson } from '../identity/http-responses.js';
import type { AzureStore } from './azure-state.js';

/** Path prefix of the Entra stand-in on the HTTPS listener: `/azure/{tenantId}/…`. */
export const ENTRA_PATH = '/azure';
/** The only scope Key Vault tokens are issued for. */
export const KEY_VAULT_SCOPE = 'https://vault.azure.net/.default';
const tokenLifetimeSeconds = 3600;

export interface AccessTokenClaims {
  tid: string;
  appid: string;
  aud: string;
  /** Expiry in Unix seconds. */
  exp: number;
}

function signature(store: AzureStore, payload: string): Buffer {
  return createHmac('sha256', Buffer.from(store.state.tokenSigningKey, 'base64')).update(payload).digest();
}

/** Issues an opaque access token: base64url claims and their HMAC, checked by the Key Vault stand-in. */
export function issueAccessToken(store: AzureStore, clientId: string): string {
  const claims: AccessTokenClaims = {
    tid: store.state.tenantId,
    appid: clientId,
    aud: 'https://vault.azure.net',
    exp: Math.floor(Date.now() / 1000) + tokenLifetimeSeconds,
  };
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${signature(store, payload).toString('base64url')}`;
}

/** Returns the claims of a token this sandbox issued and that has not expired, else undefined. */
export function verifyAccessToken(store: AzureStore, token: string): AccessTokenClaims | undefined {
  const [payload, mac] = token.split('.');
  if (!payload || !mac) return undefined;
  const expected = signature(store, payload);
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as AccessTokenClaims;
  return claims.exp > Date.now() / 1000 ? claims : undefined;
}

/** An error body as Entra's token endpoint writes it: `error`, an AADSTS description and its number. */
function sendEntraError(
  response: ServerResponse,
  status: number,
  error: string,
  code: number,
  text: string,
): void {
  const traceId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  sendJson(response, status, {
    error,
    error_description: `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${traceId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: traceId,
  });
}

/**
 * Serves `GET /azure/{tenantId}/v2.0/.well-known/openid-configuration` (MSAL reads the token endpoint
 * from it) and `POST /azure/{tenantId}/oauth2/v2.0/token` with the client-credentials grant.
 */
export async function handleEntraRequest(
  origin: string,
  store: AzureStore,
  log: Logger,
  request: IncomingMessage,
  body: Buffer,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', origin).pathname;
  const match = /^\/azure\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(
    path,
  );
  if (!match) return sendEntraError(response, 404, 'invalid_request', 900561, `No endpoint at ${path}.`);
  const tenantId = match[1]!.toLowerCase();
  if (tenantId !== store.state.tenantId) {
    return sendEntraError(
      response,
      400,
      'invalid_tenant',
      90002,
      `Tenant '${tenantId}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  }

  const authority = `${origin}${ENTRA_PATH}/${tenantId}`;
  if (match[2]!.startsWith('v2.0')) {
    return sendJson(response, 200, {
      issuer: `${authority}/v2.0`,
      token_endpoint: `${authority}/oauth2/v2.0/token`,
      authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
      jwks_uri: `${authority}/discovery/v2.0/keys`,
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      tenant_region_scope: 'EU',
    });
  }
  if (request.method !== 'POST')
    return sendEntraError(
      response,
      405,
      'invalid_request',
      900561,
      'The endpoint only accepts POST requests.',
    );

  const form = new URLSearchParams(body.toString('utf8'));
  if (form.get('grant_type') !== 'client_credentials') {
    return sendEntraError(
      response,
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${form.get('grant_type') ?? ''}'.`,
    );
  }
  const clientId = (form.get('client_id') ?? '').toLowerCase();
  const app = store.findApp(clientId);
  if (!app) {
    return sendEntraError(
      response,
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenantId}'.`,
    );
  }
  const secret = Buffer.from(form.get('client_secret') ?? '');
  const expected = Buffer.from(app.clientSecret);
  if (secret.length !== expected.length || !timingSafeEqual(secret, expected)) {
    log.info({ tenantId, clientId }, 'entra token request rejected: invalid client secret');
    return sendEntraError(
      response,
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    );
  }
  const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
  if (scopes.length !== 1 || scopes[0] !== KEY_VAULT_SCOPE) {
    return sendEntraError(
      response,
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scopes.join(' ')} is not valid; this sandbox issues tokens for ${KEY_VAULT_SCOPE} only.`,
    );
  }

  log.info({ tenantId, clientId }, 'entra token issued');
  sendJson(response, 200, {
    token_type: 'Bearer',
    expires_in: tokenLifetimeSeconds - 1,
    ext_expires_in: tokenLifetimeSeconds - 1,
    access_token: issueAccessToken(store, app.clientId),
  });
}
