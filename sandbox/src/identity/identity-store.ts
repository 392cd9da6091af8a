import { generateKeyPairSync, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStateFile } from '../state-file.js';
import type {
  EntraRole,
  EntraTenant,
  EntraUser,
  GoogleAccount,
  GoogleRole,
  GoogleUser,
  IdentityState,
} from './identity-types.js';

const STATE_FILE = 'identity-state.json';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i;
const GOOGLE_CUSTOMER_ID = /^C[0-9a-z]{6,12}$/i;

/** Tenants seeded on the first start; they match the RedApp demo data. */
const SEEDED_ENTRA_TENANTS: Array<{ tenantId: string; domain: string }> = [
  { tenantId: '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a01', domain: 'contoso.example' },
  { tenantId: '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a02', domain: 'research.contoso.example' },
  { tenantId: '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a03', domain: 'fabrikam.example' },
  { tenantId: '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a04', domain: 'tailspin.example' },
  { tenantId: '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a05', domain: 'woodgrove.example' },
];
const SEEDED_GOOGLE_ACCOUNTS: Array<{ customerId: string; domain: string }> = [
  { customerId: 'C03az79cb', domain: 'contoso-mail.example' },
];

const ENTRA_SEED_USERS: Array<{ localPart: string; displayName: string; role: EntraRole }> = [
  { localPart: 'globaladmin', displayName: 'Global Admin', role: 'global_admin' },
  { localPart: 'privroleadmin', displayName: 'Privileged Role Admin', role: 'privileged_role_admin' },
  { localPart: 'cloudappadmin', displayName: 'Cloud Application Admin', role: 'cloud_application_admin' },
  { localPart: 'user', displayName: 'Plain User', role: 'user' },
];
const GOOGLE_SEED_USERS: Array<{ localPart: string; displayName: string; role: GoogleRole }> = [
  { localPart: 'superadmin', displayName: 'Super Admin', role: 'super_admin' },
  { localPart: 'delegatedadmin', displayName: 'Delegated Admin', role: 'delegated_admin' },
  { localPart: 'user', displayName: 'Plain User', role: 'user' },
];

/** Error for an admin API request that cannot be applied; `status` is the HTTP status of the response. */
export class IdentityInputError extends Error {
  constructor(
    readonly status: 400 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'IdentityInputError';
  }
}

/**
 * Holds tenants, Google accounts, users, OAuth clients and keys in memory, and writes them to
 * `DIR/identity-state.json` (mode 0600, through a temporary file and a rename) after each change.
 */
export class IdentityStore {
  private constructor(
    readonly state: IdentityState,
    private readonly stateDir: string,
  ) {}

  /** Loads the state from `stateDir`, or seeds and saves a new one when the directory has none. */
  static open(stateDir: string): IdentityStore {
    const state = readStateFile<IdentityState>(stateDir, STATE_FILE, 'identity state');
    if (state !== undefined) {
      const store = new IdentityStore(state, stateDir);
      // A state saved before a tenant joined the seed list gets that tenant on its next start.
      for (const tenant of SEEDED_ENTRA_TENANTS) {
        if (!store.findEntraTenant(tenant.tenantId)) store.addEntraTenant(tenant.tenantId, tenant.domain);
      }
      return store;
    }

    const store = new IdentityStore(seedState(), stateDir);
    for (const tenant of SEEDED_ENTRA_TENANTS) store.addEntraTenant(tenant.tenantId, tenant.domain);
    for (const account of SEEDED_GOOGLE_ACCOUNTS) store.addGoogleAccount(account.customerId, account.domain);
    store.save();
    return store;
  }

