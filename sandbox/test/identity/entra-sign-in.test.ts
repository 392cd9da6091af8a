import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENTRA_DIRECTORY_ROLES,
  ENTRA_MEMBER_USER_TEMPLATE_ID,
  type EntraRole,
} from '../../src/identity/identity-types.js';
import {
  SandboxSignInError,
  type SignInCookieJar,
  signInWithSandbox,
} from '../../src/identity/sign-in-driver.js';
import {
  type IdentitySandbox,
  REDIRECT_URI,
  signInAndRedeem,
  startClientFlow,
  startIdentitySandbox,
} from './identity-fixture.js';

const CONTOSO = '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a01';
const FABRIKAM = '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a03';

let sandbox: IdentitySandbox;
beforeAll(async () => {
  sandbox = await startIdentitySandbox();
});
afterAll(async () => {
  await sandbox?.stop();
});

function tenant(tenantId: string) {
  const found = sandbox.identity.entra.tenants.find((candidate) => candidate.tenantId === tenantId);
  if (!found) throw new Error(`tenant ${tenantId} missing from the identity config`);
  return found;
}

function user(tenantId: string, role: EntraRole) {
  const found = tenant(tenantId).users.find((candidate) => candidate.role === role);
  if (!found) throw new Error(`no ${role} in tenant ${tenantId}`);
  return found;
}

function clients() {
  return sandbox.identity.entra.clients;
}

describe('entra discovery', () => {
  it('names the tenant in the issuer', async () => {
    const response = await fetch(`${tenant(CONTOSO).issuer}/.well-known/openid-configuration`);
    const metadata = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(metadata.issuer).toBe(`${sandbox.url}/entra/${CONTOSO}/v2.0`);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(String(metadata.authorization_endpoint)).toMatch(
      new RegExp(`^${sandbox.url}/entra/${CONTOSO}/v2.0/`),
    );
  });

  it('rejects an unknown tenant', async () => {
    const response = await fetch(
      `${sandbox.url}/entra/00000000-0000-4000-8000-000000000000/v2.0/.well-known/openid-configuration`,
    );
    const body = (await response.json()) as { error: string; error_description: string };

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_tenant');
    expect(body.error_description).toContain('AADSTS90002');
  });
});

describe('entra ID token claims', () => {
  const cases: Array<{ role: EntraRole; wids: string[] }> = [
    {
      role: 'global_admin',
      wids: [ENTRA_DIRECTORY_ROLES.global_admin.roleTemplateId, ENTRA_MEMBER_USER_TEMPLATE_ID],
    },
    {
      role: 'privileged_role_admin',
      wids: [ENTRA_DIRECTORY_ROLES.privileged_role_admin.roleTemplateId, ENTRA_MEMBER_USER_TEMPLATE_ID],
    },
    {
      role: 'cloud_application_admin',
      wids: [ENTRA_DIRECTORY_ROLES.cloud_application_admin.roleTemplateId, ENTRA_MEMBER_USER_TEMPLATE_ID],
    },
    { role: 'user', wids: [ENTRA_MEMBER_USER_TEMPLATE_ID] },
  ];

  for (const { role, wids } of cases) {
    it(`carries wids for ${role}`, async () => {
      const signedIn = user(CONTOSO, role);
      const { clientId, clientSecret } = clients().withDirectoryRoles;
      const flow = await startClientFlow(
        tenant(CONTOSO).issuer,
        clientId,
        clientSecret,
        'openid profile email',
      );

      const tokens = await signInAndRedeem(flow, signedIn.username, signedIn.password);
      const claims = tokens.claims();

      expect(claims?.iss).toBe(tenant(CONTOSO).issuer);
      expect(claims?.aud).toBe(clientId);
      expect(claims?.tid).toBe(CONTOSO);
      expect(claims?.oid).toBe(signedIn.objectId);
      expect(claims?.preferred_username).toBe(signedIn.username);
      expect(typeof claims?.name).toBe('string');
      expect(claims?.nonce).toBe(flow.nonce);
      expect(claims?.wids).toEqual(wids);
      // Entra's `sub` is per application, unlike `oid`.
      expect(claims?.sub).not.toBe(signedIn.objectId);
    });
  }

  it('works for every seeded tenant with one client id', async () => {
    const signedIn = user(FABRIKAM, 'global_admin');
    const { clientId, clientSecret } = clients().withDirectoryRoles;
    const flow = await startClientFlow(tenant(FABRIKAM).issuer, clientId, clientSecret, 'openid profile');

    const tokens = await signInAndRedeem(flow, signedIn.username, signedIn.password);

    expect(tokens.claims()?.tid).toBe(FABRIKAM);
    expect(tokens.claims()?.iss).toBe(tenant(FABRIKAM).issuer);
  });
});

