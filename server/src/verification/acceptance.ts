import type { IdentityConfig } from '../config/config.js';

/** Entra directory role template ids that prove control of a tenant. */
export const globalAdministrator = '62e90394-69f5-4237-9190-012177145e10';
export const privilegedRoleAdministrator = 'e8611ab8-c189-46e8-94e1-60213ab1f814';

export interface Decision {
  verified: boolean;
  /** Reason for a rejected sign-in, in the words shown next to the tenant. */
  reason: string | null;
  /** Identity of the user who signed in, as the identity provider names them. */
  identity: string | null;
}

const refuse = (reason: string, identity: string | null): Decision => ({ verified: false, reason, identity });

/**
 * Microsoft 365: the ID token's `tid` must be the backup set's tenant (its `iss` was already matched
 * to that tenant's issuer by discovery and token validation), and the user must be a Global
 * Administrator or Privileged Role Administrator. A successful consent alone proves nothing:
 * Cloud Application Administrators can consent too. When the token carries no `wids` (the app
 * registration does not ask for directory roles), the roles are read from Microsoft Graph.
 */
export async function decideMicrosoft(
  claims: Record<string, unknown>,
  tenantId: string,
  accessToken: string | undefined,
  identity: IdentityConfig,
  fetchImpl: typeof fetch = fetch,
): Promise<Decision> {
  const who = typeof claims.preferred_username === 'string' ? claims.preferred_username : null;
  if (typeof claims.tid !== 'string' || claims.tid.toLowerCase() !== tenantId.toLowerCase()) {
    return refuse('signed in to another tenant', who);
  }

  let roles: string[] | undefined = Array.isArray(claims.wids) ? claims.wids.map(String) : undefined;
  if (roles === undefined) {
    if (!accessToken)
      return refuse('no directory roles in the sign-in and no Graph access to read them', who);
    const response = await fetchImpl(
      `${identity.entra.graphEndpoint}/me/transitiveMemberOf/microsoft.graph.directoryRole`,
      {
        headers: { authorization: `Bearer ${accessToken}` },
      },
    );
    if (!response.ok)
      return refuse(`Microsoft Graph refused to list directory roles (HTTP ${response.status})`, who);
    const body = (await response.json()) as { value?: Array<{ roleTemplateId?: string }> };
    roles = (body.value ?? []).map((role) => String(role.roleTemplateId));
  }

  if (!roles.includes(globalAdministrator) && !roles.includes(privilegedRoleAdministrator)) {
    return refuse('not a Global Administrator or Privileged Role Administrator', who);
  }
  return { verified: true, reason: null, identity: who };
}

/**
 * Google Workspace: the Directory API's users.get on the signed-in user must say `isAdmin: true`
 * (super admin; a delegated admin is refused) and name the backup set's customer id.
 */
export async function decideGoogle(
  claims: Record<string, unknown>,
  customerId: string,
  accessToken: string | undefined,
  identity: IdentityConfig,
  fetchImpl: typeof fetch = fetch,
): Promise<Decision> {
  const email = typeof claims.email === 'string' ? claims.email : null;
  if (!email || !accessToken)
    return refuse('the sign-in returned no email address or no access token', email);

  const response = await fetchImpl(
    `${identity.google.directoryEndpoint}/users/${encodeURIComponent(email)}`,
    {
      headers: { authorization: `Bearer ${accessToken}` },
    },
  );
  if (response.status === 403)
    return refuse('not a Google Workspace admin (the Directory API refused access)', email);
  if (!response.ok) return refuse(`the Google Directory API answered HTTP ${response.status}`, email);

  const user = (await response.json()) as {
    isAdmin?: boolean;
    isDelegatedAdmin?: boolean;
    customerId?: string;
  };
  if (user.customerId !== customerId) return refuse('signed in to another Google Workspace account', email);
  if (user.isAdmin !== true) {
    return refuse(user.isDelegatedAdmin ? 'delegated admin, not super admin' : 'not a super admin', email);
  }
  return { verified: true, reason: null, identity: email };
}
