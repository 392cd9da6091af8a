import type { Role } from '../db/schema.js';

/**
 * The access rule every route declares in `config.access`. The access hook enforces it before the
 * body is read, and a route registered without one fails at start, so no route is open by omission.
 *
 * - `public`: no session (sign-in, health checks, API docs).
 * - `session`: any signed-in user; the handler scopes what it returns to the caller.
 * - `company`: the route has a `:companyId` parameter naming a company the caller may reach;
 *   `read` allows every role, `manage` only Partner Admins and Company Admins.
 */
export type RouteAccess =
  | { scope: 'public' }
  | { scope: 'session' }
  | { scope: 'company'; action: 'read' | 'manage' };

/** The signed-in user behind a request. */
export interface Principal {
  userId: string;
  email: string;
  displayName: string;
  role: Role;
  partnerId: string;
  /** Null for Partner Admins. */
  companyId: string | null;
  sessionIdHash: string;
  csrfToken: string;
}

export const rolesAllowed: Record<'read' | 'manage', readonly Role[]> = {
  read: ['partner_admin', 'company_admin', 'company_viewer'],
  manage: ['partner_admin', 'company_admin'],
};

/** Whether the principal's scope contains a company of the given partner. */
export function canReachCompany(principal: Principal, company: { id: string; partnerId: string }): boolean {
  if (principal.role === 'partner_admin') return company.partnerId === principal.partnerId;
  return company.id === principal.companyId;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}
