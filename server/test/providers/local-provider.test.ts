import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKey } from '../../src/keys/aes-gcm.js';
import { LocalPlatformKeyProvider } from '../../src/providers/cybersentriq/local-provider.js';
import { MasterKeyFile } from '../../src/providers/cybersentriq/master-key-file.js';
import type { WrappedKey } from '../../src/providers/provider-types.js';
import { rewrapKey } from '../../src/providers/rewrap.js';

let directory: string;
let provider: LocalPlatformKeyProvider;
const context = { companyId: 'company-1', companyKeyVersion: 1 };

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'redapp-local-provider-'));
  provider = new LocalPlatformKeyProvider(await MasterKeyFile.open(directory));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('local platform key provider', () => {
  it('wrap records type, key id, mechanism and context', async () => {
    const wrapped = await provider.wrapKey(generateKey(), context);

    expect(wrapped).toMatchObject({
      providerType: 'cybersentriq',
      providerKeyId: 'platform-master-key/1',
      mechanism: 'AES-256-GCM',
      formatVersion: 1,
      context,
    });
    expect(wrapped.ciphertext).toHaveLength(60);
  });

  it('round trip', async () => {
    const key = generateKey();

    const unwrapped = await provider.unwrapKey(await provider.wrapKey(key, context), context);

    expect(unwrapped.equals(key)).toBe(true);
  });

  it.each([
    ['company', { companyId: 'company-2', companyKeyVersion: 1 }],
    ['version', { companyId: 'company-1', companyKeyVersion: 2 }],
  ])('other %s is KEY_UNAVAILABLE', async (_case, otherContext) => {
    const wrapped = await provider.wrapKey(generateKey(), context);

    await expect(provider.unwrapKey(wrapped, otherContext)).rejects.toMatchObject({
      code: 'KEY_UNAVAILABLE',
    });
  });

  it('relabelled stored context is KEY_UNAVAILABLE', async () => {
    const wrapped = await provider.wrapKey(generateKey(), context);
    const otherContext = { companyId: 'company-2', companyKeyVersion: 1 };

    await expect(
      provider.unwrapKey({ ...wrapped, context: otherContext }, otherContext),
    ).rejects.toMatchObject({
      code: 'KEY_UNAVAILABLE',
    });
  });

  it('damaged ciphertext is KEY_UNAVAILABLE', async () => {
    const wrapped = await provider.wrapKey(generateKey(), context);
    wrapped.ciphertext[20] = wrapped.ciphertext[20]! ^ 1;

    await expect(provider.unwrapKey(wrapped, context)).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' });
  });

  it('key id of another master key version is KEY_UNAVAILABLE', async () => {
    await provider.rotate();
    const wrapped = await provider.wrapKey(generateKey(), context);

    await expect(
      provider.unwrapKey({ ...wrapped, providerKeyId: 'platform-master-key/1' }, context),
    ).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' });
  });

  it.each([
    ['unknown version', { providerKeyId: 'platform-master-key/9' }],
    ['malformed key id', { providerKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/x' }],
    ['other mechanism', { mechanism: 'AWS-KMS-SYMMETRIC_DEFAULT' }],
    ['other format version', { formatVersion: 2 }],
  ])('%s is KEY_UNAVAILABLE', async (_case, change: Partial<WrappedKey>) => {
    const wrapped = await provider.wrapKey(generateKey(), context);

    await expect(provider.unwrapKey({ ...wrapped, ...change }, context)).rejects.toMatchObject({
      code: 'KEY_UNAVAILABLE',
    });
  });

  it('after rotate, new wraps use the new version and old ones unwrap', async () => {
    const key = generateKey();
    const before = await provider.wrapKey(key, context);

    await provider.rotate();
    const after = await provider.wrapKey(key, context);

    expect(after.providerKeyId).toBe('platform-master-key/2');
    expect((await provider.unwrapKey(before, context)).equals(key)).toBe(true);
    expect((await provider.unwrapKey(after, context)).equals(key)).toBe(true);
  });

  it('uses a version rotated by another process', async () => {
    const other = new LocalPlatformKeyProvider(await MasterKeyFile.open(directory));
    await other.rotate();
    const key = generateKey();

    const wrapped = await other.wrapKey(key, context);

    expect((await provider.unwrapKey(wrapped, context)).equals(key)).toBe(true);
    expect((await provider.wrapKey(key, context)).providerKeyId).toBe('platform-master-key/2');
  });

  it('rewrapKey moves a key to the current version', async () => {
    const key = generateKey();
    const before = await provider.wrapKey(key, context);
    await provider.rotate();

    const after = await rewrapKey(before, provider, provider);

    expect(after.providerKeyId).toBe('platform-master-key/2');
    expect((await provider.unwrapKey(after, context)).equals(key)).toBe(true);
  });

  it('describe names the backend and versions, no key material', () => {
    const description = provider.describe();

    expect(description).toMatchObject({ providerType: 'cybersentriq', backend: 'local-file' });
    expect(JSON.stringify(description)).not.toContain('"key"');
  });

  it('testConnection passes', async () => {
    await expect(provider.testConnection()).resolves.toMatchObject({
      providerKeyId: 'platform-master-key/1',
    });
  });
});
