import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateRandomCommand,
  GetKeyRotationStatusCommand,
  GetPublicKeyCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeyPoliciesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  ReEncryptCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrincipalCredentials } from '../src/sandbox-config.js';
import { expectResponsesMatchModels } from './helpers/response-shapes.js';
import {
  assumeRole,
  failure,
  iamClient,
  kmsClient,
  policyText,
  recordedResponses,
  startTestSandbox,
  type TestSandbox,
} from './helpers/sandbox-fixture.js';

let sandbox: TestSandbox;
let admin: PrincipalCredentials;
let accountId: string;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  admin = sandbox.config.aws.customerAdmin;
  accountId = admin.accountId;
});

afterAll(async () => {
  await sandbox.stop();
  expectResponsesMatchModels(recordedResponses);
});

/** Creates a role the customer admin may assume, with the given identity policy statements. */
async function roleWith(name: string, statements: object[]): Promise<string> {
  const iam = iamClient(sandbox, admin);
  const trust = policyText([
    { Effect: 'Allow', Principal: { AWS: admin.principalArn }, Action: 'sts:AssumeRole' },
  ]);
  const role = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
  if (statements.length > 0) {
    await iam.send(
      new PutRolePolicyCommand({ RoleName: name, PolicyName: 'p', PolicyDocument: policyText(statements) }),
    );
  }
  return role.Role!.Arn!;
}

