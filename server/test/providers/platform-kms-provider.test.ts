import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  type DecryptCommand,
  type DecryptCommandOutput,
  EncryptCommand,
  type EncryptCommandOutput,
  KMSClient,
} from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { generateKey } from '../../src/keys/aes-gcm.js';
import {
  createPlatformKmsClient,
  type PlatformKmsClient,
  PlatformKmsKeyProvider,
  regionOfKeyArn,
  translateKmsError,
} from '../../src/providers/cybersentriq/platform-kms-provider.js';

const keyArn = 'arn:aws:kms:eu-west-1:156214480941:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const oldKeyArn = 'arn:aws:kms:eu-west-1:156214480941:key/0000abcd-12ab-34cd-56ef-1234567890ab';
const context = { companyId: 'company-1', companyKeyVersion: 3 };

/**
 * A small stand-in for KMS: Encrypt seals the plaintext with AES-GCM under a per-key secret and binds
 * the key id and EncryptionContext as AAD, as KMS binds them to its ciphertext.
 */
class FakeKms implements PlatformKmsClient {
  readonly calls: Array<EncryptCommand | DecryptCommand> = [];
  readonly #secrets = new Map<string, Buffer>();
  /** Overrides the KeyId in responses, to test the KeyId postcondition. */
  answerKeyId: string | undefined;
  failWith: Error | undefined;

