import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendJson } from './http-responses.js';
import { buildIdentityConfig, entraTenantConfig, googleAccountConfig } from './identity-config.js';
import { IdentityInputError, type IdentityStore } from './identity-store.js';

export const ADMIN_PATH = '/_sandbox/identity';

/**
 * Serves the admin API. `GET /_sandbox/identity/config` returns the identity section of sandbox.json as it is
 * now, and `GET /_sandbox/identity/tenants` lists tenants and Google accounts. `POST /_sandbox/identity/tenants`
 * adds a Microsoft 365 tenant or a Google Workspace account with its seeded users: 201 with the users and
 * passwords, or 200 when it already exists with the same domain.
 */
export async function handleAdminRequest(
  baseUrl: string,
  store: IdentityStore,
  log: Logger,
  request: IncomingMessage,
  body: Buffer,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://sandbox').pathname.replace(/\/$/, '');

  if (path === `${ADMIN_PATH}/config` && request.method === 'GET')
    return sendJson(response, 200, buildIdentityConfig(baseUrl, store));
  if (path !== `${ADMIN_PATH}/tenants`) return adminError(response, 404, `No admin route at ${path}.`);
  if (request.method === 'GET') {
    const config = buildIdentityConfig(baseUrl, store);
    return sendJson(response, 200, { entra: config.entra.tenants, google: config.google.accounts });
  }
  if (request.method !== 'POST')
    return adminError(response, 405, `${request.method} is not allowed on ${path}; use GET or POST.`);

  let input: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    input = parsed as Record<string, unknown>;
  } catch {
    return adminError(response, 400, 'The request body must be a JSON object.');
  }
  const { kind, domain } = input;
  if (typeof domain !== 'string')
    return adminError(response, 400, 'Missing domain: send a DNS name such as contoso.example.');

  try {
    if (kind === 'microsoft365') {
      if (typeof input.tenantId !== 'string')
        return adminError(response, 400, 'Missing tenantId: send a GUID.');
      const { tenant, created } = store.addEntraTenant(input.tenantId, domain);
      if (created) log.info({ tenantId: tenant.tenantId, domain: tenant.domain }, 'entra tenant added');
      return sendJson(response, created ? 201 : 200, { kind, ...entraTenantConfig(baseUrl, tenant) });
    }
    if (kind === 'google_workspace') {
      if (typeof input.customerId !== 'string')
        return adminError(response, 400, 'Missing customerId: send an id such as C03az79cb.');
      const { account, created } = store.addGoogleAccount(input.customerId, domain);
      if (created)
        log.info({ customerId: account.customerId, domain: account.domain }, 'google account added');
      return sendJson(response, created ? 201 : 200, { kind, ...googleAccountConfig(account) });
    }
  } catch (error) {
    if (error instanceof IdentityInputError) {
      log.info({ kind, status: error.status, reason: error.message }, 'identity admin request rejected');
      return adminError(response, error.status, error.message);
    }
    throw error;
  }
  return adminError(
    response,
    400,
    `Invalid kind ${String(kind)}: expected microsoft365 or google_workspace.`,
  );
}

function adminError(response: ServerResponse, status: number, message: string): void {
  sendJson(response, status, { error: { message } });
}
