import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzurePlatformSettings } from '../../src/providers/azure-key-vault/azure-clients.js';
import type { AzureKeyVaultConfig } from '../../src/providers/azure-key-vault/azure-key-vault-config.js';
import { runAzureConnectionTest } from '../../src/providers/azure-key-vault/azure-key-vault-connection-test.js';
import { type RunningSandbox, startSandbox } from '../support/sandbox-process.js';
import { CustomerAzure } from './customer-azure.js';

let sandbox: RunningSandbox;
let customer: CustomerAzure;
let settings: AzurePlatformSettings;

beforeAll(async () => {
  sandbox = await startSandbox();
  customer = new CustomerAzure(sandbox.config);
  settings = customer.settings();
});
afterAll(async () => {
  await sandbox?.stop();
});

const context = { companyId: '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000201', companyKeyVersion: 3 };
const stepNames = ['Input checks', 'App credentials', 'Get key', 'Wrap and unwrap'];

async function failure(config: AzureKeyVaultConfig, platform: AzurePlatformSettings = settings) {
  const report = await runAzureConnectionTest(config, platform, context);
  expect(report.error, JSON.stringify(report.steps)).toBeDefined();
  const failed = report.steps.find((step) => step.status === 'failed')!;
  return { error: report.error!, failed, steps: report.steps };
}