  send(command: EncryptCommand): Promise<EncryptCommandOutput>;
  send(command: DecryptCommand): Promise<DecryptCommandOutput>;
  async send(command: EncryptCommand | DecryptCommand): Promise<EncryptCommandOutput | DecryptCommandOutput> {
    this.calls.push(command);
    if (this.failWith !== undefined) throw this.failWith;
    const metadata = { $metadata: {} };

    if (command instanceof EncryptCommand) {
      const keyId = command.input.KeyId!;
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', this.#secret(keyId), nonce);
      cipher.setAAD(this.#aad(keyId, command.input.EncryptionContext));
      const body = Buffer.concat([cipher.update(command.input.Plaintext!), cipher.final()]);
      const blob = Buffer.concat([Buffer.from(keyId.padEnd(100)), nonce, body, cipher.getAuthTag()]);
      return { ...metadata, KeyId: this.answerKeyId ?? keyId, CiphertextBlob: blob };
    }

    const blob = Buffer.from(command.input.CiphertextBlob!);
    const keyId = blob.subarray(0, 100).toString().trimEnd();
    if (command.input.KeyId !== undefined && command.input.KeyId !== keyId) {
      throw Object.assign(new Error('key mismatch'), { name: 'IncorrectKeyException' });
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#secret(keyId), blob.subarray(100, 112));
    decipher.setAAD(this.#aad(keyId, command.input.EncryptionContext));
    decipher.setAuthTag(blob.subarray(blob.length - 16));
    try {
      const plaintext = Buffer.concat([
        decipher.update(blob.subarray(112, blob.length - 16)),
        decipher.final(),
      ]);
      return { ...metadata, KeyId: this.answerKeyId ?? keyId, Plaintext: plaintext };
    } catch {
      throw Object.assign(new Error('bad ciphertext'), { name: 'InvalidCiphertextException' });
    }
  }

  #secret(keyId: string): Buffer {
    let secret = this.#secrets.get(keyId);
    if (secret === undefined) {
      secret = randomBytes(32);
      this.#secrets.set(keyId, secret);
    }
    return secret;
  }

  #aad(keyId: string, encryptionContext: Record<string, string> | undefined): Buffer {
    const pairs = Object.entries(encryptionContext ?? {}).sort(([a], [b]) => a.localeCompare(b));
    return Buffer.from(JSON.stringify([keyId, pairs]));
  }
}

function setup(previousKeyArns: string[] = []) {
  const kms = new FakeKms();
  const provider = new PlatformKmsKeyProvider({ keyArn, previousKeyArns }, kms);
  return { kms, provider };
}

describe('platform KMS key provider', () => {
  it('wrap calls Encrypt with the key ARN and encryption context', async () => {
    const { kms, provider } = setup();

    const wrapped = await provider.wrapKey(generateKey(), context);

    const call = kms.calls[0] as EncryptCommand;
    expect(call).toBeInstanceOf(EncryptCommand);
    expect(call.input.KeyId).toBe(keyArn);
    expect(call.input.EncryptionContext).toEqual({
      'cybersentriq:company-id': 'company-1',
      'cybersentriq:company-key-version': '3',
    });
    expect(wrapped).toMatchObject({
      providerType: 'cybersentriq',
      providerKeyId: keyArn,
      mechanism: 'AWS-KMS-SYMMETRIC_DEFAULT',
      formatVersion: 1,
      context,
    });
  });

  it('round trip pins the key ARN in Decrypt', async () => {
    const { kms, provider } = setup();
    const key = generateKey();

    const unwrapped = await provider.unwrapKey(await provider.wrapKey(key, context), context);

    expect(unwrapped.equals(key)).toBe(true);
    expect((kms.calls[1] as DecryptCommand).input.KeyId).toBe(keyArn);
  });

  it('other context is KEY_UNAVAILABLE without a KMS call', async () => {
    const { kms, provider } = setup();
    const wrapped = await provider.wrapKey(generateKey(), context);

    await expect(provider.unwrapKey(wrapped, { ...context, companyKeyVersion: 4 })).rejects.toMatchObject({
      code: 'KEY_UNAVAILABLE',
    });
    expect(kms.calls).toHaveLength(1);
  });

  it('relabelled stored context fails in KMS as KEY_UNAVAILABLE', async () => {
    const { provider } = setup();
    const wrapped = await provider.wrapKey(generateKey(), context);
    const other = { companyId: 'company-2', companyKeyVersion: 3 };

    await expect(provider.unwrapKey({ ...wrapped, context: other }, other)).rejects.toMatchObject({
      code: 'KEY_UNAVAILABLE',
    });
  });

  it('Encrypt answering another KeyId is rejected', async () => {
    const { kms, provider } = setup();
    kms.answerKeyId = oldKeyArn;

    await expect(provider.wrapKey(generateKey(), context)).rejects.toMatchObject({
      code: 'KEY_UNAVAILABLE',
      message: expect.stringContaining('instead of the requested') as unknown as string,
    });
  });

  it('Decrypt answering another KeyId is rejected', async () => {
    const { kms, provider } = setup();
    const wrapped = await provider.wrapKey(generateKey(), context);
    kms.answerKeyId = oldKeyArn;

    await expect(provider.unwrapKey(wrapped, context)).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' });
  });

  it('unwraps keys of a previous platform key ARN', async () => {
    const { kms, provider } = setup([oldKeyArn]);
    const old = new PlatformKmsKeyProvider({ keyArn: oldKeyArn }, kms);
    const key = generateKey();

    const unwrapped = await provider.unwrapKey(await old.wrapKey(key, context), context);

    expect(unwrapped.equals(key)).toBe(true);
  });

  it('rejects a wrapped key naming an unconfigured key ARN', async () => {
    const { kms, provider } = setup();
    const other = new PlatformKmsKeyProvider({ keyArn: oldKeyArn }, kms);
    const wrapped = await other.wrapKey(generateKey(), context);

    await expect(provider.unwrapKey(wrapped, context)).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' });
    expect(kms.calls).toHaveLength(1);
  });

  it('rejects a key wrapped by the local master key file', async () => {
    const { provider } = setup();
    const local = {
      providerType: 'cybersentriq' as const,
      providerKeyId: 'platform-master-key/1',
      mechanism: 'AES-256-GCM',
      formatVersion: 1,
      ciphertext: randomBytes(60),
      context,
    };

    await expect(provider.unwrapKey(local, context)).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' });
  });

  it.each([
    ['alias ARN', 'arn:aws:kms:eu-west-1:156214480941:alias/platform'],
    ['bare key id', '1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['short account', 'arn:aws:kms:eu-west-1:1562:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
  ])('rejects %s as INVALID_INPUT', (_case, badArn) => {
    expect(() => new PlatformKmsKeyProvider({ keyArn: badArn }, new FakeKms())).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });

  it('testConnection round trips', async () => {
    const { provider } = setup();

    await expect(provider.testConnection()).resolves.toMatchObject({ providerKeyId: keyArn });
  });

  it('describe shows the ARN and no secrets', () => {
    expect(setup().provider.describe()).toMatchObject({ backend: 'aws-kms', providerKeyId: keyArn });
  });
});

describe('platform KMS error translation', () => {
  it.each([
    ['AccessDeniedException', 'PLATFORM_CREDENTIALS'],
    ['UnrecognizedClientException', 'PLATFORM_CREDENTIALS'],
    ['CredentialsProviderError', 'PLATFORM_CREDENTIALS'],
    ['DisabledException', 'PLATFORM_CREDENTIALS'],
    ['NotFoundException', 'PLATFORM_CREDENTIALS'],
    ['InvalidCiphertextException', 'KEY_UNAVAILABLE'],
    ['ThrottlingException', 'PROVIDER_UNREACHABLE'],
    ['KMSInternalException', 'PROVIDER_UNREACHABLE'],
    ['SomethingNew', 'INTERNAL'],
  ])('%s becomes %s', (name, code) => {
    const error = Object.assign(new Error('raw SDK text with secret detail'), { name });

    const translated = translateKmsError(error, 'Decrypt', keyArn, context);

    expect(translated.code).toBe(code);
    expect(translated.message).not.toContain('raw SDK text');
    expect(translated.cause).toBe(error);
  });

  it('network failure is PROVIDER_UNREACHABLE', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

    expect(translateKmsError(error, 'Encrypt', keyArn, context).code).toBe('PROVIDER_UNREACHABLE');
  });

  it('5xx status is PROVIDER_UNREACHABLE', () => {
    const error = Object.assign(new Error('x'), { name: 'Unknown', $metadata: { httpStatusCode: 503 } });

    expect(translateKmsError(error, 'Encrypt', keyArn, context).code).toBe('PROVIDER_UNREACHABLE');
  });

  it('provider wraps SDK failures', async () => {
    const { kms, provider } = setup();
    kms.failWith = Object.assign(new Error('denied'), { name: 'AccessDeniedException' });

    await expect(provider.wrapKey(generateKey(), context)).rejects.toMatchObject({
      code: 'PLATFORM_CREDENTIALS',
    });
  });
});

describe('platform KMS client', () => {
  it('takes the region from the key ARN', async () => {
    const client = createPlatformKmsClient({ keyArn, endpoint: 'http://127.0.0.1:1' });

    expect(await client.config.region()).toBe('eu-west-1');
    client.destroy();
  });

  it('KMSClient satisfies PlatformKmsClient', () => {
    const client: PlatformKmsClient = new KMSClient({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
    });

    expect(client).toBeDefined();
  });

  it('regionOfKeyArn handles partitions', () => {
    expect(
      regionOfKeyArn(
        'arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      ),
    ).toBe('us-gov-west-1');
  });
});
