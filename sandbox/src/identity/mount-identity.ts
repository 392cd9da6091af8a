import type { Logger } from 'pino';
import type { Router } from '../http/router.js';
import type { StandIn } from '../stand-ins.js';
import { ADMIN_PATH, handleAdminRequest } from './admin-endpoint.js';
import { EntraIssuers } from './entra/entra-issuers.js';
import { handleGraphRequest } from './entra/graph-endpoint.js';
import { GoogleIssuer } from './google/google-issuer.js';
import { GOOGLE_PATH } from './google/google-paths.js';
import { buildIdentityConfig, type IdentityConfig } from './identity-config.js';
import { IdentityStore } from './identity-store.js';

export interface IdentityOptions {
  /** URL the sandbox listens at, such as http://127.0.0.1:41234; issuers are built from it. */
  baseUrl: string;
  /** State directory; tenants, users, clients and signing keys are kept in `identity-state.json` there. */
  stateDir: string;
  log: Logger;
}

/**
 * Mounts the Entra-like issuers (`/entra/`), the Graph stand-in (`/graph/`), the Google-like issuer and
 * Directory API (`/google/`) and the admin API (`/_sandbox/identity/`), loading or seeding the identity state.
 * Returns the `identity` section of sandbox.json as it is at start-up.
 */
export function mountIdentityProviders(router: Router, options: IdentityOptions): IdentityConfig {
  const baseUrl = options.baseUrl.replace(/\/$/, '');
  const store = IdentityStore.open(options.stateDir);
  const entra = new EntraIssuers(baseUrl, store, options.log);
  const google = new GoogleIssuer(`${baseUrl}${GOOGLE_PATH}`, store, options.log);

  router.mount('/entra/', (request, body, response) => entra.handle(request, body, response));
  router.mount('/graph/', (request, _body, response) => handleGraphRequest(entra, request, response));
  router.mount(`${GOOGLE_PATH}/`, (request, body, response) => google.handle(request, body, response));
  router.mount(`${ADMIN_PATH}/`, (request, body, response) =>
    handleAdminRequest(baseUrl, store, options.log, request, body, response),
  );
  options.log.info(
    { baseUrl, tenants: store.state.entraTenants.length, googleAccounts: store.state.googleAccounts.length },
    'identity providers mounted',
  );
  return buildIdentityConfig(baseUrl, store);
}

/** The identity providers as a sandbox stand-in; its sandbox.json section is `identity`. */
export const identityStandIn: StandIn = {
  name: 'identity',
  mount: (router, context) => mountIdentityProviders(router, context),
};
