import fs from 'node:fs';
import type { AzurePlatformSettings } from '../../src/providers/azure-key-vault/azure-clients.js';
import type { AzureKeyVaultConfig } from '../../src/providers/azure-key-vault/azure-key-vault-config.js';
import type { SandboxFile } from '../support/sandbox-process.js';

/** The `azure` section of sandbox.json. */
export interface SandboxAzure {
  tenantId: string;
  authorityHost: string;
  vaultUrl: string;
  caCertPath: string;
  app: { clientId: string; clientSecret: string };
  key: { name: string; keyId: string };
  adminEndpoint: string;
}

export interface AppRegistration {
  clientId: string;
  clientSecret: string;
}

/**
 * What a customer's Azure admin does in the portal, through the sandbox's admin API: register an app,
 * create a key, change its state and assign roles, or get one detail wrong on purpose. There are no
 * fault switches: every failure case is a real setup.
 */
export class CustomerAzure {
  readonly azure: SandboxAzure;
  #keyCount = 0;

  constructor(sandbox: SandboxFile) {
    this.azure = (sandbox as unknown as { azure: SandboxAzure }).azure;
  }

  /** Settings as the server builds them from sandbox.json, with no retries so failures are fast. */
  settings(overrides: Partial<AzurePlatformSettings> = {}): AzurePlatformSettings {
    return {
      authorityHost: this.azure.authorityHost,
      sandboxCaPem: fs.readFileSync(this.azure.caCertPath, 'utf8'),
      maxRetries: 0,
      ...overrides,
    };
  }

  async #admin<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.azure.adminEndpoint}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`sandbox admin ${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  newApp(): Promise<AppRegistration> {
    return this.#admin('POST', '/apps', { displayName: 'RedApp key access' });
  }

  /** Creates a key with a unique name (or a new version of `name`) and returns its name and version. */
  createKey(
    options: {
      name?: string;
      kty?: string;
      keySize?: number;
      enabled?: boolean;
      exp?: string;
      nbf?: string;
    } = {},
  ): Promise<{ name: string; version: string; keyId: string }> {
    return this.#admin('POST', '/keys', {
      name: options.name ?? `company-key-${Date.now()}-${++this.#keyCount}`,
      kty: 'RSA',
      ...options,
    });
  }

  updateKey(
    name: string,
    changes: { enabled?: boolean; exp?: string | null; nbf?: string | null },
  ): Promise<unknown> {
    return this.#admin('PATCH', `/keys/${name}`, changes);
  }

  /** Assigns a built-in role, or a custom role of `actions`, on one key or (without keyName) the vault. */
  assign(
    clientId: string,
    options: { keyName?: string; role?: string; actions?: string[] },
  ): Promise<{ id: string }> {
    return this.#admin('POST', '/role-assignments', { clientId, ...options });
  }

  removeAssignment(id: string): Promise<unknown> {
    return this.#admin('DELETE', `/role-assignments/${id}`);
  }

  /** A new app with the least role wrapping needs on a new RSA key: the setup the docs describe. */
  async setUp(
    options: { kty?: string; keySize?: number; role?: string; actions?: string[] } = {},
  ): Promise<AzureKeyVaultConfig & { assignmentId: string }> {
    const app = await this.newApp();
    const key = await this.createKey({
      ...(options.kty ? { kty: options.kty } : {}),
      ...(options.keySize ? { keySize: options.keySize } : {}),
    });
    const assignment = await this.assign(app.clientId, {
      keyName: key.name,
      ...(options.actions
        ? { actions: options.actions }
        : { role: options.role ?? 'Key Vault Crypto Service Encryption User' }),
    });
    return {
      vaultUrl: this.azure.vaultUrl,
      keyName: key.name,
      tenantId: this.azure.tenantId,
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      assignmentId: assignment.id,
    };
  }
}
