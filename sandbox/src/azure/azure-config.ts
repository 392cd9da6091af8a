import { type AzureStore, SEEDED_KEY_NAME } from './azure-state.js';
import { ENTRA_PATH } from './entra-token-endpoint.js';

/** The `azure` section of sandbox.json. */
export interface AzureSandboxConfig {
  /** The Entra tenant that owns the vault and the app registrations. */
  tenantId: string;
  /** `authorityHost` for `@azure/identity` credentials: tokens come from `{authorityHost}/{tenantId}/oauth2/v2.0/token`. */
  authorityHost: string;
  /** The vault's URL; key ids are `{vaultUrl}/keys/{name}/{version}`. */
  vaultUrl: string;
  vaultName: string;
  /** PEM file of the CA that issued the HTTPS listener's certificate; trust it for the sandbox only. */
  caCertPath: string;
  /** The seeded app registration, with the Key Vault Crypto Service Encryption User role on the seeded key. */
  app: { clientId: string; clientSecret: string; displayName: string };
  /** The seeded RSA 2048 key, at its current version. */
  key: { name: string; keyId: string };
  /** Base URL of the admin API (plain HTTP on the sandbox's main port). */
  adminEndpoint: string;
}

export const AZURE_ADMIN_PATH = '/_sandbox/azure';

export function buildAzureConfig(
  store: AzureStore,
  origin: string,
  caCertPath: string,
  baseUrl: string,
): AzureSandboxConfig {
  const app = store.state.apps[0]!;
  const key = store.findKey(SEEDED_KEY_NAME);
  const version = key?.versions.at(-1)?.version ?? '';
  return {
    tenantId: store.state.tenantId,
    authorityHost: `${origin}${ENTRA_PATH}`,
    vaultUrl: origin,
    vaultName: store.state.vaultName,
    caCertPath,
    app: { clientId: app.clientId, clientSecret: app.clientSecret, displayName: app.displayName },
    key: { name: SEEDED_KEY_NAME, keyId: `${origin}/keys/${SEEDED_KEY_NAME}/${version}` },
    adminEndpoint: `${baseUrl}${AZURE_ADMIN_PATH}`,
  };
}