  save(): void {
    mkdirSync(this.stateDir, { recursive: true });
    const target = join(this.stateDir, STATE_FILE);
    const temporary = `${target}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.state, null, 2), { mode: 0o600 });
    renameSync(temporary, target);
  }

  findEntraTenant(tenantId: string): EntraTenant | undefined {
    const normalized = tenantId.toLowerCase();
    return this.state.entraTenants.find((tenant) => tenant.tenantId === normalized);
  }

  findEntraUser(tenantId: string, objectId: string): EntraUser | undefined {
    return this.findEntraTenant(tenantId)?.users.find((user) => user.objectId === objectId);
  }

  findGoogleAccount(customerId: string): GoogleAccount | undefined {
    return this.state.googleAccounts.find((account) => account.customerId === customerId);
  }

  /** Finds a Google user by primary email (case-insensitive) or by numeric id, as `users.get` accepts both. */
  findGoogleUser(userKey: string): { account: GoogleAccount; user: GoogleUser } | undefined {
    const key = userKey.toLowerCase();
    for (const account of this.state.googleAccounts) {
      const user = account.users.find((candidate) => candidate.username === key || candidate.id === key);
      if (user) return { account, user };
    }
    return undefined;
  }

  /**
   * Adds an Entra tenant with one user per seeded role and saves the state. Adding a tenant id again with the
   * same domain returns the existing tenant, so callers may repeat the request.
   */
  addEntraTenant(tenantId: string, domain: string): { tenant: EntraTenant; created: boolean } {
    if (!GUID.test(tenantId))
      throw new IdentityInputError(400, `invalid tenantId ${tenantId}: expected a GUID`);
    if (!DOMAIN.test(domain))
      throw new IdentityInputError(400, `invalid domain ${domain}: expected a DNS name`);
    const normalizedDomain = domain.toLowerCase();

    const existing = this.findEntraTenant(tenantId);
    if (existing && existing.domain !== normalizedDomain) {
      throw new IdentityInputError(
        409,
        `tenant ${tenantId} already exists with domain ${existing.domain}; add it with that domain or pick a new tenant id`,
      );
    }
    if (existing) return { tenant: existing, created: false };

    const tenant: EntraTenant = {
      tenantId: tenantId.toLowerCase(),
      domain: normalizedDomain,
      users: ENTRA_SEED_USERS.map((seed) => ({
        objectId: randomUUID(),
        username: `${seed.localPart}@${normalizedDomain}`,
        displayName: seed.displayName,
        password: generatePassword(),
        role: seed.role,
      })),
    };
    this.state.entraTenants.push(tenant);
    this.save();
    return { tenant, created: true };
  }

  /**
   * Adds a Google Workspace account with one user per seeded role and saves the state. Adding a customer id
   * again with the same domain returns the existing account. Primary emails sign in at one shared issuer, so
   * a domain may belong to one account only.
   */
  addGoogleAccount(customerId: string, domain: string): { account: GoogleAccount; created: boolean } {
    if (!GOOGLE_CUSTOMER_ID.test(customerId)) {
      throw new IdentityInputError(
        400,
        `invalid customerId ${customerId}: expected C followed by 6 to 12 letters or digits`,
      );
    }
    if (!DOMAIN.test(domain))
      throw new IdentityInputError(400, `invalid domain ${domain}: expected a DNS name`);
    const normalizedDomain = domain.toLowerCase();

    const existing = this.findGoogleAccount(customerId);
    if (existing && existing.domain !== normalizedDomain) {
      throw new IdentityInputError(
        409,
        `Google account ${customerId} already exists with domain ${existing.domain}; add it with that domain or pick a new customer id`,
      );
    }
    if (existing) return { account: existing, created: false };
    const owner = this.state.googleAccounts.find((account) => account.domain === normalizedDomain);
    if (owner) {
      throw new IdentityInputError(
        409,
        `domain ${normalizedDomain} already belongs to Google account ${owner.customerId}; pick another domain`,
      );
    }

    const account: GoogleAccount = {
      customerId,
      domain: normalizedDomain,
      users: GOOGLE_SEED_USERS.map((seed) => ({
        id: generateGoogleUserId(),
        username: `${seed.localPart}@${normalizedDomain}`,
        displayName: seed.displayName,
        password: generatePassword(),
        role: seed.role,
      })),
    };
    this.state.googleAccounts.push(account);
    this.save();
    return { account, created: true };
  }
}

function seedState(): IdentityState {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };
  return {
    formatVersion: 1,
    signingKeys: [signingKey],
    cookieKeys: [randomBytes(32).toString('base64url')],
    clients: {
      entra: { clientId: 'redapp-entra', clientSecret: randomBytes(24).toString('base64url') },
      entraWithoutWids: {
        clientId: 'redapp-entra-nowids',
        clientSecret: randomBytes(24).toString('base64url'),
      },
      google: { clientId: 'redapp-google', clientSecret: randomBytes(24).toString('base64url') },
    },
    entraTenants: [],
    googleAccounts: [],
  };
}

/** Passwords are test credentials listed in sandbox.json; the prefix keeps them recognisable. */
function generatePassword(): string {
  return `Sandbox-${randomBytes(12).toString('base64url')}`;
}

/** Google user ids are 21-digit decimal strings. */
function generateGoogleUserId(): string {
  let id = String(randomInt(1, 10));
  while (id.length < 21) id += String(randomInt(0, 10));
  return id;
}