describe('entra client without wids', () => {
  async function signInWithoutWids(
    role: EntraRole,
    scope = 'openid profile https://graph.microsoft.com/User.Read',
  ) {
    const signedIn = user(CONTOSO, role);
    const { clientId, clientSecret } = clients().withoutDirectoryRoles;
    const flow = await startClientFlow(tenant(CONTOSO).issuer, clientId, clientSecret, scope);
    return signInAndRedeem(flow, signedIn.username, signedIn.password);
  }

  async function readRoles(accessToken: string) {
    return fetch(
      `${sandbox.identity.entra.graphEndpoint}/me/transitiveMemberOf/microsoft.graph.directoryRole`,
      {
        headers: { authorization: `Bearer ${accessToken}` },
      },
    );
  }

  it('omits wids from the ID token', async () => {
    const tokens = await signInWithoutWids('global_admin');

    expect(tokens.claims()?.tid).toBe(CONTOSO);
    expect(tokens.claims()).not.toHaveProperty('wids');
  });

  it('reads a global admin role from Graph', async () => {
    const tokens = await signInWithoutWids('global_admin');

    const response = await readRoles(tokens.access_token);
    const body = (await response.json()) as { value: Array<{ roleTemplateId: string; displayName: string }> };

    expect(response.status).toBe(200);
    expect(body.value.map((role) => role.roleTemplateId)).toEqual([
      ENTRA_DIRECTORY_ROLES.global_admin.roleTemplateId,
    ]);
    expect(body.value[0]?.displayName).toBe('Global Administrator');
  });

  it('reads each role from Graph', async () => {
    for (const role of ['privileged_role_admin', 'cloud_application_admin'] as const) {
      const tokens = await signInWithoutWids(role);
      const body = (await (await readRoles(tokens.access_token)).json()) as {
        value: Array<{ roleTemplateId: string }>;
      };
      expect(
        body.value.map((entry) => entry.roleTemplateId),
        role,
      ).toEqual([ENTRA_DIRECTORY_ROLES[role].roleTemplateId]);
    }
  });

  it('reads no roles for a plain user', async () => {
    const tokens = await signInWithoutWids('user');

    const body = (await (await readRoles(tokens.access_token)).json()) as { value: unknown[] };

    expect(body.value).toEqual([]);
  });

  it('rejects Graph without a token', async () => {
    const response = await fetch(
      `${sandbox.identity.entra.graphEndpoint}/me/transitiveMemberOf/microsoft.graph.directoryRole`,
    );
    const body = (await response.json()) as { error: { code: string } };

    expect(response.status).toBe(401);
    expect(body.error.code).toBe('InvalidAuthenticationToken');
  });

  it('rejects Graph with an unknown token', async () => {
    const response = await readRoles('not-a-token');

    expect(response.status).toBe(401);
  });

  it('rejects Graph without a Graph scope', async () => {
    const tokens = await signInWithoutWids('global_admin', 'openid profile');

    const response = await readRoles(tokens.access_token);
    const body = (await response.json()) as { error: { code: string } };

    expect(response.status).toBe(403);
    expect(body.error.code).toBe('Authorization_RequestDenied');
  });
});