/** Returns a free loopback port: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Azure Key Vault connection test', () => {
  it('passes every step for a correct setup', async () => {
    const config = await customer.setUp();
    const report = await runAzureConnectionTest(config, settings, context);

    expect(report.error).toBeUndefined();
    expect(report.steps.map((step) => [step.name, step.status])).toEqual(
      stepNames.map((name) => [name, 'passed']),
    );
    expect(report.keyId).toMatch(new RegExp(`^${config.vaultUrl}/keys/${config.keyName}/[0-9a-f]{32}$`));
  });

  it('passes with RSA-HSM 3072 and Key Vault Crypto User', async () => {
    const config = await customer.setUp({ kty: 'RSA-HSM', keySize: 3072, role: 'Key Vault Crypto User' });
    const report = await runAzureConnectionTest(config, settings, context);
    expect(report.error).toBeUndefined();
  });

  it('no step message contains the client secret', async () => {
    const config = await customer.setUp();
    const passed = await runAzureConnectionTest(config, settings, context);
    const failed = await runAzureConnectionTest(
      { ...config, clientSecret: `${config.clientSecret}x` },
      settings,
      context,
    );

    for (const report of [passed, failed]) {
      expect(JSON.stringify(report.steps)).not.toContain(config.clientSecret);
      expect(JSON.stringify(report.error?.toBody() ?? {})).not.toContain(config.clientSecret);
      expect(String((report.error?.cause as Error | undefined)?.message ?? '')).not.toContain(
        config.clientSecret,
      );
    }
  });

  describe('input checks', () => {
    const cases: Array<[string, Partial<AzureKeyVaultConfig>, string]> = [
      ['vault URL over http', { vaultUrl: 'http://contoso.vault.azure.net' }, 'vaultUrl'],
      ['vault URL with a path', { vaultUrl: 'https://contoso.vault.azure.net/keys/x' }, 'vaultUrl'],
      ['key name with a dot', { keyName: 'company.key' }, 'keyName'],
      ['tenant ID not a GUID', { tenantId: 'contoso.onmicrosoft.com' }, 'tenantId'],
      ['client ID not a GUID', { clientId: 'redapp' }, 'clientId'],
      ['client secret empty', { clientSecret: '' }, 'clientSecret'],
      ['client secret of spaces', { clientSecret: '   ' }, 'clientSecret'],
    ];
    for (const [name, change, field] of cases) {
      it(`rejects ${name}`, async () => {
        const config = { ...(await customer.setUp()), ...change };
        const { error, failed, steps } = await failure(config);
        expect(error.code).toBe('INVALID_INPUT');
        expect(error.details).toMatchObject({ field });
        expect(failed.name).toBe('Input checks');
        expect(steps.slice(1).every((step) => step.status === 'not run')).toBe(true);
      });
    }

    it('trims spaces around the client secret', async () => {
      const config = await customer.setUp();
      const report = await runAzureConnectionTest(
        { ...config, clientSecret: `  ${config.clientSecret} ` },
        settings,
        context,
      );
      expect(report.error).toBeUndefined();
    });

    it('outside the sandbox rejects a non-Key Vault host', async () => {
      const config = await customer.setUp();
      const { error } = await failure(config, { ...settings, sandboxCaPem: undefined });
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).toMatch(/is not an Azure Key Vault URL/);
    });
  });

  it('wrong client secret is AZURE_CREDENTIALS_REJECTED', async () => {
    const config = await customer.setUp();
    const { error, failed } = await failure({ ...config, clientSecret: 'not-the-secret-value' });
    expect(error.code).toBe('AZURE_CREDENTIALS_REJECTED');
    expect(error.message).toMatch(/client secret is not valid/);
    expect(error.details).toMatchObject({ aadsts: 'AADSTS7000215' });
    expect(failed.name).toBe('App credentials');
  });

  it('unknown client ID is AZURE_CREDENTIALS_REJECTED', async () => {
    const config = await customer.setUp();
    const { error, failed } = await failure({ ...config, clientId: '11111111-2222-3333-4444-555555555555' });
    expect(error.code).toBe('AZURE_CREDENTIALS_REJECTED');
    expect(error.message).toMatch(/no app with client ID 11111111-2222-3333-4444-555555555555/);
    expect(failed.name).toBe('App credentials');
  });

  it('unknown tenant is AZURE_CREDENTIALS_REJECTED', async () => {
    const config = await customer.setUp();
    const { error } = await failure({ ...config, tenantId: '99999999-2222-3333-4444-555555555555' });
    expect(error.code).toBe('AZURE_CREDENTIALS_REJECTED');
    expect(error.message).toMatch(/tenant 99999999-2222-3333-4444-555555555555 was not found/);
  });

  it('vault with no listener is AZURE_VAULT_UNREACHABLE', async () => {
    const config = await customer.setUp();
    const { error, failed } = await failure({
      ...config,
      vaultUrl: `https://127.0.0.1:${await closedPort()}`,
    });
    expect(error.code).toBe('AZURE_VAULT_UNREACHABLE');
    expect(failed.name).toBe('Get key');
  });

  it('vault that never answers is PROVIDER_UNREACHABLE', async () => {
    const config = await customer.setUp();
    // A TCP listener that accepts and never responds, so the TLS handshake times out.
    const hanging = net.createServer(() => {});
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    try {
      const port = (hanging.address() as net.AddressInfo).port;
      const { error, failed } = await failure(
        { ...config, vaultUrl: `https://127.0.0.1:${port}` },
        { ...settings, requestTimeoutMs: 500 },
      );
      expect(error.code).toBe('PROVIDER_UNREACHABLE');
      expect(failed.name).toBe('Get key');
    } finally {
      hanging.close();
    }
  });

  it('missing key with a vault role is AZURE_KEY_NOT_FOUND', async () => {
    const config = await customer.setUp();
    await customer.assign(config.clientId, { role: 'Key Vault Crypto Service Encryption User' });
    const { error, failed } = await failure({ ...config, keyName: 'no-such-key' });
    expect(error.code).toBe('AZURE_KEY_NOT_FOUND');
    expect(error.message).toMatch(/no key no-such-key in https:\/\/127\.0\.0\.1/);
    expect(failed.name).toBe('Get key');
  });

  it('missing key without a vault role is AZURE_PERMISSION_MISSING naming get', async () => {
    const config = await customer.setUp();
    const { error } = await failure({ ...config, keyName: 'no-such-key' });
    expect(error.code).toBe('AZURE_PERMISSION_MISSING');
    expect(error.details).toMatchObject({ operation: 'get' });
    expect(error.message).toMatch(/or there is no such key/);
  });

  it('disabled key is AZURE_KEY_DISABLED', async () => {
    const config = await customer.setUp();
    await customer.updateKey(config.keyName, { enabled: false });
    const { error, failed } = await failure(config);
    expect(error.code).toBe('AZURE_KEY_DISABLED');
    expect(error.message).toMatch(/is disabled/);
    expect(failed.name).toBe('Get key');
  });

  it('expired key is AZURE_KEY_DISABLED with the date', async () => {
    const config = await customer.setUp();
    await customer.updateKey(config.keyName, { exp: '2024-03-01T00:00:00Z' });
    const { error } = await failure(config);
    expect(error.code).toBe('AZURE_KEY_DISABLED');
    expect(error.message).toMatch(/expired \(expiry date 2024-03-01\)/);
  });

  it('key not yet valid is AZURE_KEY_DISABLED with the date', async () => {
    const config = await customer.setUp();
    await customer.updateKey(config.keyName, { nbf: '2099-01-01T00:00:00Z' });
    const { error } = await failure(config);
    expect(error.code).toBe('AZURE_KEY_DISABLED');
    expect(error.message).toMatch(/not valid before 2099-01-01/);
  });

  for (const [missing, actions] of [
    ['get', ['wrapKey', 'unwrapKey']],
    ['wrapKey', ['get', 'unwrapKey']],
    ['unwrapKey', ['get', 'wrapKey']],
  ] as const) {
    it(`role without ${missing} is AZURE_PERMISSION_MISSING naming it`, async () => {
      const config = await customer.setUp({ actions: [...actions] });
      const { error, failed } = await failure(config);
      expect(error.code).toBe('AZURE_PERMISSION_MISSING');
      expect(error.details).toMatchObject({ operation: missing });
      expect(error.message).toContain(`not allowed to ${missing} the key`);
      expect(error.fix).toContain(`${missing} is missing`);
      expect(failed.name).toBe(missing === 'get' ? 'Get key' : 'Wrap and unwrap');
    });
  }

  for (const [name, options, pattern] of [
    ['EC key', { kty: 'EC' }, /it is an EC key/],
    ['oct-HSM key', { kty: 'oct-HSM' }, /it is an oct-HSM key/],
    ['RSA 1024 key', { keySize: 1024 }, /RSA 1024 bits; 2048 or more/],
  ] as const) {
    it(`${name} is AZURE_KEY_TYPE_UNSUPPORTED`, async () => {
      const config = await customer.setUp(options);
      const { error, failed } = await failure(config);
      expect(error.code).toBe('AZURE_KEY_TYPE_UNSUPPORTED');
      expect(error.message).toMatch(pattern);
      expect(failed.name).toBe('Get key');
    });
  }
});
