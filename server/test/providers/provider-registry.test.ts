import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cybersentriqProviderFactory } from '../../src/providers/cybersentriq/cybersentriq-provider.js';
import { LocalPlatformKeyProvider } from '../../src/providers/cybersentriq/local-provider.js';
import { PlatformKmsKeyProvider } from '../../src/providers/cybersentriq/platform-kms-provider.js';
import { isProviderType, ProviderRegistry } from '../../src/providers/provider-registry.js';
import type { KeyProvider } from '../../src/providers/provider-types.js';

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'redapp-registry-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('provider registry', () => {
  it('creates a registered provider', async () => {
    const registry = new ProviderRegistry().register(
      'cybersentriq',
      cybersentriqProviderFactory({ backend: 'local-file', directory }),
    );

    const provider = await registry.create('cybersentriq', {});

    expect(provider).toBeInstanceOf(LocalPlatformKeyProvider);
  });

  it('shares one platform provider across companies', async () => {
    const registry = new ProviderRegistry().register(
      'cybersentriq',
      cybersentriqProviderFactory({ backend: 'local-file', directory }),
    );

    expect(await registry.create('cybersentriq', { company: 1 })).toBe(
      await registry.create('cybersentriq', {}),
    );
  });

  it('builds the KMS backend with an injected client', async () => {
    const factory = cybersentriqProviderFactory(
      {
        backend: 'aws-kms',
        keyArn: 'arn:aws:kms:eu-west-1:156214480941:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      },
      { kmsClient: { send: async () => ({ $metadata: {} }) } },
    );

    expect(await factory({})).toBeInstanceOf(PlatformKmsKeyProvider);
  });

  it.each(['aws-kms', 'azure-key-vault', 'gcp-kms', ''])(
    'unregistered type %j is INVALID_INPUT',
    async (type) => {
      const registry = new ProviderRegistry();

      await expect(registry.create(type, {})).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    },
  );

  it('rejects registering a type twice', () => {
    const registry = new ProviderRegistry().register('aws-kms', () => ({}) as KeyProvider);

    expect(() => registry.register('aws-kms', () => ({}) as KeyProvider)).toThrow('already registered');
  });

  it('rejects a factory returning another type', async () => {
    const registry = new ProviderRegistry().register(
      'aws-kms',
      () => ({ providerType: 'cybersentriq' }) as KeyProvider,
    );

    await expect(registry.create('aws-kms', {})).rejects.toThrow('returned a cybersentriq provider');
  });

  it('lists registered types', () => {
    const registry = new ProviderRegistry().register('cybersentriq', () => ({}) as KeyProvider);

    expect(registry.registeredTypes()).toEqual(['cybersentriq']);
    expect(registry.has('cybersentriq')).toBe(true);
    expect(registry.has('aws-kms')).toBe(false);
  });

  it('knows the three provider types', () => {
    expect(['cybersentriq', 'aws-kms', 'azure-key-vault'].every(isProviderType)).toBe(true);
    expect(isProviderType('local')).toBe(false);
  });
});
