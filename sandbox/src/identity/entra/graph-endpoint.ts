import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, sendJson } from '../http-responses.js';
import { ENTRA_DIRECTORY_ROLES, type EntraTenant, type EntraUser } from '../identity-types.js';
import { type EntraIssuers, GRAPH_SCOPES } from './entra-issuers.js';

const GRAPH_PREFIX = '/graph/v1.0';

/**
 * Serves the two Microsoft Graph calls the product makes, with an access token from any Entra issuer:
 * `GET /graph/v1.0/me` and `GET /graph/v1.0/me/transitiveMemberOf/microsoft.graph.directoryRole`. The token
 * must carry one of GRAPH_SCOPES (with or without the `https://graph.microsoft.com/` prefix).
 */
export async function handleGraphRequest(
  issuers: EntraIssuers,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://sandbox').pathname.replace(/\/$/, '');
  if (request.method !== 'GET') {
    return graphError(
      response,
      405,
      'Request_BadRequest',
      `${request.method} is not supported by the sandbox's Graph.`,
    );
  }

  const token = bearerToken(request);
  if (!token) return graphError(response, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
  const found = await issuers.findAccessToken(token);
  if (!found) {
    return graphError(
      response,
      401,
      'InvalidAuthenticationToken',
      'Access token validation failure. Invalid or expired token.',
    );
  }
  const granted = found.scopes.map((scope) => scope.replace(/^https:\/\/graph\.microsoft\.com\//, ''));
  if (!granted.some((scope) => GRAPH_SCOPES.includes(scope))) {
    return graphError(
      response,
      403,
      'Authorization_RequestDenied',
      'Insufficient privileges to complete the operation.',
    );
  }

  if (path === `${GRAPH_PREFIX}/me`) return sendJson(response, 200, userResource(found.user));
  if (path === `${GRAPH_PREFIX}/me/transitiveMemberOf/microsoft.graph.directoryRole`) {
    return sendJson(response, 200, {
      '@odata.context':
        'https://graph.microsoft.com/v1.0/$metadata#directoryObjects(microsoft.graph.directoryRole)',
      value: directoryRolesOf(found.tenant, found.user),
    });
  }
  return graphError(
    response,
    400,
    'BadRequest',
    `Resource not found for the segment '${path}'. The sandbox's Graph serves /v1.0/me and /v1.0/me/transitiveMemberOf/microsoft.graph.directoryRole.`,
  );
}

function userResource(user: EntraUser): Record<string, unknown> {
  return {
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity',
    id: user.objectId,
    displayName: user.displayName,
    userPrincipalName: user.username,
    mail: user.username,
  };
}

function directoryRolesOf(tenant: EntraTenant, user: EntraUser): Array<Record<string, unknown>> {
  if (user.role === 'user') return [];
  const role = ENTRA_DIRECTORY_ROLES[user.role];
  return [
    {
      '@odata.type': '#microsoft.graph.directoryRole',
      id: directoryRoleObjectId(tenant.tenantId, role.roleTemplateId),
      deletedDateTime: null,
      description: `${role.displayName} (sandbox)`,
      displayName: role.displayName,
      roleTemplateId: role.roleTemplateId,
    },
  ];
}

/** Derives a directory role's object id, which differs per tenant (unlike its template id) and stays stable. */
function directoryRoleObjectId(tenantId: string, roleTemplateId: string): string {
  const hex = createHash('sha256').update(`${tenantId}/${roleTemplateId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function graphError(response: ServerResponse, status: number, code: string, message: string): void {
  sendJson(response, status, {
    error: {
      code,
      message,
      innerError: { date: new Date().toISOString(), 'request-id': crypto.randomUUID() },
    },
  });
}
