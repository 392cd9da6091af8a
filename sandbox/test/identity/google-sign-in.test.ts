import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GoogleRole } from '../../src/identity/identity-types.js';
import { type SignInCookieJar, signInWithSandbox } from '../../src/identity/sign-in-driver.js';
import {
  type IdentitySandbox,
  signInAndRedeem,
  startClientFlow,
  startIdentitySandbox,
} from './identity-fixture.js';

const CUSTOMER_ID = 'C03az79cb';
const DIRECTORY_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
const FULL_SCOPE = `openid email profile ${DIRECTORY_SCOPE}`;
const NOT_AUTHORIZED_BODY = {
  error: {
    code: 403,
    message: 'Not Authorized to access this resource/api',
    errors: [
      { message: 'Not Authorized to access this resource/api', domain: 'global', reason: 'forbidden' },
    ],
  },
};

let sandbox: IdentitySandbox;
beforeAll(async () => {
  sandbox = await startIdentitySandbox();
});
afterAll(async () => {
  await sandbox?.stop();
});

function account(customerId = CUSTOMER_ID) {
  const found = sandbox.identity.google.accounts.find((candidate) => candidate.customerId === customerId);
  if (!found) throw new Error(`Google account ${customerId} missing from the identity config`);
  return found;
}

function user(role: GoogleRole, customerId = CUSTOMER_ID) {
  const found = account(customerId).users.find((candidate) => candidate.role === role);
  if (!found) throw new Error(`no ${role} in Google account ${customerId}`);
  return found;
}

async function signIn(role: GoogleRole, scope = FULL_SCOPE) {
  const signedIn = user(role);
  const { clientId, clientSecret } = sandbox.identity.google.clients.default;
  const flow = await startClientFlow(sandbox.identity.google.issuer, clientId, clientSecret, scope);
  return signInAndRedeem(flow, signedIn.username, signedIn.password);
}

async function getUser(accessToken: string, userKey: string) {
  return fetch(`${sandbox.identity.google.directoryEndpoint}/users/${encodeURIComponent(userKey)}`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
}

describe('google ID token', () => {
  it('carries email, hd, sub and email_verified', async () => {
    const signedIn = user('super_admin');

    const tokens = await signIn('super_admin');
    const claims = tokens.claims();

    expect(claims?.iss).toBe(sandbox.identity.google.issuer);
    expect(claims?.aud).toBe(sandbox.identity.google.clients.default.clientId);
    expect(claims?.sub).toBe(signedIn.id);
    expect(claims?.sub).toMatch(/^\d{21}$/);
    expect(claims?.email).toBe(signedIn.username);
    expect(claims?.email_verified).toBe(true);
    expect(claims?.hd).toBe('contoso-mail.example');
  });
});

describe('google users.get', () => {
  it('returns isAdmin for a super admin', async () => {
    const signedIn = user('super_admin');
    const tokens = await signIn('super_admin');

    const response = await getUser(tokens.access_token, signedIn.username);
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(body.primaryEmail).toBe(signedIn.username);
    expect(body.isAdmin).toBe(true);
    expect(body.isDelegatedAdmin).toBe(false);
    expect(body.customerId).toBe(CUSTOMER_ID);
  });

  it('accepts the user id as userKey', async () => {
    const signedIn = user('super_admin');
    const tokens = await signIn('super_admin');

    const response = await getUser(tokens.access_token, signedIn.id);
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(body.primaryEmail).toBe(signedIn.username);
  });

  it('returns isDelegatedAdmin for a delegated admin', async () => {
    const signedIn = user('delegated_admin');
    const tokens = await signIn('delegated_admin');

    const response = await getUser(tokens.access_token, signedIn.username);
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(body.isAdmin).toBe(false);
    expect(body.isDelegatedAdmin).toBe(true);
    expect(body.customerId).toBe(CUSTOMER_ID);
  });

  it('rejects a plain user with 403', async () => {
    const signedIn = user('user');
    const tokens = await signIn('user');

    const response = await getUser(tokens.access_token, signedIn.username);

    expect(response.status).toBe(403);
    expect(await response.json()).toEqual(NOT_AUTHORIZED_BODY);
  });

  it('rejects a token without the directory scope', async () => {
    const signedIn = user('super_admin');
    const tokens = await signIn('super_admin', 'openid email profile');

    const response = await getUser(tokens.access_token, signedIn.username);
    const body = (await response.json()) as { error: { errors: Array<{ reason: string }> } };

    expect(response.status).toBe(403);
    expect(body.error.errors[0]?.reason).toBe('insufficientPermissions');
  });

  it('rejects a missing token with 401', async () => {
    const response = await fetch(
      `${sandbox.identity.google.directoryEndpoint}/users/${user('super_admin').username}`,
    );

    expect(response.status).toBe(401);
  });

  it('returns 404 for an unknown user', async () => {
    const tokens = await signIn('super_admin');

    const response = await getUser(tokens.access_token, 'nobody@contoso-mail.example');

    expect(response.status).toBe(404);
  });
});

describe('google sign-in pages', () => {
  it('switches account for select_account', async () => {
    const refused = user('delegated_admin');
    const admin = user('super_admin');
    const { clientId, clientSecret } = sandbox.identity.google.clients.default;
    const jar: SignInCookieJar = [];
    const first = await startClientFlow(sandbox.identity.google.issuer, clientId, clientSecret, FULL_SCOPE);
    await signInWithSandbox(first.authorizationUrl, { ...refused, cookieJar: jar });

    const again = await startClientFlow(sandbox.identity.google.issuer, clientId, clientSecret, FULL_SCOPE, {
      prompt: 'select_account consent',
    });
    const callback = await signInWithSandbox(again.authorizationUrl, { ...admin, cookieJar: jar });
    const tokens = await client.authorizationCodeGrant(again.config, callback, {
      pkceCodeVerifier: again.codeVerifier,
      expectedState: again.state,
      expectedNonce: again.nonce,
      idTokenExpected: true,
    });

    expect(tokens.claims()?.email).toBe(admin.username);
  });

  it('returns access_denied when consent is cancelled', async () => {
    const signedIn = user('super_admin');
    const { clientId, clientSecret } = sandbox.identity.google.clients.default;
    const flow = await startClientFlow(sandbox.identity.google.issuer, clientId, clientSecret, FULL_SCOPE, {
      prompt: 'consent',
    });

    const callback = await signInWithSandbox(flow.authorizationUrl, {
      username: signedIn.username,
      password: signedIn.password,
      consent: 'cancel',
    });

    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(flow.state);
  });

  it('rejects a wrong password', async () => {
    const signedIn = user('super_admin');
    const { clientId, clientSecret } = sandbox.identity.google.clients.default;
    const flow = await startClientFlow(sandbox.identity.google.issuer, clientId, clientSecret, FULL_SCOPE);

    const attempt = signInWithSandbox(flow.authorizationUrl, {
      username: signedIn.username,
      password: 'wrong',
    });

    await expect(attempt).rejects.toMatchObject({ pageError: expect.stringContaining('Wrong password') });
  });

  it('rejects an Entra client id', async () => {
    const { clientId, clientSecret } = sandbox.identity.entra.clients.withDirectoryRoles;

    const flow = startClientFlow(sandbox.identity.google.issuer, clientId, clientSecret, FULL_SCOPE);
    const signedIn = user('super_admin');
    const attempt = flow.then((started) =>
      signInWithSandbox(started.authorizationUrl, {
        username: signedIn.username,
        password: signedIn.password,
      }),
    );

    await expect(attempt).rejects.toMatchObject({ pageError: expect.stringContaining('client') });
  });
});
