import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendJson } from '../identity/http-responses.js';
import { AZURE_ADMIN_PATH } from './azure-config.js';
import { AzureInputError, type AzureStore, type KeyType, type KeyVersionRecord } from './azure-state.js';

/** Inputs of the admin API's responses: the vault URL and the current sandbox.json section. */
export interface AzureAdminContext {
  vaultUrl: string;
  config(): object;
  store: AzureStore;
  log: Logger;
}

function keySummary(vaultUrl: string, name: string, record: KeyVersionRecord): object {
  return {
    name,
    keyId: `${vaultUrl}/keys/${name}/${record.version}`,
    version: record.version,
    kty: record.kty,
    ...(record.keySize === undefined ? {} : { keySize: record.keySize }),
    enabled: record.enabled,
    ...(record.nbf === undefined ? {} : { nbf: new Date(record.nbf * 1000).toISOString() }),
    ...(record.exp === undefined ? {} : { exp: new Date(record.exp * 1000).toISOString() }),
  };
}

/** Reads an ISO 8601 date as Unix seconds; null clears the attribute, undefined leaves it. */
function readDate(input: Record<string, unknown>, field: 'nbf' | 'exp'): number | null | undefined {
  const value = input[field];
  if (value === undefined || value === null) return value;
  const millis = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(millis))
    throw new AzureInputError(400, `Invalid ${field}: send an ISO 8601 date or null.`);
  return Math.floor(millis / 1000);
}

/**
 * Serves the admin API, which stands for what a customer's Azure admin does in the portal:
 * `GET /_sandbox/azure/config`, `POST /_sandbox/azure/apps` (a new app registration and its secret),
 * `POST /_sandbox/azure/keys` (a key or a new version), `PATCH /_sandbox/azure/keys/{name}` (enabled,
 * nbf, exp of the current or a given version), `GET|POST /_sandbox/azure/role-assignments` (a built-in
 * role or a list of actions, on the vault or one key) and `DELETE /_sandbox/azure/role-assignments/{id}`.
 */
export async function handleAzureAdminRequest(
  context: AzureAdminContext,
  request: IncomingMessage,
  body: Buffer,
  response: ServerResponse,
): Promise<void> {
  const { store, vaultUrl } = context;
  const path = new URL(request.url ?? '/', 'http://sandbox').pathname
    .replace(/\/$/, '')
    .slice(AZURE_ADMIN_PATH.length);
  const method = request.method ?? 'GET';

  let input: Record<string, unknown> = {};
  if (body.length > 0) {
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      input = parsed as Record<string, unknown>;
    } catch {
      return adminError(response, 400, 'The request body must be a JSON object.');
    }
  }

  try {
    if (path === '/config' && method === 'GET') return sendJson(response, 200, context.config());
    if (path === '/apps' && method === 'POST') {
      const app = store.addApp(typeof input.displayName === 'string' ? input.displayName : 'sandbox app');
      context.log.info({ clientId: app.clientId }, 'azure app registration added');
      return sendJson(response, 201, app);
    }
    if (path === '/keys' && method === 'POST') {
      const { key, version } = store.createKey({
        name: String(input.name ?? ''),
        kty: (input.kty ?? 'RSA') as KeyType,
        ...(typeof input.keySize === 'number' ? { keySize: input.keySize } : {}),
        ...(typeof input.enabled === 'boolean' ? { enabled: input.enabled } : {}),
        ...optionalDate(input, 'nbf'),
        ...optionalDate(input, 'exp'),
      });
      context.log.info({ key: key.name, version: version.version, kty: version.kty }, 'azure key created');
      return sendJson(response, 201, keySummary(vaultUrl, key.name, version));
    }
    const keyMatch = /^\/keys\/([^/]+)$/.exec(path);
    if (keyMatch && method === 'PATCH') {
      const name = decodeURIComponent(keyMatch[1]!);
      const changes = {
        ...(typeof input.enabled === 'boolean' ? { enabled: input.enabled } : {}),
        ...(input.nbf === undefined ? {} : { nbf: readDate(input, 'nbf') ?? null }),
        ...(input.exp === undefined ? {} : { exp: readDate(input, 'exp') ?? null }),
      };
      const version = typeof input.version === 'string' ? input.version : '';
      const record = store.updateKey(name, version, changes);
      if (!record)
        return adminError(
          response,
          404,
          `No key ${name}${version ? ` version ${version}` : ''} in the vault.`,
        );
      context.log.info({ key: name, version: record.version, ...changes }, 'azure key updated');
      return sendJson(response, 200, keySummary(vaultUrl, store.findKey(name)!.name, record));
    }
    if (path === '/role-assignments' && method === 'GET')
      return sendJson(response, 200, store.state.roleAssignments);
    if (path === '/role-assignments' && method === 'POST') {
      const assignment = store.assignRole({
        clientId: String(input.clientId ?? ''),
        ...(typeof input.keyName === 'string' ? { keyName: input.keyName } : {}),
        ...(typeof input.role === 'string' ? { role: input.role } : {}),
        ...(Array.isArray(input.actions) ? { actions: input.actions.map(String) } : {}),
      });
      context.log.info({ ...assignment }, 'azure role assigned');
      return sendJson(response, 201, assignment);
    }
    const assignmentMatch = /^\/role-assignments\/([^/]+)$/.exec(path);
    if (assignmentMatch && method === 'DELETE') {
      if (!store.removeRoleAssignment(assignmentMatch[1]!))
        return adminError(response, 404, `No role assignment ${assignmentMatch[1]}.`);
      context.log.info({ id: assignmentMatch[1] }, 'azure role assignment removed');
      response.writeHead(204).end();
      return;
    }
  } catch (error) {
    if (error instanceof AzureInputError) return adminError(response, error.status, error.message);
    throw error;
  }
  return adminError(response, 404, `No admin route ${method} ${AZURE_ADMIN_PATH}${path}.`);
}

function optionalDate(input: Record<string, unknown>, field: 'nbf' | 'exp'): { nbf?: number; exp?: number } {
  const value = readDate(input, field);
  return value === undefined || value === null ? {} : { [field]: value };
}

function adminError(response: ServerResponse, status: number, message: string): void {
  sendJson(response, status, { error: { message } });
}
