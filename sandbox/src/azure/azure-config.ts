import { type AzureStore, type KeyRecord, SEEDED_KEY_NAME } from './azure-state.js';
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
  /**
   * The customer of the RedApp demo company already on Azure Key Vault: its own app registration with the
   * Key Vault Crypto Service Encryption User role on its own RSA 2048 key, created once per state directory.
   */
  demo: {
    app: { clientId: string; clientSecret: string; displayName: string };
    key: { name: string; keyId: string };
  };
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
  const currentKeyId = (key: KeyRecord | undefined, name: string) =>
    `${origin}/keys/${name}/${key?.versions.at(-1)?.version ?? ''}`;
  const demo = store.state.demo!;
  const demoApp = store.findApp(demo.clientId)!;
  return {
    tenantId: store.state.tenantId,
    authorityHost: `${origin}${ENTRA_PATH}`,
    vaultUrl: origin,
    vaultName: store.state.vaultName,
    caCertPath,
    app: { clientId: app.clientId, clientSecret: app.clientSecret, displayName: app.displayName },
    key: { name: SEEDED_KEY_NAME, keyId: currentKeyId(store.findKey(SEEDED_KEY_NAME), SEEDED_KEY_NAME) },
    demo: {
      app: {
        clientId: demoApp.clientId,
        clientSecret: demoApp.clientSecret,
        displayName: demoApp.displayName,
      },
      key: { name: demo.keyName, keyId: currentKeyId(store.findKey(demo.keyName), demo.keyName) },
    },
    adminEndpoint: `${baseUrl}${AZURE_ADMIN_PATH}`,
  };
}
