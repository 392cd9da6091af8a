import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import pino from 'pino';
import { Router, readBody } from '../../src/http/router.js';
import type { IdentityConfig } from '../../src/identity/identity-config.js';
import { mountIdentityProviders } from '../../src/identity/mount-identity.js';
import { signInWithSandbox } from '../../src/identity/sign-in-driver.js';

export interface IdentitySandbox {
  url: string;
  identity: IdentityConfig;
  stateDir: string;
  stop(): Promise<void>;
}

/** Starts an HTTP server with only the identity providers mounted; requests for AWS get 404. */
export async function startIdentitySandbox(stateDir?: string): Promise<IdentitySandbox> {
  const dir = stateDir ?? mkdtempSync(join(tmpdir(), 'redapp-identity-test-'));
  const router = new Router(async (_request, _body, response) => {
    response.writeHead(404).end();
  });
  const server = createServer(async (request, response) => {
    const body = (await readBody(request)) ?? Buffer.alloc(0);
    const path = new URL(request.url ?? '/', 'http://sandbox').pathname;
    await router.handlerFor(path)(request, body, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const identity = mountIdentityProviders(router, {
    baseUrl: url,
    stateDir: dir,
    log: pino({ level: 'silent' }),
  });
  return {
    url,
    identity,
    stateDir: dir,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!stateDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A redirect URI on an unused loopback port. The driver returns the redirect without following it. */
export const REDIRECT_URI = 'http://127.0.0.1:53682/api/verification/callback';

export interface ClientFlow {
  config: client.Configuration;
  authorizationUrl: URL;
  codeVerifier: string;
  state: string;
  nonce: string;
}

/** Discovers an issuer and builds an authorization URL with PKCE (S256), state and nonce, as the RedApp server does. */
export async function startClientFlow(
  issuer: string,
  clientId: string,
  clientSecret: string,
  scope: string,
  extra: Record<string, string> = {},
): Promise<ClientFlow> {
  const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined, {
    execute: [client.allowInsecureRequests],
  });
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { config, authorizationUrl, codeVerifier, state, nonce };
}

/** Signs in through the pages and redeems the code, checking PKCE, state and nonce. */
export async function signInAndRedeem(
  flow: ClientFlow,
  username: string,
  password: string,
): Promise<Awaited<ReturnType<typeof client.authorizationCodeGrant>>> {
  const callback = await signInWithSandbox(flow.authorizationUrl, { username, password, consent: 'accept' });
  return client.authorizationCodeGrant(flow.config, callback, {
    pkceCodeVerifier: flow.codeVerifier,
    expectedState: flow.state,
    expectedNonce: flow.nonce,
    idTokenExpected: true,
  });
}
