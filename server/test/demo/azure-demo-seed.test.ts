import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { azureDemo } from '../../src/demo/demo-azure-seed.js';
import { demoCredentialsPath, seedDemo } from '../../src/demo/demo-seed.js';
import { azureKeyHealthProbe } from '../../src/key-health/azure-key-probe.js';
import { azurePlatformSettings } from '../../src/providers/azure-key-vault/azure-clients.js';
import { createServices, type Services } from '../../src/services.js';
import { type RunningSandbox, startSandbox } from '../support/sandbox-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

let sandbox: RunningSandbox;
let database: TestDatabase;
let dataDir: string;
let services: Services;
let sandboxFile: string;

beforeAll(async () => {
  sandbox = await startSandbox();
  sandboxFile = sandbox.file;
  database = await createTestDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redapp-demo-'));
  const config = loadConfig({ REDAPP_DATA_DIR: dataDir, REDAPP_SANDBOX_FILE: sandboxFile });
  services = createServices(config, database.db, pino({ level: 'silent' }));
});
afterAll(async () => {
  await database?.close();
  await sandbox?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

function seed(file: string | undefined) {
  return seedDemo(database.db, dataDir, {
    companyKeys: services.companyKeys,
    providers: services.providers,
    sandboxFile: file,
  });
}

describe('Azure demo company seed', () => {
  it('is left out without a sandbox file', async () => {
    const seeded = await seed(undefined);
    expect(seeded.created).toBe(true);
    expect(seeded.azureSkipped).toMatch(/sandbox/);
    expect(seeded.credentials.users.map((user) => user.email)).not.toContain(azureDemo.adminEmail);
  });

  it('adds the company on the sandbox vault key', async () => {
    const seeded = await seed(sandboxFile);
    expect(seeded.created).toBe(true);
    expect(seeded.azureSkipped).toBeUndefined();
    const admin = seeded.credentials.users.find((user) => user.email === azureDemo.adminEmail);
    expect(admin).toMatchObject({ role: 'company_admin', company: azureDemo.companyName });

    // The credentials file lists every demo user, the earlier ones with their passwords unchanged.
    const onDisk = JSON.parse(fs.readFileSync(demoCredentialsPath(dataDir), 'utf8'));
    expect(onDisk).toEqual(seeded.credentials);
    expect(onDisk.users).toHaveLength(5);

    const company = await database.db
      .selectFrom('companies')
      .select(['provider_type', 'provider_config'])
      .where('id', '=', azureDemo.companyId)
      .executeTakeFirstOrThrow();
    expect(company.provider_type).toBe('azure-key-vault');
    expect(company.provider_config).toHaveProperty('sealedClientSecret');
    expect(company.provider_config).toHaveProperty('keyVersion');
    const demoSecret = (sandbox.config as unknown as { azure: { demo: { app: { clientSecret: string } } } })
      .azure.demo.app.clientSecret;
    expect(JSON.stringify(company.provider_config)).not.toContain(demoSecret);

    const sets = await database.db
      .selectFrom('backup_sets')
      .select(['tenant_id'])
      .where('company_id', '=', azureDemo.companyId)
      .execute();
    expect(sets).toEqual([{ tenant_id: azureDemo.tenant.tenantId }]);
  });

  it('wraps the company key with the vault key', async () => {
    const versions = await database.db
      .selectFrom('company_keys')
      .selectAll()
      .where('company_id', '=', azureDemo.companyId)
      .execute();
    expect(versions).toHaveLength(1);
    expect(versions[0]!.provider_type).toBe('azure-key-vault');
    services.keyCache.invalidateCompany(azureDemo.companyId);
    const companyKey = await services.companyKeys.unwrap(azureDemo.companyId, 1);
    expect(companyKey.length).toBe(32);
  });

  it('is healthy for the key health check', async () => {
    const config = loadConfig({ REDAPP_DATA_DIR: dataDir, REDAPP_SANDBOX_FILE: sandboxFile });
    const probe = azureKeyHealthProbe(azurePlatformSettings(config.azure), () =>
      services.providers.create('cybersentriq', {}),
    );
    const company = await database.db
      .selectFrom('companies')
      .select('provider_config')
      .where('id', '=', azureDemo.companyId)
      .executeTakeFirstOrThrow();
    const result = await probe.probe({
      companyId: azureDemo.companyId,
      providerConfig: company.provider_config,
      storedCiphertext: null,
    });
    expect(result.observation.state).toBe('ok');
  });

  it('changes nothing when run again', async () => {
    const before = fs.readFileSync(demoCredentialsPath(dataDir), 'utf8');
    const seeded = await seed(sandboxFile);
    expect(seeded.created).toBe(false);
    expect(fs.readFileSync(demoCredentialsPath(dataDir), 'utf8')).toBe(before);
    const companies = await database.db
      .selectFrom('companies')
      .select('id')
      .where('name', '=', azureDemo.companyName)
      .execute();
    expect(companies).toHaveLength(1);
  });

  it('refuses a vault that is not on the loopback address', async () => {
    const other = path.join(dataDir, 'sandbox-elsewhere.json');
    const json = JSON.parse(fs.readFileSync(sandboxFile, 'utf8'));
    json.azure.vaultUrl = 'https://contoso-backup.vault.azure.net';
    fs.writeFileSync(other, JSON.stringify(json));
    const fresh = await createTestDatabase();
    try {
      const seeding = seedDemo(fresh.db, fs.mkdtempSync(path.join(dataDir, 'fresh-')), {
        companyKeys: services.companyKeys,
        providers: services.providers,
        sandboxFile: other,
      });
      await expect(seeding).rejects.toThrow(/only against the local sandbox/);
    } finally {
      await fresh.close();
    }
  });
});
