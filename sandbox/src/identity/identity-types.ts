import type { JsonWebKey } from 'node:crypto';

/** Directory roles of an Entra tenant's seeded users, as sandbox.json names them. */
export type EntraRole = 'global_admin' | 'privileged_role_admin' | 'cloud_application_admin' | 'user';

/** Admin roles of a Google Workspace account's seeded users, as sandbox.json names them. */
export type GoogleRole = 'super_admin' | 'delegated_admin' | 'user';

/** Entra's built-in directory roles: template ids are the same in every tenant. */
export const ENTRA_DIRECTORY_ROLES: Record<
  Exclude<EntraRole, 'user'>,
  { roleTemplateId: string; displayName: string }
> = {
  global_admin: {
    roleTemplateId: '62e90394-69f5-4237-9190-012177145e10',
    displayName: 'Global Administrator',
  },
  privileged_role_admin: {
    roleTemplateId: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
    displayName: 'Privileged Role Administrator',
  },
  cloud_application_admin: {
    roleTemplateId: '158c047a-c907-4556-b7ef-446551a6b5f7',
    displayName: 'Cloud Application Administrator',
  },
};

/**
 * Template id of the "User" role that Entra puts in `wids` of every member user. It is not a directory role,
 * so Graph's directoryRole listing leaves it out.
 */
export const ENTRA_MEMBER_USER_TEMPLATE_ID = 'b79fbf4d-3ef9-4689-8143-76b194e85509';

export interface EntraUser {
  /** Object id (`oid`), a GUID. */
  objectId: string;
  /** User principal name, also the sign-in name (`preferred_username`). */
  username: string;
  displayName: string;
  password: string;
  role: EntraRole;
}

export interface EntraTenant {
  tenantId: string;
  domain: string;
  users: EntraUser[];
}

export interface GoogleUser {
  /** Google's numeric user id, also the ID token's `sub`. */
  id: string;
  /** Primary email, also the sign-in name. */
  username: string;
  displayName: string;
  password: string;
  role: GoogleRole;
}

export interface GoogleAccount {
  customerId: string;
  domain: string;
  users: GoogleUser[];
}

export interface OAuthClientRecord {
  clientId: string;
  clientSecret: string;
}

/** The content of DIR/identity-state.json. */
export interface IdentityState {
  formatVersion: 1;
  /** Private signing keys, shared by every issuer, so tokens stay verifiable across restarts. */
  signingKeys: JsonWebKey[];
  /** Keys that sign the providers' cookies. */
  cookieKeys: string[];
  clients: {
    entra: OAuthClientRecord;
    entraWithoutWids: OAuthClientRecord;
    google: OAuthClientRecord;
  };
  entraTenants: EntraTenant[];
  googleAccounts: GoogleAccount[];
}
