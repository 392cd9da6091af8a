import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { insertCompany, insertPartner } from '../../src/companies/companies-dal.js';
import { azureKeyHealthProbe } from '../../src/key-health/azure-key-probe.js';
import { KeyHealthChecker } from '../../src/key-health/key-health-checker.js';
import type { AzurePlatformSettings } from '../../src/providers/azure-key-vault/azure-clients.js';
import { azureKeyVaultProviderFactory } from '../../src/providers/azure-key-vault/azure-key-vault-factory.js';
import type { AzureKeyVaultKeyProvider } from '../../src/providers/azure-key-vault/azure-key-vault-provider.js';
import { LocalPlatformKeyProvider } from '../../src/providers/cybersentriq/local-provider.js';
import { MasterKeyFile } from '../../src/providers/cybersentriq/master-key-file.js';
import { ProviderRegistry } from '../../src/providers/provider-registry.js';
import { CustomerAzure } from '../azure-key-vault/customer-azure.js';
import { type RunningSandbox, startSandbox } from '../support/sandbox-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { capturedLogger, leakedSecrets } from './log-capture.js';

let sandbox: RunningSandbox;
let customer: CustomerAzure;
let settings: AzurePlatformSettings;
let platform: LocalPlatformKeyProvider;
let keyDirectory: string;
let registry: ProviderRegistry;
let database: TestDatabase;
let partnerId: string;
const logs = capturedLogger();
const clientSecrets: string[] = [];
let companyCount = 0;

beforeAll(async () => {
  sandbox = await startSandbox();
  customer = new CustomerAzure(sandbox.config);
  settings = customer.settings();
  keyDirectory = await mkdtemp(join(tmpdir(), 'redapp-azure-health-'));
  platform = new LocalPlatformKeyProvider(await MasterKeyFile.open(keyDirectory));
  registry = new ProviderRegistry().register(
    'azure-key-vault',
    azureKeyVaultProviderFactory(settings, async () => platform),
  );
  database = await createTestDatabase();
  partnerId = await insertPartner(database.db, 'Partner');
});
afterAll(async () => {
  await database?.close();
  await sandbox?.stop();
  await rm(keyDirectory, { recursive: true, force: true });
});

interface CompanyOnAzure {
  companyId: string;
  keyName: string;
  keyId: string;
  assignmentId: string;
}

/** Sets up an app, key and role assignment as the customer's admin would, and a company saved on that key. */
async function companyOnAzure(): Promise<CompanyOnAzure> {
  const setup = await customer.setUp();
  clientSecrets.push(setup.clientSecret);
  const companyId = await insertCompany(database.db, partnerId, `Azure company ${++companyCount}`);

  // Save's path: a passed connection test pins the key version, and the secret is stored sealed.
  const provider = (await registry.create('azure-key-vault', setup)) as AzureKeyVaultKeyProvider;
  const report = await provider.runConnectionTest({ companyId, companyKeyVersion: 1 });
  expect(report.error).toBeUndefined();
  const stored = await provider.storedConfig();
  await database.db
    .updateTable('companies')
    .set({ provider_type: 'azure-key-vault', provider_config: JSON.stringify(stored) })
    .where('id', '=', companyId)
    .execute();
  return { companyId, keyName: setup.keyName, keyId: report.keyId!, assignmentId: setup.assignmentId };
}

function checker(): KeyHealthChecker {
  return new KeyHealthChecker({
    db: database.db,
    probes: new Map([['azure-key-vault', azureKeyHealthProbe(settings, async () => platform)]]),
    intervalSeconds: 300,
    logger: logs.logger,
  });
}

/** Makes the company due now and runs one pass; returns the stored row. */
async function check(companyId: string) {
  await database.db
    .updateTable('key_health')
    .set({ next_check_at: new Date(Date.now() - 1000) })
    .where('company_id', '=', companyId)
    .execute();
  await checker().checkDue();
  return database.db
    .selectFrom('key_health')
    .selectAll()
    .where('company_id', '=', companyId)
    .executeTakeFirstOrThrow();
}

function healthAuditEvents(companyId: string) {
  return database.db
    .selectFrom('audit_events')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('action', '=', 'key_health.changed')
    .orderBy('sequence')
    .execute();
}

beforeEach(async () => {
  // Every test starts from companies that are not due, so one test's pass checks only its company.
  await database.db
    .updateTable('key_health')
    .set({ next_check_at: new Date(Date.now() + 3_600_000) })
    .execute();
});

