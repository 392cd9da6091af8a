import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStateFile } from '../state-file.js';

const STATE_FILE = 'azure-state.json';

/** Key Vault key operations that role assignments grant, named as the Key Vault REST API names them. */
export const keyActions = ['get', 'create', 'update', 'wrapKey', 'unwrapKey', 'encrypt', 'decrypt'] as const;
export type KeyAction = (typeof keyActions)[number];

/** The Azure RBAC data action behind each operation, as Key Vault's 403 messages name it. */
export const dataActions: Record<KeyAction, string> = {
  get: 'Microsoft.KeyVault/vaults/keys/read',
  create: 'Microsoft.KeyVault/vaults/keys/create/action',
  update: 'Microsoft.KeyVault/vaults/keys/update/action',
  wrapKey: 'Microsoft.KeyVault/vaults/keys/wrap/action',
  unwrapKey: 'Microsoft.KeyVault/vaults/keys/unwrap/action',
  encrypt: 'Microsoft.KeyVault/vaults/keys/encrypt/action',
  decrypt: 'Microsoft.KeyVault/vaults/keys/decrypt/action',
};

/** Built-in Azure roles for Key Vault keys, reduced to the key operations this stand-in serves. */
export const builtInRoles: Record<string, KeyAction[]> = {
  'Key Vault Crypto Officer': [...keyActions],
  'Key Vault Crypto User': ['get', 'update', 'wrapKey', 'unwrapKey', 'encrypt', 'decrypt'],
  'Key Vault Crypto Service Encryption User': ['get', 'wrapKey', 'unwrapKey'],
  'Key Vault Reader': ['get'],
};

export const keyTypes = ['RSA', 'RSA-HSM', 'EC', 'EC-HSM', 'oct-HSM'] as const;
export type KeyType = (typeof keyTypes)[number];

export interface KeyVersionRecord {
  /** 32 lowercase hex digits, as Key Vault writes versions. */
  version: string;
  kty: KeyType;
  /** RSA modulus length in bits; absent for EC and oct keys. */
  keySize?: number;
  /** EC curve name, such as P-256. */
  crv?: string;
  /** PKCS#8 PEM of an RSA or EC key; base64 of the raw bytes of an oct key. */
  privateKey: string;
  keyOps: string[];
  enabled: boolean;
  /** Not-before and expiry in Unix seconds, as Key Vault's `nbf` and `exp` attributes. */
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

export interface KeyRecord {
  name: string;
  /** Oldest first; the last one is the current version. */
  versions: KeyVersionRecord[];
}

export interface AppRegistration {
  clientId: string;
  clientSecret: string;
  displayName: string;
}

export interface RoleAssignment {
  id: string;
  clientId: string;
  /** Key name for a key-scoped assignment; absent for the whole vault. */
  keyName?: string;
  /** Built-in role name, or `custom` for an assignment that lists its actions. */
  role: string;
  actions: KeyAction[];
}

export interface AzureState {
  formatVersion: 1;
  tenantId: string;
  /** Secret for the HMAC of the sandbox's access tokens (base64). */
  tokenSigningKey: string;
  vaultName: string;
  /** Port of the HTTPS listener, reused across restarts so saved vault URLs stay valid. */
  tlsPort?: number;
  apps: AppRegistration[];
  keys: KeyRecord[];
  roleAssignments: RoleAssignment[];
  /** The app registration and key of the RedApp demo company that starts on Azure Key Vault. */
  demo?: { clientId: string; keyName: string };
}

/** A request the admin API rejects, with the HTTP status to send. */
export class AzureInputError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface CreateKeyInput {
  name: string;
  kty: KeyType;
  keySize?: number;
  enabled?: boolean;
  nbf?: number;
  exp?: number;
}

export const SEEDED_KEY_NAME = 'cybersentriq-company-key';
/** The key of the RedApp demo company on Azure Key Vault, apart from the seeded key that tests may change. */
export const DEMO_KEY_NAME = 'woodgrove-company-key';
const keyNamePattern = /^[0-9A-Za-z-]{1,127}$/;
const nowSeconds = () => Math.floor(Date.now() / 1000);

function newSecret(): string {
  // Entra client secrets are 40 characters from a URL-safe alphabet with a few symbols.
  return randomBytes(30).toString('base64url');
}

function generateKeyMaterial(
  kty: KeyType,
  keySize: number | undefined,
): Omit<KeyVersionRecord, 'version' | 'enabled' | 'created' | 'updated'> {
  if (kty === 'RSA' || kty === 'RSA-HSM') {
    const size = keySize ?? 2048;
    // NOTE: Key Vault creates RSA keys of 2048, 3072 or 4096 bits; 1024 stands for an imported legacy key.
    if (![1024, 2048, 3072, 4096].includes(size))
      throw new AzureInputError(400, `Invalid keySize ${size}: expected 2048, 3072 or 4096 (or 1024).`);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: size });
    return {
      kty,
      keySize: size,
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      keyOps: ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'],
    };
  }
  if (kty === 'EC' || kty === 'EC-HSM') {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return {
      kty,
      crv: 'P-256',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      keyOps: ['sign', 'verify'],
    };
  }
  return {
    kty,
    privateKey: randomBytes(32).toString('base64'),
    keyOps: ['wrapKey', 'unwrapKey', 'encrypt', 'decrypt'],
  };
}

