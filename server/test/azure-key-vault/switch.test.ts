import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzureKeyVaultKeyProvider } from '../../src/providers/azure-key-vault/azure-key-vault-provider.js';
import type { SwitchTarget } from '../../src/switch/switch-service.js';
import { CustomerAccount } from '../support/customer-aws.js';
import { authHeaders, createFixture, signIn } from '../support/fixtures.js';
import { startSandbox } from '../support/sandbox-process.js';
import {
  awsTarget,
  createCompany,
  expectAllWrappedBy,
  expectObjectsDownload,
  markVerified,
  type SwitchWorld,
  startSwitch,
  switchService,
  switchState,
} from '../switch/switch-world.js';
import { CustomerAzure } from './customer-azure.js';

let world: SwitchWorld;
let azure: CustomerAzure;

/** Starts the switch tests' world, with the server also configured for the sandbox's Azure. */
async function startAzureSwitchWorld(): Promise<SwitchWorld> {
  const sandbox = await startSandbox();
  const platform = sandbox.config.aws.platform;
  azure = new CustomerAzure(sandbox.config);
  const fixture = await createFixture({
    awsEndpoint: sandbox.config.aws.endpoint,
    platformAwsCredentials: { accessKeyId: platform.accessKeyId, secretAccessKey: platform.secretAccessKey },
    platformPrincipalArn: platform.principalArn,
    azure: { authorityHost: azure.azure.authorityHost, sandboxCaPath: azure.azure.caCertPath },
  });
  const admin = await signIn(fixture.app, fixture.users.partnerAdmin);
  const user = await fixture.database.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', fixture.users.partnerAdmin)
    .executeTakeFirstOrThrow();
  return {
    sandbox,
    customer: new CustomerAccount(sandbox.config),
    fixture,
    admin,
    adminUserId: user.id,
    close: async () => {
      await fixture.close();
      await sandbox.stop();
    },
  };
}

beforeAll(async () => {
  world = await startAzureSwitchWorld();
});
afterAll(async () => {
  await world?.close();
});

/**
 * Tests the customer's Azure setup as Test connection does, then returns the target as Save stores it:
 * key version pinned and client secret sealed under the CyberSentriq-managed key.
 */
async function azureTarget(
  companyId: string,
): Promise<{ target: SwitchTarget; keyId: string; keyName: string; assignmentId: string }> {
  const config = await azure.setUp();
  const providers = world.fixture.services.providers;
  const provider = (await providers.create('azure-key-vault', config)) as AzureKeyVaultKeyProvider;
  const report = await provider.runConnectionTest({ companyId, companyKeyVersion: 1 });
  expect(report.error).toBeUndefined();

  const stored = await provider.storedConfig();
  return {
    target: { type: 'azure-key-vault', config: stored as unknown as Record<string, unknown> },
    keyId: report.keyId!,
    keyName: config.keyName,
    assignmentId: config.assignmentId,
  };
}

/** Starts the switch, verifies every tenant of the company and finishes it. */
async function switchTo(companyId: string, tenantIds: string[], target: SwitchTarget) {
  const started = await startSwitch(world, companyId, target);
  for (const tenantId of tenantIds) await markVerified(world, companyId, started.id, tenantId);
  expect(await switchService(world).tryFinish(companyId)).toBe(true);
  return switchState(world, started.id);
}