describe('Azure key health check', () => {
  it('reports ok for a usable key', async () => {
    const { companyId, keyId } = await companyOnAzure();
    const row = await check(companyId);
    expect(row.state).toBe('ok');
    expect(row.message).toContain(keyId);
    expect(row.unknown_grants).toBe(0);

    const events = await healthAuditEvents(companyId);
    expect(events).toHaveLength(1);
    expect(events[0]!.details).toMatchObject({
      previousState: 'unknown',
      state: 'ok',
      providerType: 'azure-key-vault',
      providerKeyId: keyId,
    });
  });

  it('follows a disabled and re-enabled key', async () => {
    const { companyId, keyName } = await companyOnAzure();
    expect((await check(companyId)).state).toBe('ok');

    await customer.updateKey(keyName, { enabled: false });
    const disabled = await check(companyId);
    expect(disabled.state).toBe('key_disabled');
    expect(disabled.message).toMatch(/^The Azure Key Vault key is disabled/);
    // Unchanged results add no audit event.
    await check(companyId);

    await customer.updateKey(keyName, { enabled: true });
    expect((await check(companyId)).state).toBe('ok');

    const events = await healthAuditEvents(companyId);
    expect(events.map((event) => event.details.state)).toEqual(['ok', 'key_disabled', 'ok']);
    expect(events[1]!.details.code).toBe('AZURE_KEY_DISABLED');
    expect(events[1]!.outcome).toBe('failure');
  });

  it('reports an expired key as key_disabled', async () => {
    const { companyId, keyName } = await companyOnAzure();
    await customer.updateKey(keyName, { exp: new Date(Date.now() - 86_400_000).toISOString() });
    const row = await check(companyId);
    expect(row.state).toBe('key_disabled');
    expect(row.message).toMatch(/^The Azure Key Vault key is expired/);
  });

  it('reports a missing tenant as access_denied', async () => {
    const setup = await customer.setUp();
    clientSecrets.push(setup.clientSecret);
    const companyId = await insertCompany(database.db, partnerId, `Azure company ${++companyCount}`);
    const report = await (
      (await registry.create('azure-key-vault', setup)) as AzureKeyVaultKeyProvider
    ).runConnectionTest({ companyId, companyKeyVersion: 1 });
    expect(report.error).toBeUndefined();

    // The configuration as Save stored it, for an Entra tenant that has since been deleted.
    const missingTenant = '99999999-2222-3333-4444-555555555555';
    const keyVersion = report.keyId!.split('/').at(-1)!;
    const provider = (await registry.create('azure-key-vault', {
      ...setup,
      tenantId: missingTenant,
      keyVersion,
    })) as AzureKeyVaultKeyProvider;
    await database.db
      .updateTable('companies')
      .set({
        provider_type: 'azure-key-vault',
        provider_config: JSON.stringify(await provider.storedConfig()),
      })
      .where('id', '=', companyId)
      .execute();

    const row = await check(companyId);
    expect(row.state).toBe('access_denied');
    expect(row.message).toContain(`tenant ${missingTenant} was not found`);
    const events = await healthAuditEvents(companyId);
    expect(events.at(-1)!.details.code).toBe('AZURE_CREDENTIALS_REJECTED');
  });

  it('reports a removed role assignment as access_denied', async () => {
    const { companyId, assignmentId } = await companyOnAzure();
    expect((await check(companyId)).state).toBe('ok');

    await customer.removeAssignment(assignmentId);
    const row = await check(companyId);
    expect(row.state).toBe('access_denied');
    expect(row.message).toMatch(/is not allowed to get the key/);
    const events = await healthAuditEvents(companyId);
    expect(events.at(-1)!.details.code).toBe('AZURE_PERMISSION_MISSING');
  });

  it('reports a missing unwrap permission by name', async () => {
    const { companyId, keyName, keyId } = await companyOnAzure();
    const app = await customer.newApp();
    clientSecrets.push(app.clientSecret);
    await customer.assign(app.clientId, { keyName, actions: ['get', 'wrapKey'] });
    // Test connection would refuse this app, so its configuration is stored with the version pinned directly.
    await storeWithVersion(companyId, app, keyName, keyId.slice(keyId.lastIndexOf('/') + 1));

    const row = await check(companyId);
    expect(row.state).toBe('access_denied');
    expect(row.message).toMatch(/is not allowed to unwrapKey the key/);
  });

  it('skips Azure companies when no Azure probe is configured', async () => {
    const { companyId } = await companyOnAzure();
    await database.db.deleteFrom('key_health').where('company_id', '=', companyId).execute();
    const awsOnly = new KeyHealthChecker({
      db: database.db,
      probes: new Map(),
      intervalSeconds: 300,
      logger: logs.logger,
    });
    expect(await awsOnly.checkDue()).toBe(0);
    // Negative control: with the probe, the same company is checked.
    expect(await checker().checkDue()).toBeGreaterThanOrEqual(1);
  });
});

describe('Azure key health logs', () => {
  it('contain no client secret', () => {
    const output = logs.output();
    // Negative control: the checks above did log, including their caught errors.
    expect(output).toContain('key health changed');
    expect(output).toContain('"err"');
    expect(clientSecrets.length).toBeGreaterThan(3);
    expect(leakedSecrets(output, clientSecrets)).toEqual([]);
  });
});

/** Stores a configuration for another app on the same key version, sealed as Save seals it. */
async function storeWithVersion(
  companyId: string,
  app: { clientId: string; clientSecret: string },
  keyName: string,
  keyVersion: string,
): Promise<void> {
  const provider = (await registry.create('azure-key-vault', {
    vaultUrl: customer.azure.vaultUrl,
    keyName,
    keyVersion,
    tenantId: customer.azure.tenantId,
    clientId: app.clientId,
    clientSecret: app.clientSecret,
  })) as AzureKeyVaultKeyProvider;
  const stored = await provider.storedConfig();
  await database.db
    .updateTable('companies')
    .set({ provider_config: JSON.stringify(stored) })
    .where('id', '=', companyId)
    .execute();
}
