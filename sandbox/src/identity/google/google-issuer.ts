import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { AccountClaims } from 'oidc-provider';
import type { Logger } from 'pino';
import type { IdentityStore } from '../identity-store.js';
import type { GoogleAccount, GoogleUser } from '../identity-types.js';
import { InteractionRoutes } from '../interaction-routes.js';
import { createOidcProvider } from '../oidc-provider-factory.js';
import { forwardToProvider } from '../provider-bridge.js';
import { handleDirectoryRequest } from './directory-endpoint.js';
import { DIRECTORY_USER_READONLY_SCOPE, DIRECTORY_USER_SCOPE, GOOGLE_PATH } from './google-paths.js';

/**
 * Serves one Google-like OpenID provider at `{baseUrl}/google` for every Google Workspace account, as Google
 * has one issuer, and the Directory API stand-in at `{baseUrl}/google/admin/directory/v1`.
 */
export class GoogleIssuer {
  readonly provider: Provider;
  private readonly interactions: InteractionRoutes;

  constructor(
    readonly issuer: string,
    private readonly store: IdentityStore,
    log: Logger,
  ) {
    this.provider = createOidcProvider({
      issuer,
      state: store.state,
      productName: 'Google (sandbox)',
      clients: [{ ...store.state.clients.google, clientName: 'RedApp', pairwise: false }],
      scopes: ['openid', 'profile', 'email', DIRECTORY_USER_READONLY_SCOPE, DIRECTORY_USER_SCOPE],
      claims: {
        openid: ['sub', 'hd'],
        email: ['email', 'email_verified'],
        profile: ['name', 'given_name', 'family_name'],
      },
      findAccount: async (_ctx, accountId: string) => {
        const found = store.findGoogleUser(accountId);
        if (!found) return undefined;
        const { account, user } = found;
        return { accountId, claims: () => googleClaims(account, user) };
      },
    });

    this.interactions = new InteractionRoutes(
      this.provider,
      {
        productName: 'Google (sandbox)',
        directoryName: 'Google Account',
        logIds: { issuer: 'google' },
        authenticate: (username, password) => this.authenticate(username, password),
        usernameOf: (accountId) => store.findGoogleUser(accountId)?.user.username,
        consentCancelledDescription: 'The user cancelled consent.',
      },
      `${new URL(issuer).pathname}/interaction`,
      log,
    );
    log.info({ issuer }, 'google issuer started');
  }

  /** Handles every request under `/google/`. */
  async handle(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://sandbox').pathname;
    const rest = path.slice(GOOGLE_PATH.length);

    if (rest.startsWith('/admin/directory/v1/'))
      return handleDirectoryRequest(this, this.store, request, response);
    if (rest.startsWith('/interaction/')) {
      return this.interactions.handle(request, body, response, rest.slice('/interaction'.length));
    }
    await forwardToProvider(this.provider, request, body, response, path.slice(0, GOOGLE_PATH.length));
  }

  /** Finds the Google user an access token was issued to, with its scopes. */
  async findAccessToken(
    token: string,
  ): Promise<{ account: GoogleAccount; user: GoogleUser; scopes: string[] } | undefined> {
    const accessToken = await this.provider.AccessToken.find(token);
    if (!accessToken?.accountId) return undefined;
    const found = this.store.findGoogleUser(accessToken.accountId);
    if (!found) return undefined;
    return { ...found, scopes: (accessToken.scope ?? '').split(' ').filter(Boolean) };
  }

  private authenticate(username: string, password: string): { accountId: string } | { error: string } {
    const found = this.store.findGoogleUser(username);
    if (!found || found.user.username !== username.toLowerCase()) {
      return { error: `Couldn't find your Google Account ${username}.` };
    }
    if (found.user.password !== password) {
      return { error: 'Wrong password. Try again.' };
    }
    return { accountId: found.user.id };
  }
}

function googleClaims(account: GoogleAccount, user: GoogleUser): AccountClaims {
  const [givenName, ...family] = user.displayName.split(' ');
  return {
    sub: user.id,
    hd: account.domain,
    email: user.username,
    email_verified: true,
    name: user.displayName,
    given_name: givenName,
    family_name: family.join(' '),
  };
}