/**
 * Holds the Entra tenant, app registrations, the vault's keys and role assignments in memory, and
 * writes them to `DIR/azure-state.json` (mode 0600, through a temporary file and a rename) after each change.
 */
export class AzureStore {
  private constructor(
    readonly state: AzureState,
    private readonly stateDir: string,
  ) {}

  /** Loads the state from `stateDir`, or seeds and saves a new one when the directory has none. */
  static open(stateDir: string): AzureStore {
    const state = readStateFile<AzureState>(stateDir, STATE_FILE, 'Azure state');
    if (state !== undefined) {
      const store = new AzureStore(state, stateDir);
      // A state saved before the demo customer existed gets it on its next start.
      store.#ensureDemoCustomer();
      return store;
    }

    const store = new AzureStore(
      {
        formatVersion: 1,
        tenantId: randomUUID(),
        tokenSigningKey: randomBytes(32).toString('base64'),
        vaultName: 'contoso-backup-kv',
        apps: [],
        keys: [],
        roleAssignments: [],
      },
      stateDir,
    );
    // The seeded customer: one app registration with the least role that wrapping needs, on one RSA key.
    const app = store.addApp('RedApp key access');
    store.createKey({ name: SEEDED_KEY_NAME, kty: 'RSA', keySize: 2048 });
    store.assignRole({
      clientId: app.clientId,
      keyName: SEEDED_KEY_NAME,
      role: 'Key Vault Crypto Service Encryption User',
    });
    store.#ensureDemoCustomer();
    return store;
  }

