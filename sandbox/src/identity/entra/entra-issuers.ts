import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import { sendJson } from '../http-responses.js';
import type { IdentityStore } from '../identity-store.js';
import {
  ENTRA_DIRECTORY_ROLES,
  ENTRA_MEMBER_USER_TEMPLATE_ID,
  type EntraTenant,
  type EntraUser,
} from '../identity-types.js';
import { InteractionRoutes } from '../interaction-routes.js';
import { createOidcProvider } from '../oidc-provider-factory.js';
import { forwardToProvider } from '../provider-bridge.js';

/** Microsoft Graph delegated permissions the sandbox's Graph accepts for reading the signed-in user's roles. */
export const GRAPH_SCOPES = [
  'User.Read',
  'User.Read.All',
  'Directory.Read.All',
  'GroupMember.Read.All',
  'RoleManagement.Read.Directory',
];

const ISSUER_PATH = /^\/entra\/([^/]+)\/v2\.0(?=\/|$)/;

export interface EntraTenantProvider {
  tenant: EntraTenant;
  provider: Provider;
  interactions: InteractionRoutes;
}

/**
 * Serves one OpenID provider per Entra tenant at `{baseUrl}/entra/{tenantId}/v2.0`. Providers are created on
 * the first request for their tenant, so tenants added at run time work at once. Every tenant registers the
 * same clients, as a multi-tenant app registration is used with one client id in every tenant.
 */
export class EntraIssuers {
  private readonly providers = new Map<string, EntraTenantProvider>();

  constructor(
    private readonly baseUrl: string,
    private readonly store: IdentityStore,
    private readonly log: Logger,
  ) {}

  issuerOf(tenantId: string): string {
    return `${this.baseUrl}/entra/${tenantId}/v2.0`;
  }

  /** Handles every request under `/entra/`. */
  async handle(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://sandbox').pathname;
    const match = ISSUER_PATH.exec(path);
    if (!match)
      return sendJson(response, 404, {
        error: 'not_found',
        error_description: `No Entra endpoint at ${path}; use /entra/{tenantId}/v2.0/…`,
      });
    const [mountPath, tenantSegment] = match as unknown as [string, string];

    const entry = this.forTenant(tenantSegment);
    if (!entry) {
      return sendJson(response, 400, {
        error: 'invalid_tenant',
        error_description: `AADSTS90002: Tenant '${tenantSegment}' not found. Check the tenant id, or add the tenant with POST /_sandbox/identity/tenants.`,
      });
    }

    const rest = path.slice(mountPath.length);
    if (rest.startsWith('/interaction/')) {
      return entry.interactions.handle(request, body, response, rest.slice('/interaction'.length));
    }
    await forwardToProvider(entry.provider, request, body, response, mountPath);
  }

  /** Returns the tenant's provider, creating it on first use, or undefined for an unknown tenant. */
  forTenant(tenantId: string): EntraTenantProvider | undefined {
    const tenant = this.store.findEntraTenant(tenantId);
    if (!tenant) return undefined;
    const existing = this.providers.get(tenant.tenantId);
    if (existing) return existing;

    const entry = this.createTenantProvider(tenant);
    this.providers.set(tenant.tenantId, entry);
    this.log.info(
      { tenantId: tenant.tenantId, issuer: this.issuerOf(tenant.tenantId) },
      'entra issuer started',
    );
    return entry;
  }

  /** Finds the tenant and user an access token of any Entra issuer was issued to, with its scopes. */
  async findAccessToken(
    token: string,
  ): Promise<{ tenant: EntraTenant; user: EntraUser; scopes: string[] } | undefined> {
    for (const entry of this.providers.values()) {
      const accessToken = await entry.provider.AccessToken.find(token);
      if (!accessToken?.accountId) continue;
      const user = entry.tenant.users.find((candidate) => candidate.objectId === accessToken.accountId);
      if (!user) continue;
      return { tenant: entry.tenant, user, scopes: (accessToken.scope ?? '').split(' ').filter(Boolean) };
    }
    return undefined;
  }

  private createTenantProvider(tenant: EntraTenant): EntraTenantProvider {
    const { clients } = this.store.state;
    const issuer = this.issuerOf(tenant.tenantId);
    const graphScopes = GRAPH_SCOPES.flatMap((scope) => [scope, `https://graph.microsoft.com/${scope}`]);

    const provider = createOidcProvider({
      issuer,
      state: this.store.state,
      productName: 'Microsoft Entra ID (sandbox)',
      clients: [
        { ...clients.entra, clientName: 'RedApp (directory roles in tokens)', pairwise: true },
        { ...clients.entraWithoutWids, clientName: 'RedApp (roles from Graph)', pairwise: true },
      ],
      scopes: ['openid', 'profile', 'email', 'offline_access', ...graphScopes],
      claims: {
        openid: ['sub', 'tid', 'oid', 'wids', 'ver'],
        profile: ['name', 'preferred_username'],
        email: ['email'],
      },
      // One salt for every tenant: Entra's `sub` depends on the user and the application only.
      pairwiseSalt: this.baseUrl,
      findAccount: async (ctx: KoaContextWithOIDC, accountId: string) => {
        const user = tenant.users.find((candidate) => candidate.objectId === accountId);
        if (!user) return undefined;
        const withRoles = ctx.oidc?.client?.clientId === clients.entra.clientId;
        return {
          accountId,
          claims: () => ({
            sub: accountId,
            tid: tenant.tenantId,
            oid: user.objectId,
            ver: '2.0',
            name: user.displayName,
            preferred_username: user.username,
            email: user.username,
            ...(withRoles ? { wids: directoryRoleTemplateIds(user) } : {}),
          }),
        };
      },
    });

    const interactions = new InteractionRoutes(
      provider,
      {
        productName: 'Microsoft Entra ID (sandbox)',
        directoryName: tenant.domain,
        logIds: { tenantId: tenant.tenantId },
        authenticate: (username, password) => authenticate(tenant, username, password),
        usernameOf: (accountId) => tenant.users.find((user) => user.objectId === accountId)?.username,
        consentCancelledDescription:
          'AADSTS65004: User declined to consent to access the app. The user cancelled consent.',
      },
      `${new URL(issuer).pathname}/interaction`,
      this.log,
    );
    return { tenant, provider, interactions };
  }
}

/** Role template ids for `wids`: the user's directory role, then the member "User" template, as Entra lists them. */
export function directoryRoleTemplateIds(user: EntraUser): string[] {
  if (user.role === 'user') return [ENTRA_MEMBER_USER_TEMPLATE_ID];
  return [ENTRA_DIRECTORY_ROLES[user.role].roleTemplateId, ENTRA_MEMBER_USER_TEMPLATE_ID];
}

/** Checks a sign-in with Entra's messages: a user of another tenant is not found in this one. */
function authenticate(
  tenant: EntraTenant,
  username: string,
  password: string,
): { accountId: string } | { error: string } {
  const user = tenant.users.find((candidate) => candidate.username === username.toLowerCase());
  if (!user) {
    return {
      error: `AADSTS50034: The user account ${username} does not exist in the ${tenant.tenantId} directory. To sign into this application, the account must be added to the directory.`,
    };
  }
  if (user.password !== password) {
    return { error: 'AADSTS50126: Error validating credentials due to invalid username or password.' };
  }
  return { accountId: user.objectId };
}
