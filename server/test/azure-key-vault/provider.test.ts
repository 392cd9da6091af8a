import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors/app-error.js';
import type { AzurePlatformSettings } from '../../src/providers/azure-key-vault/azure-clients.js';
import type { AzureKeyVaultConfig } from '../../src/providers/azure-key-vault/azure-key-vault-config.js';
import {
  azureKeyVaultProviderFactory,
  sealAzureKeyVaultConfig,
} from '../../src/providers/azure-key-vault/azure-key-vault-factory.js';
import type { AzureKeyVaultKeyProvider } from '../../src/providers/azure-key-vault/azure-key-vault-provider.js';
import {
  openProviderSecret,
  sealProviderSecret,
} from '../../src/providers/azure-key-vault/provider-secret.js';
import { LocalPlatformKeyProvider } from '../../src/providers/cybersentriq/local-provider.js';
import { MasterKeyFile } from '../../src/providers/cybersentriq/master-key-file.js';
import { ProviderRegistry } from '../../src/providers/provider-registry.js';
import { type RunningSandbox, startSandbox } from '../support/sandbox-process.js';
import { CustomerAzure } from './customer-azure.js';

let sandbox: RunningSandbox;
let customer: CustomerAzure;
let settings: AzurePlatformSettings;
let platform: LocalPlatformKeyProvider;
let keyDirectory: string;
let registry: ProviderRegistry;

beforeAll(async () => {
  sandbox = await startSandbox();
  customer = new CustomerAzure(sandbox.config);
  settings = customer.settings();
  keyDirectory = await mkdtemp(join(tmpdir(), 'redapp-azure-platform-'));
  platform = new LocalPlatformKeyProvider(await MasterKeyFile.open(keyDirectory));
  registry = new ProviderRegistry().register(
    'azure-key-vault',
    azureKeyVaultProviderFactory(settings, async () => platform),
  );
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(keyDirectory, { recursive: true, force: true });
});

const context = { companyId: '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000301', companyKeyVersion: 1 };

