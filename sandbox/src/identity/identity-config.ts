import type { IdentityStore } from './identity-store.js';
import type {
  EntraRole,
  EntraTenant,
  GoogleAccount,
  GoogleRole,
  OAuthClientRecord,
} from './identity-types.js';

export interface IdentityUserConfig<Role> {
  username: string;
  password: string;
  role: Role;
}

export interface EntraTenantConfig {
  tenantId: string;
  domain: string;
  /** `authorityTemplate` with this tenant's id filled in; the issuer of its ID tokens. */
  issuer: string;
  users: Array<IdentityUserConfig<EntraRole> & { objectId: string }>;
}

export interface GoogleAccountConfig {
  customerId: string;
  domain: string;
  users: Array<IdentityUserConfig<GoogleRole> & { id: string }>;
}

/** The `identity` section of sandbox.json. */
export interface IdentityConfig {
  entra: {
    /** Issuer of a tenant: replace `{tenantId}` with the tenant's id. */
    authorityTemplate: string;
    graphEndpoint: string;
    clients: {
      /** Its ID tokens carry `wids`. */
      withDirectoryRoles: OAuthClientRecord;
      /** Its ID tokens carry no `wids`; roles come from Graph. */
      withoutDirectoryRoles: OAuthClientRecord;
    };
    tenants: EntraTenantConfig[];
  };
  google: {
    issuer: string;
    directoryEndpoint: string;
    clients: { default: OAuthClientRecord };
    accounts: GoogleAccountConfig[];
  };
  /** Endpoint of the admin API that adds tenants and Google accounts at run time. */
  adminEndpoint: string;
}

export function entraTenantConfig(baseUrl: string, tenant: EntraTenant): EntraTenantConfig {
  return {
    tenantId: tenant.tenantId,
    domain: tenant.domain,
    issuer: `${baseUrl}/entra/${tenant.tenantId}/v2.0`,
    users: tenant.users.map((user) => ({
      username: user.username,
      password: user.password,
      role: user.role,
      objectId: user.objectId,
    })),
  };
}

export function googleAccountConfig(account: GoogleAccount): GoogleAccountConfig {
  return {
    customerId: account.customerId,
    domain: account.domain,
    users: account.users.map((user) => ({
      username: user.username,
      password: user.password,
      role: user.role,
      id: user.id,
    })),
  };
}

export function buildIdentityConfig(baseUrl: string, store: IdentityStore): IdentityConfig {
  const { clients } = store.state;
  return {
    entra: {
      authorityTemplate: `${baseUrl}/entra/{tenantId}/v2.0`,
      graphEndpoint: `${baseUrl}/graph/v1.0`,
      clients: {
        withDirectoryRoles: { ...clients.entra },
        withoutDirectoryRoles: { ...clients.entraWithoutWids },
      },
      tenants: store.state.entraTenants.map((tenant) => entraTenantConfig(baseUrl, tenant)),
    },
    google: {
      issuer: `${baseUrl}/google`,
      directoryEndpoint: `${baseUrl}/google/admin/directory/v1`,
      clients: { default: { ...clients.google } },
      accounts: store.state.googleAccounts.map(googleAccountConfig),
    },
    adminEndpoint: `${baseUrl}/_sandbox/identity`,
  };
}
