import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installAccessControl } from '../../src/http/access-control.js';
import { authHeaders, createFixture, errorCode, type Fixture, signIn } from '../support/fixtures.js';

/**
 * Every registered route × every role × own company, another company of the same partner and a
 * company of another partner. Routes join this matrix by declaring config.access; a route with a
 * path parameter this file cannot fill fails here, so new routes are never skipped silently.
 */
let fixture: Fixture;

beforeAll(async () => {
  fixture = await createFixture({ loginRateLimitPerMinute: 1000 });
});
afterAll(async () => {
  await fixture?.close();
});

type Caller = 'anonymous' | 'partnerAdmin' | 'companyAdmin' | 'companyViewer';
type Target = 'ownCompany' | 'otherCompany' | 'otherPartner';

const callers: Caller[] = ['anonymous', 'partnerAdmin', 'companyAdmin', 'companyViewer'];
const targets: Target[] = ['ownCompany', 'otherCompany', 'otherPartner'];

function targetCompany(target: Target): string {
  return {
    ownCompany: fixture.companies.a1,
    otherCompany: fixture.companies.a2,
    otherPartner: fixture.companies.b1,
  }[target];
}

/** Companies each caller may reach: a Partner Admin every company of partner A, the others only A1. */
function reaches(caller: Caller, target: Target): boolean {
  if (caller === 'partnerAdmin') return target !== 'otherPartner';
  return target === 'ownCompany';
}

/** Values for each path parameter a route may have, belonging to the target company. */
const paramResolvers: Record<string, (companyId: string) => string> = {
  companyId: (companyId) => companyId,
  backupSetId: (companyId) => fixture.backupSets[companyId]!,
  objectId: (companyId) => fixture.backupObjects[companyId]!,
};

function fillPath(url: string, companyId: string): string {
  return url.replace(/:(\w+)/g, (_match, name: string) => {
    const resolve = paramResolvers[name];
    if (!resolve) throw new Error(`No value for :${name} in ${url}; add a resolver to paramResolvers.`);
    return resolve(companyId);
  });
}

const sessions = new Map<Caller, Awaited<ReturnType<typeof signIn>>>();

async function send(method: string, url: string, caller: Caller) {
  let headers: Record<string, string> = {};
  if (caller !== 'anonymous') {
    let session = sessions.get(caller);
    if (!session) {
      session = await signIn(fixture.app, fixture.users[caller]);
      sessions.set(caller, session);
    }
    headers = authHeaders(session);
    // Signing out ends the session, so the next request signs in again.
    if (method === 'DELETE' && url === '/api/session') sessions.delete(caller);
  }
  const hasBody = method !== 'GET' && method !== 'DELETE';
  return fixture.app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(hasBody ? { payload: {} } : {}),
  });
}

describe('authorization matrix', () => {
  it('covers the API routes', () => {
    const protectedRoutes = fixture.routes.filter((route) => route.access.scope !== 'public');
    expect(protectedRoutes.length).toBeGreaterThanOrEqual(6);
  });

  it('allows and denies each route as declared', async () => {
    const failures: string[] = [];

    for (const route of fixture.routes) {
      if (route.access.scope === 'public') continue;
      const access = route.access;
      const routeTargets: Target[] = access.scope === 'company' ? targets : ['ownCompany'];

      for (const caller of callers) {
        for (const target of routeTargets) {
          const url = fillPath(route.url, targetCompany(target));
          const response = await send(route.method, url, caller);
          const label = `${route.method} ${route.url} as ${caller} on ${target}`;

          let expected: 'allowed' | 'UNAUTHENTICATED' | 'NOT_FOUND' | 'FORBIDDEN' = 'allowed';
          if (caller === 'anonymous') expected = 'UNAUTHENTICATED';
          else if (access.scope === 'company' && !reaches(caller, target)) expected = 'NOT_FOUND';
          else if (access.scope === 'company' && access.action === 'manage' && caller === 'companyViewer') {
            expected = 'FORBIDDEN';
          }

          const code = errorCode(response);
          if (expected === 'allowed') {
            if (
              [401, 403].includes(response.statusCode) ||
              code === 'NOT_FOUND' ||
              response.statusCode >= 500
            ) {
              failures.push(`${label}: expected access, got ${response.statusCode} ${code}`);
            }
          } else if (code !== expected) {
            failures.push(`${label}: expected ${expected}, got ${response.statusCode} ${code}`);
          }
        }
      }
    }

    expect(failures).toEqual([]);
  });
});

describe('route registration', () => {
  it('rejects a route without declared access', async () => {
    const app = Fastify();
    installAccessControl(app, { findSession: async () => undefined, findCompany: async () => undefined });
    app.get('/api/undeclared', async () => ({}));
    await expect(app.ready()).rejects.toThrow(/declares no config.access/);
  });
});
