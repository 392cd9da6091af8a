import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';
import { canReachCompany, type Principal, type RouteAccess, rolesAllowed } from './access.js';

export const sessionCookieName = 'redapp_session';
export const csrfHeaderName = 'x-csrf-token';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AccessControlDeps {
  /** Returns the principal for a session cookie value, or undefined when absent or expired. */
  findSession(cookieValue: string): Promise<Principal | undefined>;
  /** Returns a company's partner, or undefined when there is no such company. */
  findCompany(companyId: string): Promise<{ id: string; partnerId: string } | undefined>;
}

/** One route as registered, with its declared access; the authorization matrix test reads this list. */
export interface RegisteredRoute {
  method: string;
  url: string;
  access: RouteAccess;
}

/**
 * Installs authorization, decided in one place: every route declares `config.access`, and this
 * hook checks session, CSRF token, role and company scope in `onRequest`, before the body is read
 * or validated, so a caller without access learns nothing from validation errors.
 */
export function installAccessControl(app: FastifyInstance, deps: AccessControlDeps): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];

  // Routes are checked when the server is ready, after plugins have had their say on each route's config.
  const pending: {
    method: string | string[];
    url: string;
    options: { config?: { access?: RouteAccess } };
  }[] = [];
  app.addHook('onRoute', (route) => {
    pending.push({ method: route.method, url: route.url, options: route });
  });
  app.addHook('onReady', async () => {
    for (const route of pending) {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const access = route.options.config?.access;
      if (access === undefined) {
        throw new Error(
          `Route ${methods.join(',')} ${route.url} declares no config.access; every route must.`,
        );
      }
      for (const method of methods) {
        if (method !== 'HEAD') routes.push({ method, url: route.url, access });
      }
    }
  });

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    // Requests that matched no route reach the not-found handler, which has no access rule.
    if (access === undefined || access.scope === 'public') return;

    const principal = await authenticate(request, deps);
    request.principal = principal;

    if (!safeMethods.has(request.method)) checkCsrfToken(request, principal);
    if (access.scope === 'company') await checkCompanyScope(request, principal, access.action, deps);
  });

  return routes;
}

async function authenticate(request: FastifyRequest, deps: AccessControlDeps): Promise<Principal> {
  const cookie = request.cookies[sessionCookieName];
  if (!cookie) throw new AppError('UNAUTHENTICATED', 'This request needs a signed-in session.');

  const principal = await deps.findSession(cookie);
  if (!principal) {
    throw new AppError('UNAUTHENTICATED', 'Your session has expired or was signed out.', {
      fix: 'Sign in again.',
    });
  }
  return principal;
}

function checkCsrfToken(request: FastifyRequest, principal: Principal): void {
  const sent = request.headers[csrfHeaderName];
  const expected = Buffer.from(principal.csrfToken);
  const actual = Buffer.from(typeof sent === 'string' ? sent : '');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new AppError(
      'CSRF_TOKEN_INVALID',
      `The ${csrfHeaderName} header is missing or does not match this session.`,
    );
  }
}

async function checkCompanyScope(
  request: FastifyRequest,
  principal: Principal,
  action: 'read' | 'manage',
  deps: AccessControlDeps,
): Promise<void> {
  const companyId = (request.params as Record<string, string | undefined>).companyId;
  if (companyId === undefined) {
    throw new Error(`Route ${request.routeOptions.url} has company scope but no :companyId parameter.`);
  }
  if (!uuidPattern.test(companyId)) {
    throw new AppError(
      'INVALID_INPUT',
      `companyId "${companyId}" is not a UUID; expected a company id such as those GET /api/companies returns.`,
      {
        details: { field: 'params.companyId' },
      },
    );
  }

  // A company outside the caller's scope answers exactly as a missing one, so ids cannot be probed.
  const company = await deps.findCompany(companyId.toLowerCase());
  if (!company || !canReachCompany(principal, company)) {
    throw new AppError('NOT_FOUND', `Company ${companyId} was not found.`);
  }

  if (!rolesAllowed[action].includes(principal.role)) {
    throw new AppError(
      'FORBIDDEN',
      'Company Viewers have read-only access; this change needs a Partner Admin or Company Admin.',
    );
  }
}