describe('switch through Azure Key Vault', () => {
  it('managed to Azure to AWS keeps objects', async () => {
    const company = await createCompany(world, 2);
    await expectObjectsDownload(world, company);

    const toAzure = await azureTarget(company.companyId);
    expect((await switchTo(company.companyId, company.tenantIds, toAzure.target)).state).toBe('finished');
    await expectAllWrappedBy(world, company.companyId, 'azure-key-vault', toAzure.keyId);
    await expectObjectsDownload(world, company);

    const toAws = await awsTarget(world);
    expect((await switchTo(company.companyId, company.tenantIds, toAws)).state).toBe('finished');
    await expectAllWrappedBy(world, company.companyId, 'aws-kms', toAws.config.keyArn as string);
    await expectObjectsDownload(world, company);

    // No copy wrapped by the Azure key remains: revoking it does not affect the company.
    await azure.removeAssignment(toAzure.assignmentId);
    await expectObjectsDownload(world, company);
  });

  it('AWS to Azure keeps objects', async () => {
    const company = await createCompany(world, 1);
    expect((await switchTo(company.companyId, company.tenantIds, await awsTarget(world))).state).toBe(
      'finished',
    );

    const toAzure = await azureTarget(company.companyId);
    expect((await switchTo(company.companyId, company.tenantIds, toAzure.target)).state).toBe('finished');
    await expectAllWrappedBy(world, company.companyId, 'azure-key-vault', toAzure.keyId);
    await expectObjectsDownload(world, company);
  });

  it('stored target has no plain client secret', async () => {
    const company = await createCompany(world, 1);
    const toAzure = await azureTarget(company.companyId);
    await switchTo(company.companyId, company.tenantIds, toAzure.target);

    const row = await world.fixture.database.db
      .selectFrom('companies')
      .select(['provider_type', 'provider_config'])
      .where('id', '=', company.companyId)
      .executeTakeFirstOrThrow();
    expect(row.provider_type).toBe('azure-key-vault');
    expect(row.provider_config).not.toHaveProperty('clientSecret');
    expect(row.provider_config).toHaveProperty('sealedClientSecret');
  });

  it('disabled Azure key blocks downloads', async () => {
    const company = await createCompany(world, 1);
    const toAzure = await azureTarget(company.companyId);
    await switchTo(company.companyId, company.tenantIds, toAzure.target);

    await azure.updateKey(toAzure.keyName, { enabled: false });
    world.fixture.services.keyCache.invalidateCompany(company.companyId);
    const object = company.objectIds[0]!;
    const blocked = await world.fixture.app.inject({
      method: 'GET',
      url: `/api/companies/${company.companyId}/backup-sets/${object.backupSetId}/objects/${object.objectId}/content`,
      headers: authHeaders(world.admin),
    });
    expect(blocked.statusCode).toBe(422);
    expect(blocked.json().error.code).toBe('AZURE_KEY_DISABLED');

    await azure.updateKey(toAzure.keyName, { enabled: true });
    await expectObjectsDownload(world, company);
  });

  it('Save through the API seals the secret', async () => {
    const company = await createCompany(world, 1);
    const { assignmentId: _assignmentId, ...config } = await azure.setUp();
    const base = `/api/companies/${company.companyId}/key-management`;
    const save = await world.fixture.app.inject({
      method: 'POST',
      url: `${base}/save`,
      headers: authHeaders(world.admin),
      payload: { providerType: 'azure-key-vault', config },
    });
    expect(save.json().ok).toBe(true);
    expect(save.body).not.toContain(config.clientSecret);

    const stored = await world.fixture.database.db
      .selectFrom('provider_switches')
      .select('target_config')
      .where('company_id', '=', company.companyId)
      .executeTakeFirstOrThrow();
    expect(stored.target_config).not.toHaveProperty('clientSecret');
    expect(stored.target_config).toHaveProperty('sealedClientSecret');
    expect(JSON.stringify(stored.target_config)).not.toContain(config.clientSecret);

    const overview = await world.fixture.app.inject({
      method: 'GET',
      url: base,
      headers: authHeaders(world.admin),
    });
    expect(overview.json().switch.target.config).not.toHaveProperty('sealedClientSecret');
    expect(overview.body).not.toContain(config.clientSecret);
  });

  it('Save of the unchanged configuration is refused', async () => {
    const company = await createCompany(world, 1);
    const { assignmentId: _assignmentId, ...config } = await azure.setUp();
    const base = `/api/companies/${company.companyId}/key-management`;
    const save = (payloadConfig: Record<string, unknown>) =>
      world.fixture.app.inject({
        method: 'POST',
        url: `${base}/save`,
        headers: authHeaders(world.admin),
        payload: { providerType: 'azure-key-vault', config: payloadConfig },
      });
    const switchCount = async () =>
      (
        await world.fixture.database.db
          .selectFrom('provider_switches')
          .select('id')
          .where('company_id', '=', company.companyId)
          .execute()
      ).length;

    const first = await save(config);
    expect(first.json().ok).toBe(true);
    await markVerified(world, company.companyId, first.json().switch.id, company.tenantIds[0]!);
    expect(await switchService(world).tryFinish(company.companyId)).toBe(true);
    expect(await switchCount()).toBe(1);

    // Test connection still checks the current values live; only Save has nothing to do.
    const tested = await world.fixture.app.inject({
      method: 'POST',
      url: `${base}/test`,
      headers: authHeaders(world.admin),
      payload: { providerType: 'azure-key-vault', config },
    });
    expect(tested.json().ok).toBe(true);
    expect(tested.json().steps[0].message).toMatch(/These are the company's current values/);

    const again = await save(config);
    expect(again.json().ok).toBe(false);
    expect(again.json().error.code).toBe('CONFLICT');
    expect(again.body).not.toContain(config.clientSecret);
    expect(await switchCount()).toBe(1);

    // Negative control: another client secret is a change, which the connection test then rejects.
    const otherSecret = await save({ ...config, clientSecret: `${config.clientSecret}x` });
    expect(otherSecret.json().error.code).toBe('AZURE_CREDENTIALS_REJECTED');

    // Negative control: a key rotated in Azure since the Save is a change, and saving moves to the new version.
    const rotated = await azure.createKey({ name: config.keyName });
    const moved = await save(config);
    expect(moved.json().ok).toBe(true);
    expect(moved.json().switch.target.config.keyVersion).toBe(rotated.version);
    expect(await switchCount()).toBe(2);
  });

  it('Save repeated while pending keeps the switch', async () => {
    const company = await createCompany(world, 2);
    const { assignmentId: _assignmentId, ...config } = await azure.setUp();
    const save = () =>
      world.fixture.app.inject({
        method: 'POST',
        url: `/api/companies/${company.companyId}/key-management/save`,
        headers: authHeaders(world.admin),
        payload: { providerType: 'azure-key-vault', config },
      });

    const first = await save();
    expect(first.json().ok).toBe(true);
    await markVerified(world, company.companyId, first.json().switch.id, company.tenantIds[0]!);

    const again = await save();
    expect(again.json().ok).toBe(true);
    expect(again.json().switch.id).toBe(first.json().switch.id);
    expect(again.json().switch.tenantsVerified).toBe(1);
    const states = await world.fixture.database.db
      .selectFrom('provider_switches')
      .select('state')
      .where('company_id', '=', company.companyId)
      .execute();
    expect(states.map((row) => row.state)).toEqual(['pending']);

    // Negative control: a new key version is another target, which replaces the pending switch.
    await azure.createKey({ name: config.keyName });
    const moved = await save();
    expect(moved.json().switch.id).not.toBe(first.json().switch.id);
    expect(moved.json().switch.tenantsVerified).toBe(0);
  });

  describe('request fields', () => {
    async function testConnection(companyId: string, config: Record<string, unknown>) {
      return world.fixture.app.inject({
        method: 'POST',
        url: `/api/companies/${companyId}/key-management/test`,
        headers: authHeaders(world.admin),
        payload: { providerType: 'azure-key-vault', config },
      });
    }

    async function auditDetails(companyId: string) {
      const events = await world.fixture.database.db
        .selectFrom('audit_events')
        .select('details')
        .where('company_id', '=', companyId)
        .where('action', '=', 'connection.tested')
        .execute();
      return events.map((event) => event.details);
    }

    it.each([
      ['a secret under another name', { ClientSecret: 'SECRET-UNDER-ANOTHER-NAME' }, 'config.ClientSecret'],
      ['a forged audit field', { providerType: 'cybersentriq' }, 'config.providerType'],
      ['an External ID', { externalId: '11111111-2222-4333-8444-555555555555' }, 'config.externalId'],
    ])('rejects %s', async (_case, extra, field) => {
      const company = await createCompany(world, 1);
      const { assignmentId: _assignmentId, ...config } = await azure.setUp();
      const response = await testConnection(company.companyId, { ...config, ...extra });

      expect(response.statusCode).toBe(200);
      expect(response.json().ok).toBe(false);
      expect(response.json().error.code).toBe('INVALID_INPUT');
      expect(response.json().error.message).toContain(field);
      expect(response.body).not.toContain(config.clientSecret);
      const details = await auditDetails(company.companyId);
      expect(details).toEqual([
        { providerType: 'azure-key-vault', code: 'INVALID_INPUT', step: 'Input checks' },
      ]);
    });

    it.each([
      ['a number', { keyName: 123 }, 'config.keyName must be a string; got the number 123.'],
      [
        'a one-item list',
        { vaultUrl: ['https://127.0.0.1'] },
        'config.vaultUrl must be a string; got a list.',
      ],
      ['null', { tenantId: null }, 'config.tenantId must be a string; got null.'],
    ])('rejects %s without converting it', async (_case, change, message) => {
      const company = await createCompany(world, 1);
      const { assignmentId: _assignmentId, ...config } = await azure.setUp();
      const response = await testConnection(company.companyId, { ...config, ...change });

      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('INVALID_INPUT');
      expect(response.json().error.message).toBe(message);
      expect(response.body).not.toContain(config.clientSecret);
    });

    it('rejects a NUL character without a server error', async () => {
      const company = await createCompany(world, 1);
      const { assignmentId: _assignmentId, ...config } = await azure.setUp();
      const response = await testConnection(company.companyId, { ...config, keyName: 'key\u0000name' });

      expect(response.statusCode).toBe(200);
      expect(response.json().error.code).toBe('INVALID_INPUT');
      expect(response.json().error.message).toContain('config.keyName contains a control character');
    });

    it('never repeats a password in the vault URL', async () => {
      const company = await createCompany(world, 1);
      const { assignmentId: _assignmentId, ...config } = await azure.setUp();
      const vaultUrl = config.vaultUrl.replace('https://', 'https://user:PASSWORD-IN-URL@');
      const response = await testConnection(company.companyId, { ...config, vaultUrl });

      expect(response.json().error.code).toBe('INVALID_INPUT');
      expect(response.json().error.message).toContain('vaultUrl contains a user name or password');
      expect(response.body).not.toContain('PASSWORD-IN-URL');
      expect(JSON.stringify(await auditDetails(company.companyId))).not.toContain('PASSWORD-IN-URL');
    });

    it('audits the known fields of a passing test', async () => {
      const company = await createCompany(world, 1);
      const { assignmentId: _assignmentId, ...config } = await azure.setUp();
      const response = await testConnection(company.companyId, config);

      expect(response.json().ok).toBe(true);
      const details = await auditDetails(company.companyId);
      expect(details).toEqual([
        {
          vaultUrl: config.vaultUrl,
          keyName: config.keyName,
          tenantId: config.tenantId,
          clientId: config.clientId,
          providerType: 'azure-key-vault',
        },
      ]);
    });
  });
});