  /**
   * Creates the demo customer's app registration, RSA key and role assignment once. A state that has
   * them keeps them as they are, so a key disabled or an assignment removed through the admin API stays
   * that way across restarts.
   */
  #ensureDemoCustomer(): void {
    if (this.state.demo) return;
    const app = this.addApp('Woodgrove Bank key access');
    if (!this.findKey(DEMO_KEY_NAME)) this.createKey({ name: DEMO_KEY_NAME, kty: 'RSA', keySize: 2048 });
    this.assignRole({
      clientId: app.clientId,
      keyName: DEMO_KEY_NAME,
      role: 'Key Vault Crypto Service Encryption User',
    });
    this.state.demo = { clientId: app.clientId, keyName: DEMO_KEY_NAME };
    this.save();
  }

  save(): void {
    mkdirSync(this.stateDir, { recursive: true });
    const target = join(this.stateDir, STATE_FILE);
    const temporary = `${target}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.state, null, 2), { mode: 0o600 });
    renameSync(temporary, target);
  }

  findApp(clientId: string): AppRegistration | undefined {
    const normalized = clientId.toLowerCase();
    return this.state.apps.find((app) => app.clientId === normalized);
  }

  findKey(name: string): KeyRecord | undefined {
    const normalized = name.toLowerCase();
    return this.state.keys.find((key) => key.name.toLowerCase() === normalized);
  }

  /** Returns the named version, or the current one when `version` is empty. */
  findKeyVersion(name: string, version: string): KeyVersionRecord | undefined {
    const key = this.findKey(name);
    if (!key) return undefined;
    if (version === '') return key.versions.at(-1);
    return key.versions.find((candidate) => candidate.version === version.toLowerCase());
  }

  addApp(displayName: string): AppRegistration {
    const app = { clientId: randomUUID(), clientSecret: newSecret(), displayName };
    this.state.apps.push(app);
    this.save();
    return app;
  }

  /** Creates the key, or a new current version when a key of that name exists. */
  createKey(input: CreateKeyInput): { key: KeyRecord; version: KeyVersionRecord } {
    if (!keyNamePattern.test(input.name))
      throw new AzureInputError(
        400,
        `Invalid key name ${JSON.stringify(input.name)}: use 1 to 127 letters, digits or dashes.`,
      );
    if (!keyTypes.includes(input.kty))
      throw new AzureInputError(
        400,
        `Invalid kty ${JSON.stringify(input.kty)}: expected one of ${keyTypes.join(', ')}.`,
      );

    const now = nowSeconds();
    const version: KeyVersionRecord = {
      version: randomBytes(16).toString('hex'),
      ...generateKeyMaterial(input.kty, input.keySize),
      enabled: input.enabled ?? true,
      ...(input.nbf === undefined ? {} : { nbf: input.nbf }),
      ...(input.exp === undefined ? {} : { exp: input.exp }),
      created: now,
      updated: now,
    };
    let key = this.findKey(input.name);
    if (!key) {
      key = { name: input.name, versions: [] };
      this.state.keys.push(key);
    }
    key.versions.push(version);
    this.save();
    return { key, version };
  }

  /** Sets `enabled`, `nbf` and `exp` of one version (the current one when `version` is empty); null clears a date. */
  updateKey(
    name: string,
    version: string,
    changes: { enabled?: boolean; nbf?: number | null; exp?: number | null },
  ): KeyVersionRecord | undefined {
    const record = this.findKeyVersion(name, version);
    if (!record) return undefined;
    if (changes.enabled !== undefined) record.enabled = changes.enabled;
    for (const field of ['nbf', 'exp'] as const) {
      const value = changes[field];
      if (value === null) delete record[field];
      else if (value !== undefined) record[field] = value;
    }
    record.updated = nowSeconds();
    this.save();
    return record;
  }

  /** Adds a role assignment: a built-in role by name, or `actions` for a custom role. */
  assignRole(input: {
    clientId: string;
    keyName?: string;
    role?: string;
    actions?: string[];
  }): RoleAssignment {
    const app = this.findApp(input.clientId);
    if (!app) throw new AzureInputError(404, `No app registration with client id ${input.clientId}.`);
    if (input.keyName !== undefined && !this.findKey(input.keyName))
      throw new AzureInputError(
        404,
        `No key named ${input.keyName} in the vault to scope the assignment to.`,
      );

    let role: string;
    let actions: KeyAction[];
    if (input.actions !== undefined) {
      const unknown = input.actions.filter((action) => !(keyActions as readonly string[]).includes(action));
      if (unknown.length > 0)
        throw new AzureInputError(
          400,
          `Unknown actions ${unknown.join(', ')}: expected some of ${keyActions.join(', ')}.`,
        );
      role = 'custom';
      actions = input.actions as KeyAction[];
    } else {
      const builtIn = input.role === undefined ? undefined : builtInRoles[input.role];
      if (!builtIn)
        throw new AzureInputError(
          400,
          `Unknown role ${String(input.role)}: expected one of ${Object.keys(builtInRoles).join(', ')}, or send actions.`,
        );
      role = input.role!;
      actions = builtIn;
    }

    const assignment: RoleAssignment = {
      id: randomUUID(),
      clientId: app.clientId,
      ...(input.keyName === undefined ? {} : { keyName: this.findKey(input.keyName)!.name }),
      role,
      actions,
    };
    this.state.roleAssignments.push(assignment);
    this.save();
    return assignment;
  }

  removeRoleAssignment(id: string): boolean {
    const before = this.state.roleAssignments.length;
    this.state.roleAssignments = this.state.roleAssignments.filter((assignment) => assignment.id !== id);
    if (this.state.roleAssignments.length === before) return false;
    this.save();
    return true;
  }

  /** Whether an app may run `action` on the key, through a vault-scoped or key-scoped assignment. */
  isAllowed(clientId: string, keyName: string, action: KeyAction): boolean {
    const normalized = keyName.toLowerCase();
    return this.state.roleAssignments.some(
      (assignment) =>
        assignment.clientId === clientId &&
        (assignment.keyName === undefined || assignment.keyName.toLowerCase() === normalized) &&
        assignment.actions.includes(action),
    );
  }

  /** Whether an app has `action` on the whole vault, so it may learn that a key does not exist. */
  isAllowedOnVault(clientId: string, action: KeyAction): boolean {
    return this.state.roleAssignments.some(
      (assignment) =>
        assignment.clientId === clientId &&
        assignment.keyName === undefined &&
        assignment.actions.includes(action),
    );
  }
}
