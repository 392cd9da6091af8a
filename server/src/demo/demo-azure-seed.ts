import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Kysely } from 'kysely';
import { hashPassword } from '../auth/passwords.js';
import { insertBackupSet } from '../backup-sets/backup-sets-dal.js';
import { insertCompany } from '../companies/companies-dal.js';
import type { Database } from '../db/schema.js';
import { AzureKeyVaultKeyProvider } from '../providers/azure-key-vault/azure-key-vault-provider.js';
import type { ProviderRegistry } from '../providers/provider-registry.js';
import { insertUser } from '../users/users-dal.js';
import type { DemoCredentials, DemoUser } from './demo-seed.js';

/** The demo company that starts on Azure Key Vault, with its fixed ids. */
export const azureDemo = {
  companyId: '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000103',
  companyName: 'Woodgrove Bank',
  adminEmail: 'admin@woodgrove.example',
  backupSetName: 'Woodgrove Microsoft 365',
  tenant: { tenantId: '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a05', domain: 'woodgrove.example' },
} as const;

/** The parts of the sandbox's sandbox.json that name the demo customer's Azure app and key. */
interface SandboxAzureDemo {
  vaultUrl: string;
  tenantId: string;
  demo: { app: { clientId: string; clientSecret: string }; key: { name: string } };
}

export interface AzureDemoDeps {
  companyKeys: { ensureCompanyKey(companyId: string): Promise<number> };
  providers: ProviderRegistry;
  /** Writes the credentials file before any data, so a committed user always has its password on disk. */
  writeCredentials(credentials: DemoCredentials): void;
}

export type AzureDemoOutcome =
  | { created: boolean; credentials: DemoCredentials }
  | { created: false; credentials: DemoCredentials; skipped: string };

/**
 * Reads the demo customer from sandbox.json. Raises when the file lacks it (a sandbox older than the
 * demo customer) or when the vault is not on the loopback address, so the demo never aims at a real vault.
 */
function readSandboxAzureDemo(sandboxFile: string): SandboxAzureDemo {
  const sandbox = JSON.parse(fs.readFileSync(sandboxFile, 'utf8')) as { azure?: Partial<SandboxAzureDemo> };
  const azure = sandbox.azure;
  if (!azure?.vaultUrl || !azure.tenantId || !azure.demo?.app?.clientSecret || !azure.demo.key?.name) {
    throw new Error(
      `${sandboxFile} names no Azure demo customer (azure.demo); restart the sandbox with this version of redapp-sandbox.`,
    );
  }
  const host = new URL(azure.vaultUrl).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') {
    throw new Error(
      `The Azure demo company is seeded only against the local sandbox; ${sandboxFile} names vault ${azure.vaultUrl}.`,
    );
  }
  return azure as SandboxAzureDemo;
}

/**
 * Seeds the demo company already on Azure Key Vault in the sandbox: the company with its admin user and
 * one backup set, and its first company key wrapped by the vault key. Its provider configuration is
 * stored as Save stores it, with the key version pinned by a passed connection test and the client
 * secret sealed. It runs only with a sandbox file. When the company exists it only creates a missing
 * company key.
 */
export async function seedAzureDemo(
  db: Kysely<Database>,
  partnerId: string,
  sandboxFile: string | undefined,
  credentials: DemoCredentials,
  deps: AzureDemoDeps,
): Promise<AzureDemoOutcome> {
  const existing = await db
    .selectFrom('companies')
    .select('id')
    .where('id', '=', azureDemo.companyId)
    .executeTakeFirst();
  if (existing) {
    // A start that stopped after the commit but before the company key left the company without one.
    await deps.companyKeys.ensureCompanyKey(azureDemo.companyId);
    return { created: false, credentials };
  }
  if (!sandboxFile) {
    return { created: false, credentials, skipped: 'the server is not configured for the sandbox' };
  }

  const sandbox = readSandboxAzureDemo(sandboxFile);
  const provider = await deps.providers.create('azure-key-vault', {
    vaultUrl: sandbox.vaultUrl,
    keyName: sandbox.demo.key.name,
    tenantId: sandbox.tenantId,
    clientId: sandbox.demo.app.clientId,
    clientSecret: sandbox.demo.app.clientSecret,
  });
  if (!(provider instanceof AzureKeyVaultKeyProvider))
    throw new Error('The azure-key-vault provider type is not registered as Azure Key Vault.');
  // As at Save: the test pins the key's current version, and the stored form seals the client secret.
  await provider.testConnection();
  const providerConfig = await provider.storedConfig();

  const admin: DemoUser = {
    email: azureDemo.adminEmail,
    role: 'company_admin',
    company: azureDemo.companyName,
    password: randomBytes(12).toString('base64url'),
  };
  const updated: DemoCredentials = {
    users: [...credentials.users.filter((user) => user.email !== admin.email), admin],
  };
  const passwordHash = await hashPassword(admin.password);
  deps.writeCredentials(updated);

  await db.transaction().execute(async (trx) => {
    await insertCompany(trx, partnerId, azureDemo.companyName, azureDemo.companyId);
    await trx
      .updateTable('companies')
      .set({ provider_type: 'azure-key-vault', provider_config: JSON.stringify(providerConfig) })
      .where('id', '=', azureDemo.companyId)
      .execute();
    await insertUser(trx, {
      email: admin.email,
      displayName: admin.email.split('@')[0]!,
      passwordHash,
      role: admin.role,
      partnerId: partnerId,
      companyId: azureDemo.companyId,
    });
    await insertBackupSet(trx, {
      companyId: azureDemo.companyId,
      kind: 'microsoft365',
      tenantId: azureDemo.tenant.tenantId,
      primaryDomain: azureDemo.tenant.domain,
      name: azureDemo.backupSetName,
    });
  });
  await deps.companyKeys.ensureCompanyKey(azureDemo.companyId);
  return { created: true, credentials: updated };
}