async function provider(config: object): Promise<AzureKeyVaultKeyProvider> {
  return (await registry.create('azure-key-vault', config)) as AzureKeyVaultKeyProvider;
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('Azure Key Vault provider', () => {
  it('wrap records the key id with version', async () => {
    const config = await customer.setUp();
    const azure = await provider(config);
    const report = await azure.runConnectionTest(context);
    expect(report.error).toBeUndefined();

    const wrapped = await azure.wrapKey(randomBytes(32), context);
    expect(wrapped).toMatchObject({
      providerType: 'azure-key-vault',
      providerKeyId: report.keyId,
      mechanism: 'AZURE-KEY-VAULT-RSA-OAEP-256',
      formatVersion: 1,
      context,
    });
    expect(wrapped.ciphertext).toHaveLength(256);
  });

  it('connection test leaves input checks to the factory', async () => {
    const azure = await provider(await customer.setUp());
    const report = await azure.runConnectionTest(context);
    expect(report.steps.map((step) => step.name)).toEqual(['App credentials', 'Get key', 'Wrap and unwrap']);
  });

  it('stored config needs a passed test', async () => {
    const azure = await provider(await customer.setUp());
    const error = await rejection(azure.storedConfig());
    expect(error.code).toBe('INVALID_INPUT');
  });

  it('round trip', async () => {
    const azure = await provider(await customer.setUp());
    const key = randomBytes(32);

    const wrapped = await azure.wrapKey(key, context);
    expect((await azure.unwrapKey(wrapped, context)).equals(key)).toBe(true);
  });

  it('unwrap rejects a changed context', async () => {
    const azure = await provider(await customer.setUp());
    const wrapped = await azure.wrapKey(randomBytes(32), context);
    const other = { ...context, companyKeyVersion: 2 };

    // Recorded context changed along with the requested one: the digest inside the wrap does not match.
    const error = await rejection(azure.unwrapKey({ ...wrapped, context: other }, other));
    expect(error.code).toBe('KEY_UNAVAILABLE');
    expect(error.message).toMatch(/do not carry this company key context/);
  });

  it('unwrap rejects another key name', async () => {
    const azure = await provider(await customer.setUp());
    const wrapped = await azure.wrapKey(randomBytes(32), context);
    const other = await provider(await customer.setUp());

    const error = await rejection(other.unwrapKey(wrapped, context));
    expect(error.code).toBe('KEY_UNAVAILABLE');
  });

  it('pinned version survives key rotation', async () => {
    const config = await customer.setUp();
    const azure = await provider(config);
    await azure.runConnectionTest(context);
    const pinned = azure.pinnedConfig();
    const wrapped = await azure.wrapKey(randomBytes(32), context);

    await customer.createKey({ name: config.keyName });
    const reloaded = await provider(pinned);
    const rewrapped = await reloaded.wrapKey(randomBytes(32), context);
    expect(rewrapped.providerKeyId).toBe(wrapped.providerKeyId);
    expect(await reloaded.unwrapKey(wrapped, context)).toHaveLength(32);
  });

  it('removed role stops unwrap', async () => {
    const config = await customer.setUp();
    const azure = await provider(config);
    const wrapped = await azure.wrapKey(randomBytes(32), context);

    await customer.removeAssignment(config.assignmentId);
    const error = await rejection(azure.unwrapKey(wrapped, context));
    expect(error.code).toBe('AZURE_PERMISSION_MISSING');
    expect(error.details).toMatchObject({ operation: 'unwrapKey' });
  });

  it('disabled key stops unwrap', async () => {
    const config = await customer.setUp();
    const azure = await provider(config);
    const wrapped = await azure.wrapKey(randomBytes(32), context);

    await customer.updateKey(config.keyName, { enabled: false });
    expect((await rejection(azure.unwrapKey(wrapped, context))).code).toBe('AZURE_KEY_DISABLED');

    await customer.updateKey(config.keyName, { enabled: true });
    expect(await azure.unwrapKey(wrapped, context)).toHaveLength(32);
  });

  it('describe leaves out the client secret', async () => {
    const config = await customer.setUp();
    const azure = await provider(config);
    await azure.runConnectionTest(context);

    const description = JSON.stringify(azure.describe());
    expect(description).not.toContain(config.clientSecret);
    expect(description).not.toContain('clientSecret');
    expect(azure.describe().providerKeyId).toMatch(/\/keys\/company-key-[^/]+\/[0-9a-f]{32}$/);
  });
});

describe('sealed client secret', () => {
  it('stored config opens through the factory', async () => {
    const config = await customer.setUp();
    const tested = await provider(config);
    await tested.runConnectionTest(context);

    const stored = await tested.storedConfig();
    expect(stored.keyVersion).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(stored)).not.toContain(config.clientSecret);
    expect(stored).not.toHaveProperty('clientSecret');

    const reopened = await provider(stored);
    const key = randomBytes(32);
    expect((await reopened.unwrapKey(await reopened.wrapKey(key, context), context)).equals(key)).toBe(true);
  });

  it('secret sealed for another app fails to open', async () => {
    const config: AzureKeyVaultConfig = await customer.setUp();
    const stored = await sealAzureKeyVaultConfig(config, platform);
    const moved = { ...stored, clientId: '11111111-2222-3333-4444-555555555555' };

    const error = await rejection(provider(moved));
    expect(error.code).toBe('KEY_UNAVAILABLE');
    expect(error.message).not.toContain(config.clientSecret);
  });

  it('seal and open round trip', async () => {
    const sealed = await sealProviderSecret(platform, 'secret value ~ with symbols', 'binding-a');
    expect(await openProviderSecret(platform, sealed, 'binding-a')).toBe('secret value ~ with symbols');
    expect((await rejection(openProviderSecret(platform, sealed, 'binding-b'))).code).toBe('KEY_UNAVAILABLE');
  });
});
