import { createHash } from 'node:crypto';
import Provider, {
  type ClientMetadata,
  type Configuration,
  interactionPolicy,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { renderErrorPage } from './html-pages.js';
import type { IdentityState } from './identity-types.js';
import { createMemoryAdapter } from './memory-adapter.js';

/** Hosts a redirect URI may name: the RedApp server runs on a random loopback port in tests. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

/** Placeholder registration; `redirectUriAllowed` below accepts any loopback redirect URI instead. */
const REGISTERED_REDIRECT_URI = 'http://127.0.0.1/callback';

export interface ProviderSetup {
  issuer: string;
  state: IdentityState;
  clients: Array<{ clientId: string; clientSecret: string; clientName: string; pairwise: boolean }>;
  scopes: string[];
  claims: Record<string, string[]>;
  findAccount: Configuration['findAccount'];
  /** Name of the emulated identity provider, shown in the error page's title. */
  productName: string;
  /** Salt of pairwise subject identifiers; Entra derives `sub` per application. */
  pairwiseSalt?: string;
}

/**
 * Creates an `oidc-provider` instance for one issuer: authorization-code flow only, PKCE with S256 required,
 * confidential clients with any loopback redirect URI, and login and consent pages served under
 * `{issuer}/interaction/{uid}` by the caller.
 */
export function createOidcProvider(setup: ProviderSetup): Provider {
  const issuerPath = new URL(setup.issuer).pathname.replace(/\/$/, '');
  const clients: ClientMetadata[] = setup.clients.map((client) => ({
    client_id: client.clientId,
    client_secret: client.clientSecret,
    client_name: client.clientName,
    redirect_uris: [REGISTERED_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    subject_type: client.pairwise ? 'pairwise' : 'public',
  }));

  const provider = new Provider(setup.issuer, {
    adapter: createMemoryAdapter(Date.now),
    clients,
    jwks: { keys: setup.state.signingKeys as never },
    cookies: { keys: setup.state.cookieKeys },
    findAccount: setup.findAccount,
    scopes: setup.scopes,
    claims: setup.claims,
    // Claims of the requested scopes go into the ID token, as Entra and Google put them there.
    conformIdTokenClaims: false,
    subjectTypes: ['public', 'pairwise'],
    pairwiseIdentifier: async (_ctx, accountId, client) =>
      pairwiseSubject(setup.pairwiseSalt ?? setup.issuer, accountId, client.clientId),
    pkce: { methods: ['S256'], required: () => true },
    responseTypes: ['code'],
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
    },
    interactions: {
      url: (_ctx, interaction) => `${issuerPath}/interaction/${interaction.uid}`,
      policy: interactionPolicyWithAccountSelection(),
    },
    ttl: {
      AccessToken: 60 * 60,
      AuthorizationCode: 10 * 60,
      IdToken: 60 * 60,
      RefreshToken: 24 * 60 * 60,
      Interaction: 60 * 60,
      Session: 24 * 60 * 60,
      Grant: 24 * 60 * 60,
    },
    renderError: async (ctx: KoaContextWithOIDC, out) => {
      ctx.type = 'html';
      ctx.body = renderErrorPage(setup.productName, out.error, out.error_description);
    },
  });

  provider.Client.prototype.redirectUriAllowed = isLoopbackRedirectUri;
  return provider;
}

/**
 * Builds the default login and consent prompts, preceded by `select_account`. Google accepts that
 * prompt, and RedApp sends it so that an admin can sign in with another account than the remembered
 * one. The stand-in has no account chooser, so it shows its sign-in form for it.
 */
function interactionPolicyWithAccountSelection(): interactionPolicy.Prompt[] {
  const policy = interactionPolicy.base();
  policy.unshift(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }));
  return policy;
}

/** Accepts http redirect URIs on 127.0.0.1 or localhost, any port and path, without a fragment. */
export function isLoopbackRedirectUri(value: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return false;
  }
  return parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname) && parsed.hash === '';
}

function pairwiseSubject(salt: string, accountId: string, clientId: string): string {
  return createHash('sha256')
    .update(salt)
    .update('\0')
    .update(accountId)
    .update('\0')
    .update(clientId)
    .digest('base64url');
}