describe('KMS key operations', () => {
  it('ListKeys lists created keys', async () => {
    const kms = kmsClient(sandbox, admin);
    const created = await kms.send(new CreateKeyCommand({}));
    const listed = await kms.send(new ListKeysCommand({}));
    expect(listed.Keys?.map((key) => key.KeyArn)).toContain(created.KeyMetadata!.Arn);
  });

  it('aliases update and delete', async () => {
    const kms = kmsClient(sandbox, admin);
    const first = await kms.send(new CreateKeyCommand({}));
    const second = await kms.send(new CreateKeyCommand({}));
    await kms.send(
      new CreateAliasCommand({ AliasName: 'alias/moving', TargetKeyId: first.KeyMetadata!.KeyId }),
    );
    await kms.send(
      new UpdateAliasCommand({ AliasName: 'alias/moving', TargetKeyId: second.KeyMetadata!.KeyId }),
    );
    const described = await kms.send(
      new DescribeKeyCommand({ KeyId: `arn:aws:kms:us-east-1:${accountId}:alias/moving` }),
    );
    expect(described.KeyMetadata?.KeyId).toBe(second.KeyMetadata!.KeyId);
    const filtered = await kms.send(new ListAliasesCommand({ KeyId: second.KeyMetadata!.KeyId }));
    expect(filtered.Aliases?.map((alias) => alias.AliasName)).toEqual(['alias/moving']);
    await kms.send(new DeleteAliasCommand({ AliasName: 'alias/moving' }));
    const gone = await failure(kms.send(new DescribeKeyCommand({ KeyId: 'alias/moving' })));
    expect(gone.name).toBe('NotFoundException');
  });

  it('rotation disable', async () => {
    const kms = kmsClient(sandbox, admin);
    const key = await kms.send(new CreateKeyCommand({}));
    await kms.send(new DisableKeyRotationCommand({ KeyId: key.KeyMetadata!.KeyId }));
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyMetadata!.KeyId }));
    expect(status.KeyRotationEnabled).toBe(false);
  });

  it('description, policy names and untag', async () => {
    const kms = kmsClient(sandbox, admin);
    const key = await kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'a', TagValue: '1' }] }));
    const keyId = key.KeyMetadata!.KeyId!;
    await kms.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: 'renamed' }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.Description).toBe(
      'renamed',
    );
    expect((await kms.send(new ListKeyPoliciesCommand({ KeyId: keyId }))).PolicyNames).toEqual(['default']);
    await kms.send(new UntagResourceCommand({ KeyId: keyId, TagKeys: ['a'] }));
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags).toEqual([]);
  });

  it('tags round trip', async () => {
    const kms = kmsClient(sandbox, admin);
    const key = await kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'owner', TagValue: 'redapp' }] }));
    await kms.send(
      new TagResourceCommand({ KeyId: key.KeyMetadata!.KeyId, Tags: [{ TagKey: 'env', TagValue: 'test' }] }),
    );
    const tags = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyMetadata!.KeyId }));
    expect(tags.Tags).toEqual([
      { TagKey: 'owner', TagValue: 'redapp' },
      { TagKey: 'env', TagValue: 'test' },
    ]);
  });

  it('multi-Region key metadata', async () => {
    const key = await kmsClient(sandbox, admin).send(new CreateKeyCommand({ MultiRegion: true }));
    expect(key.KeyMetadata?.KeyId).toMatch(/^mrk-[0-9a-f]{32}$/);
    expect(key.KeyMetadata?.MultiRegionConfiguration?.MultiRegionKeyType).toBe('PRIMARY');
  });

  it('ReEncrypt moves ciphertext between keys', async () => {
    const kms = kmsClient(sandbox, admin);
    const source = await kms.send(new CreateKeyCommand({}));
    const destination = await kms.send(new CreateKeyCommand({}));
    const encrypted = await kms.send(
      new EncryptCommand({
        KeyId: source.KeyMetadata!.KeyId,
        Plaintext: Buffer.from('move me'),
        EncryptionContext: { a: '1' },
      }),
    );
    const moved = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob: encrypted.CiphertextBlob,
        SourceEncryptionContext: { a: '1' },
        DestinationKeyId: destination.KeyMetadata!.Arn,
        DestinationEncryptionContext: { b: '2' },
      }),
    );
    expect(moved.SourceKeyId).toBe(source.KeyMetadata!.Arn);
    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: moved.CiphertextBlob, EncryptionContext: { b: '2' } }),
    );
    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('move me');
    expect(decrypted.KeyId).toBe(destination.KeyMetadata!.Arn);
  });

  it('GenerateDataKeyWithoutPlaintext and GenerateRandom', async () => {
    const kms = kmsClient(sandbox, admin);
    const key = await kms.send(new CreateKeyCommand({}));
    const dataKey = await kms.send(
      new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.KeyMetadata!.KeyId, NumberOfBytes: 64 }),
    );
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }));
    expect(decrypted.Plaintext).toHaveLength(64);
    const both = await failure(
      kms.send(
        new GenerateDataKeyWithoutPlaintextCommand({
          KeyId: key.KeyMetadata!.KeyId,
          NumberOfBytes: 64,
          KeySpec: 'AES_256',
        }),
      ),
    );
    expect(both.name).toBe('ValidationException');
    const random = await kms.send(new GenerateRandomCommand({ NumberOfBytes: 16 }));
    expect(random.Plaintext).toHaveLength(16);
  });

  it('RSA key encrypts with OAEP', async () => {
    const kms = kmsClient(sandbox, admin);
    const key = await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }));
    const keyId = key.KeyMetadata!.KeyId!;
    expect(key.KeyMetadata?.EncryptionAlgorithms).toEqual(['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']);
    const publicKey = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    expect(publicKey.KeySpec).toBe('RSA_2048');
    const encrypted = await kms.send(
      new EncryptCommand({
        KeyId: keyId,
        Plaintext: Buffer.from('asymmetric'),
        EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
      }),
    );
    const decrypted = await kms.send(
      new DecryptCommand({
        KeyId: keyId,
        CiphertextBlob: encrypted.CiphertextBlob,
        EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
      }),
    );
    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('asymmetric');
  });

  it('key is deleted after waiting period', async () => {
    const kms = kmsClient(sandbox, admin);
    const key = await kms.send(new CreateKeyCommand({}));
    await kms.send(
      new CreateAliasCommand({ AliasName: 'alias/doomed', TargetKeyId: key.KeyMetadata!.KeyId }),
    );
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyMetadata!.KeyId, PendingWindowInDays: 7 }));
    sandbox.advance(7 * 24 * 3600 + 1);
    const later = kmsClient(sandbox, admin);
    const gone = await failure(later.send(new DescribeKeyCommand({ KeyId: key.KeyMetadata!.Arn })));
    expect(gone.name).toBe('NotFoundException');
    const aliases = await later.send(new ListAliasesCommand({}));
    expect(aliases.Aliases?.map((alias) => alias.AliasName)).not.toContain('alias/doomed');
  });

  it('ciphertext from another region is invalid', async () => {
    const kms = kmsClient(sandbox, admin);
    const key = await kms.send(new CreateKeyCommand({}));
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: key.KeyMetadata!.Arn, Plaintext: Buffer.from('x') }),
    );
    const elsewhere = kmsClient(sandbox, admin, 'eu-west-1');
    const failed = await failure(
      elsewhere.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob })),
    );
    expect(failed.name).toBe('InvalidCiphertextException');
  });

  it('DryRun checks permission only', async () => {
    const kms = kmsClient(sandbox, admin);
    const key = await kms.send(new CreateKeyCommand({}));
    const dryRun = await failure(
      kms.send(
        new EncryptCommand({ KeyId: key.KeyMetadata!.KeyId, Plaintext: Buffer.from('x'), DryRun: true }),
      ),
    );
    expect(dryRun.name).toBe('DryRunOperationException');
    const readOnly = sandbox.config.aws.customerReadOnly;
    const denied = await failure(
      kmsClient(sandbox, readOnly).send(
        new EncryptCommand({ KeyId: key.KeyMetadata!.Arn, Plaintext: Buffer.from('x'), DryRun: true }),
      ),
    );
    expect(denied.name).toBe('AccessDeniedException');
  });

  it('key policy naming missing principal rejected', async () => {
    const policy = policyText([
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:role/DoesNotExist` },
        Action: 'kms:Decrypt',
        Resource: '*',
      },
    ]);
    const failed = await failure(kmsClient(sandbox, admin).send(new CreateKeyCommand({ Policy: policy })));
    expect(failed.name).toBe('MalformedPolicyDocumentException');
  });
});

describe('grants', () => {
  it('grant gives a role Decrypt until retired', async () => {
    const kms = kmsClient(sandbox, admin);
    const key = await kms.send(new CreateKeyCommand({}));
    const keyArn = key.KeyMetadata!.Arn!;
    const roleArn = await roleWith('GrantHolder', []);
    const session = await assumeRole(sandbox, admin, roleArn);
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('x'), EncryptionContext: { tenant: 't1' } }),
    );
    const decrypt = () =>
      kmsClient(sandbox, session).send(
        new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { tenant: 't1' } }),
      );

    expect((await failure(decrypt())).name).toBe('AccessDeniedException');
    const grant = await kms.send(
      new CreateGrantCommand({
        KeyId: keyArn,
        GranteePrincipal: roleArn,
        Operations: ['Decrypt', 'RetireGrant'],
        Constraints: { EncryptionContextSubset: { tenant: 't1' } },
        Name: 'decrypt-for-role',
      }),
    );
    expect(Buffer.from((await decrypt()).Plaintext!).toString()).toBe('x');

    const listed = await kms.send(new ListGrantsCommand({ KeyId: keyArn }));
    expect(listed.Grants?.[0]?.GranteePrincipal).toBe(roleArn);
    expect(listed.Grants?.[0]?.Operations).toEqual(['Decrypt', 'RetireGrant']);

    await kmsClient(sandbox, session).send(new RetireGrantCommand({ KeyId: keyArn, GrantId: grant.GrantId }));
    expect((await failure(decrypt())).name).toBe('AccessDeniedException');
  });

  it('grant constraint limits context', async () => {
    const kms = kmsClient(sandbox, admin);
    const key = await kms.send(new CreateKeyCommand({}));
    const roleArn = await roleWith('ConstrainedGrant', []);
    await kms.send(
      new CreateGrantCommand({
        KeyId: key.KeyMetadata!.KeyId,
        GranteePrincipal: roleArn,
        Operations: ['Encrypt'],
        Constraints: { EncryptionContextEquals: { tenant: 't1' } },
      }),
    );
    const session = await assumeRole(sandbox, admin, roleArn);
    const encryptWith = (encryptionContext: Record<string, string>) =>
      kmsClient(sandbox, session).send(
        new EncryptCommand({
          KeyId: key.KeyMetadata!.Arn,
          Plaintext: Buffer.from('x'),
          EncryptionContext: encryptionContext,
        }),
      );

    expect((await encryptWith({ tenant: 't1' })).KeyId).toBe(key.KeyMetadata!.Arn);
    expect((await failure(encryptWith({ tenant: 't2' }))).name).toBe('AccessDeniedException');

    // Grant constraints compare keys case-insensitively and values case-sensitively.
    expect((await encryptWith({ TENANT: 't1' })).KeyId).toBe(key.KeyMetadata!.Arn);
    expect((await failure(encryptWith({ tenant: 'T1' }))).name).toBe('AccessDeniedException');
  });

  it('CreateGrant conditions bind grantee and operations', async () => {
    const kms = kmsClient(sandbox, admin);
    const key = await kms.send(new CreateKeyCommand({}));
    const keyArn = key.KeyMetadata!.Arn!;
    const roleName = 'GrantCreator';
    const roleArn = `arn:aws:iam::${accountId}:role/${roleName}`;
    await roleWith(roleName, [
      {
        Effect: 'Allow',
        Action: 'kms:CreateGrant',
        Resource: keyArn,
        Condition: {
          StringEquals: { 'kms:GranteePrincipal': roleArn },
          'ForAllValues:StringEquals': { 'kms:GrantOperations': ['Encrypt', 'Decrypt', 'GenerateDataKey'] },
        },
      },
      { Effect: 'Allow', Action: ['kms:RevokeGrant', 'kms:ListGrants'], Resource: keyArn },
    ]);
    const session = kmsClient(sandbox, await assumeRole(sandbox, admin, roleArn));

    const own = await session.send(
      new CreateGrantCommand({ KeyId: keyArn, GranteePrincipal: roleArn, Operations: ['Decrypt'] }),
    );
    expect(own.GrantId).toMatch(/^[0-9a-f]{64}$/);
    const otherGrantee = await failure(
      session.send(
        new CreateGrantCommand({
          KeyId: keyArn,
          GranteePrincipal: admin.principalArn,
          Operations: ['Decrypt'],
        }),
      ),
    );
    expect(otherGrantee.name).toBe('AccessDeniedException');
    const widerOperations = await failure(
      session.send(
        new CreateGrantCommand({
          KeyId: keyArn,
          GranteePrincipal: roleArn,
          Operations: ['Decrypt', 'CreateGrant'],
        }),
      ),
    );
    expect(widerOperations.name).toBe('AccessDeniedException');

    await session.send(new RevokeGrantCommand({ KeyId: keyArn, GrantId: own.GrantId }));
    const listed = await session.send(new ListGrantsCommand({ KeyId: keyArn }));
    expect(listed.Grants).toEqual([]);
  });
});
