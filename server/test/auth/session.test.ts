import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authHeaders,
  createFixture,
  errorCode,
  type Fixture,
  signIn,
  testPassword,
} from '../support/fixtures.js';

let fixture: Fixture;

beforeAll(async () => {
  fixture = await createFixture({ loginRateLimitPerMinute: 5 });
});
afterAll(async () => {
  await fixture?.close();
});

describe('sign-in', () => {
  it('sets an HttpOnly SameSite=Lax cookie and returns a CSRF token', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { email: fixture.users.companyAdmin, password: testPassword },
    });
    expect(response.statusCode).toBe(200);
    const cookie = response.cookies.find((c) => c.name === 'redapp_session')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    expect(cookie.secure).toBeFalsy();
    expect(response.json().csrfToken).toMatch(/^[\w-]{43}$/);
    expect(response.json().user.role).toBe('company_admin');
  });

  it('rejects a wrong password without saying which part was wrong', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { email: fixture.users.companyViewer, password: 'wrong password!' },
    });
    expect(response.statusCode).toBe(401);
    expect(errorCode(response)).toBe('INVALID_CREDENTIALS');
  });

  it('rejects an unknown email address the same way', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { email: 'nobody@nowhere.example', password: testPassword },
    });
    expect(response.statusCode).toBe(401);
    expect(errorCode(response)).toBe('INVALID_CREDENTIALS');
  });

  it('is rate-limited per client and email address', async () => {
    const attempt = () =>
      fixture.app.inject({
        method: 'POST',
        url: '/api/session',
        payload: { email: 'limited@a.example', password: 'wrong password!' },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await attempt()).statusCode);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    const limited = await attempt();
    expect(limited.statusCode).toBe(429);
    expect(errorCode(limited)).toBe('RATE_LIMITED');
  });

  it('marks the cookie Secure when configured for TLS', async () => {
    const secure = await createFixture({ cookieSecure: true });
    try {
      const response = await secure.app.inject({
        method: 'POST',
        url: '/api/session',
        payload: { email: secure.users.companyAdmin, password: testPassword },
      });
      expect(response.cookies.find((c) => c.name === 'redapp_session')!.secure).toBe(true);
    } finally {
      await secure.close();
    }
  });
});

describe('session', () => {
  it('returns the signed-in user', async () => {
    const session = await signIn(fixture.app, fixture.users.partnerAdmin);
    const response = await fixture.app.inject({
      method: 'GET',
      url: '/api/session',
      headers: authHeaders(session),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().user.email).toBe(fixture.users.partnerAdmin);
  });

  it('ends on sign-out', async () => {
    const session = await signIn(fixture.app, fixture.users.partnerAdmin);
    const out = await fixture.app.inject({
      method: 'DELETE',
      url: '/api/session',
      headers: authHeaders(session),
    });
    expect(out.statusCode).toBe(204);
    const after = await fixture.app.inject({
      method: 'GET',
      url: '/api/session',
      headers: authHeaders(session),
    });
    expect(errorCode(after)).toBe('UNAUTHENTICATED');
  });

  it('rejects an expired session', async () => {
    const session = await signIn(fixture.app, fixture.users.companyAdmin);
    await fixture.database.db
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .execute();
    const response = await fixture.app.inject({
      method: 'GET',
      url: '/api/companies',
      headers: authHeaders(session),
    });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.message).toMatch(/expired/);
  });

  it('rejects an unknown session cookie', async () => {
    const response = await fixture.app.inject({
      method: 'GET',
      url: '/api/companies',
      headers: { cookie: 'redapp_session=forged' },
    });
    expect(errorCode(response)).toBe('UNAUTHENTICATED');
  });
});

describe('CSRF protection', () => {
  const body = {
    kind: 'microsoft365',
    tenantId: crypto.randomUUID(),
    primaryDomain: 'csrf.example',
    name: 'CSRF',
  };

  it('rejects a state-changing request without the token', async () => {
    const session = await signIn(fixture.app, fixture.users.companyAdmin);
    const response = await fixture.app.inject({
      method: 'POST',
      url: `/api/companies/${fixture.companies.a1}/backup-sets`,
      headers: { cookie: session.cookie },
      payload: body,
    });
    expect(response.statusCode).toBe(403);
    expect(errorCode(response)).toBe('CSRF_TOKEN_INVALID');
  });

  it("rejects another session's token", async () => {
    const session = await signIn(fixture.app, fixture.users.companyAdmin);
    const other = await signIn(fixture.app, fixture.users.partnerAdmin);
    const response = await fixture.app.inject({
      method: 'POST',
      url: `/api/companies/${fixture.companies.a1}/backup-sets`,
      headers: { cookie: session.cookie, 'x-csrf-token': other.csrfToken },
      payload: body,
    });
    expect(errorCode(response)).toBe('CSRF_TOKEN_INVALID');
  });

  it('rejects sign-out without the token', async () => {
    const session = await signIn(fixture.app, fixture.users.companyAdmin);
    const response = await fixture.app.inject({
      method: 'DELETE',
      url: '/api/session',
      headers: { cookie: session.cookie },
    });
    expect(errorCode(response)).toBe('CSRF_TOKEN_INVALID');
  });
});