describe('entra sign-in pages', () => {
  it('returns access_denied when consent is cancelled', async () => {
    const signedIn = user(CONTOSO, 'global_admin');
    const { clientId, clientSecret } = clients().withDirectoryRoles;
    const flow = await startClientFlow(tenant(CONTOSO).issuer, clientId, clientSecret, 'openid profile', {
      prompt: 'consent',
    });

    const callback = await signInWithSandbox(flow.authorizationUrl, {
      username: signedIn.username,
      password: signedIn.password,
      consent: 'cancel',
    });

    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('error_description')).toContain('cancelled consent');
    expect(callback.searchParams.get('state')).toBe(flow.state);
    expect(callback.searchParams.get('code')).toBeNull();
    await expect(
      client.authorizationCodeGrant(flow.config, callback, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
      }),
    ).rejects.toMatchObject({ error: 'access_denied' });
  });

  it('reuses the session without a prompt', async () => {
    const signedIn = user(CONTOSO, 'user');
    const { clientId, clientSecret } = clients().withDirectoryRoles;
    const jar: SignInCookieJar = [];
    const first = await startClientFlow(tenant(CONTOSO).issuer, clientId, clientSecret, 'openid profile');
    await signInWithSandbox(first.authorizationUrl, { ...signedIn, cookieJar: jar });

    // No login form this time: the driver raises if it would have to post credentials it lacks.
    const again = await startClientFlow(tenant(CONTOSO).issuer, clientId, clientSecret, 'openid profile');
    const callback = await signInWithSandbox(again.authorizationUrl, {
      username: 'nobody',
      password: 'wrong',
      cookieJar: jar,
    });
    expect(callback.searchParams.get('code')).not.toBeNull();
  });

  it('switches account for prompt=login', async () => {
    const refused = user(CONTOSO, 'user');
    const admin = user(CONTOSO, 'global_admin');
    const { clientId, clientSecret } = clients().withDirectoryRoles;
    const jar: SignInCookieJar = [];
    const first = await startClientFlow(tenant(CONTOSO).issuer, clientId, clientSecret, 'openid profile');
    await signInWithSandbox(first.authorizationUrl, { ...refused, cookieJar: jar });

    const again = await startClientFlow(tenant(CONTOSO).issuer, clientId, clientSecret, 'openid profile', {
      prompt: 'login',
    });
    const callback = await signInWithSandbox(again.authorizationUrl, { ...admin, cookieJar: jar });
    const tokens = await client.authorizationCodeGrant(again.config, callback, {
      pkceCodeVerifier: again.codeVerifier,
      expectedState: again.state,
      expectedNonce: again.nonce,
      idTokenExpected: true,
    });

    expect(tokens.claims()?.preferred_username).toBe(admin.username);
  });

  it('shows consent again for prompt=consent', async () => {
    const signedIn = user(CONTOSO, 'privileged_role_admin');
    const { clientId, clientSecret } = clients().withDirectoryRoles;
    const first = await startClientFlow(tenant(CONTOSO).issuer, clientId, clientSecret, 'openid profile');
    await signInAndRedeem(first, signedIn.username, signedIn.password);

    const again = await startClientFlow(tenant(CONTOSO).issuer, clientId, clientSecret, 'openid profile', {
      prompt: 'consent',
    });
    const callback = await signInWithSandbox(again.authorizationUrl, {
      username: signedIn.username,
      password: signedIn.password,
      consent: 'cancel',
    });

    expect(callback.searchParams.get('error')).toBe('access_denied');
  });

  it('shows the form again after a wrong password', async () => {
    const signedIn = user(CONTOSO, 'global_admin');
    const { clientId, clientSecret } = clients().withDirectoryRoles;
    const flow = await startClientFlow(tenant(CONTOSO).issuer, clientId, clientSecret, 'openid');

    const attempt = signInWithSandbox(flow.authorizationUrl, {
      username: signedIn.username,
      password: 'wrong-password',
    });

    await expect(attempt).rejects.toBeInstanceOf(SandboxSignInError);
    await expect(attempt).rejects.toMatchObject({ pageError: expect.stringContaining('AADSTS50126') });
  });

  it('rejects a user of another tenant', async () => {
    const outsider = user(FABRIKAM, 'global_admin');
    const { clientId, clientSecret } = clients().withDirectoryRoles;
    const flow = await startClientFlow(tenant(CONTOSO).issuer, clientId, clientSecret, 'openid');

    const attempt = signInWithSandbox(flow.authorizationUrl, {
      username: outsider.username,
      password: outsider.password,
    });

    await expect(attempt).rejects.toMatchObject({ pageError: expect.stringContaining('AADSTS50034') });
    await expect(attempt).rejects.toMatchObject({ pageError: expect.stringContaining(CONTOSO) });
  });

  it('accepts a localhost redirect URI on any port', async () => {
    const signedIn = user(CONTOSO, 'global_admin');
    const { clientId, clientSecret } = clients().withDirectoryRoles;
    const flow = await startClientFlow(tenant(CONTOSO).issuer, clientId, clientSecret, 'openid', {
      redirect_uri: 'http://localhost:41999/elsewhere/callback',
    });

    const callback = await signInWithSandbox(flow.authorizationUrl, {
      username: signedIn.username,
      password: signedIn.password,
    });

    expect(callback.origin).toBe('http://localhost:41999');
    expect(callback.searchParams.get('code')).toBeTruthy();
  });

  it('rejects a redirect URI off loopback', async () => {
    const { clientId, clientSecret } = clients().withDirectoryRoles;
    for (const redirectUri of [
      'http://example.com:8080/callback',
      'https://127.0.0.1:8443/callback',
      'http://10.0.0.1/callback',
    ]) {
      const flow = await startClientFlow(tenant(CONTOSO).issuer, clientId, clientSecret, 'openid', {
        redirect_uri: redirectUri,
      });

      const response = await fetch(flow.authorizationUrl, { redirect: 'manual' });
      const page = await response.text();

      expect(response.status, redirectUri).toBe(400);
      expect(response.headers.get('location'), redirectUri).toBeNull();
      expect(page, redirectUri).toContain('redirect_uri');
    }
  });

  it('rejects a request without PKCE', async () => {
    const { clientId } = clients().withDirectoryRoles;
    const url = new URL(`${tenant(CONTOSO).issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: REDIRECT_URI,
      state: 'state-1',
      nonce: 'nonce-1',
    }).toString();

    const response = await fetch(url, { redirect: 'manual' });
    const location = new URL(response.headers.get('location') ?? '');

    expect(response.status).toBe(303);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toContain('PKCE');
  });

  it('rejects the plain PKCE method', async () => {
    const { clientId } = clients().withDirectoryRoles;
    const url = new URL(`${tenant(CONTOSO).issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: REDIRECT_URI,
      code_challenge: 'a'.repeat(43),
      code_challenge_method: 'plain',
    }).toString();

    const response = await fetch(url, { redirect: 'manual' });
    const location = new URL(response.headers.get('location') ?? '');

    expect(location.searchParams.get('error')).toBe('invalid_request');
  });
});
