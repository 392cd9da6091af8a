import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  ListAliasesCommand,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrincipalCredentials } from '../src/sandbox-config.js';
import { expectResponsesMatchModels } from './helpers/response-shapes.js';
import {
  assumeRole,
  type Credentials,
  failure,
  iamClient,
  kmsClient,
  policyText,
  recordedResponses,
  startTestSandbox,
  stsClient,
  type TestSandbox,
} from './helpers/sandbox-fixture.js';

const EXTERNAL_ID = '6f1c1f0e-3f51-4d5c-9d0b-1d2f3a4b5c6d';
const ROLE_NAME = 'CyberSentriqKmsAccess';
const CONTEXT = { company: 'c-42', purpose: 'company-key' };

let sandbox: TestSandbox;
let admin: PrincipalCredentials;
let platform: PrincipalCredentials;
let accountId: string;
let keyArn: string;
let roleArn: string;

/** Creates a key with the default key policy and a role the platform may assume with EXTERNAL_ID. */
async function setUpCustomer(
  roleName: string,
  roleActions: string[],
): Promise<{ keyArn: string; roleArn: string }> {
  const kms = kmsClient(sandbox, admin);
  const iam = iamClient(sandbox, admin);
  const created = await kms.send(new CreateKeyCommand({ Description: `key for ${roleName}` }));
  const arn = created.KeyMetadata!.Arn!;
  const trust = policyText([
    {
      Effect: 'Allow',
      Principal: { AWS: sandbox.config.aws.platform.principalArn },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } },
    },
  ]);
  const role = await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust }));
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: 'kms-access',
      PolicyDocument: policyText([{ Effect: 'Allow', Action: roleActions, Resource: arn }]),
    }),
  );
  return { keyArn: arn, roleArn: role.Role!.Arn! };
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  admin = sandbox.config.aws.customerAdmin;
  platform = sandbox.config.aws.platform;
  accountId = sandbox.config.aws.customerAdmin.accountId;
  ({ keyArn, roleArn } = await setUpCustomer(ROLE_NAME, [
    'kms:DescribeKey',
    'kms:Encrypt',
    'kms:Decrypt',
    'kms:GenerateDataKey',
  ]));
});

afterAll(async () => {
  await sandbox.stop();
  expectResponsesMatchModels(recordedResponses);
});

describe('identity', () => {
  it('GetCallerIdentity reports each seeded user', async () => {
    for (const principal of [sandbox.config.aws.platform, admin, sandbox.config.aws.customerReadOnly]) {
      const identity = await stsClient(sandbox, principal).send(new GetCallerIdentityCommand({}));
      expect(identity.Arn).toBe(principal.principalArn);
      expect(identity.Account).toBe(principal.accountId);
      expect(identity.UserId).toMatch(/^AIDA[A-Z2-7]{16}$/);
    }
  });

  it('assumed-role session reports assumed-role ARN', async () => {
    const session = await assumeRole(sandbox, admin, sandbox.config.aws.customerAdminRole.roleArn, {
      sessionName: 'cloudshell',
    });
    const identity = await stsClient(sandbox, session).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(
      `arn:aws:sts::${accountId}:assumed-role/${sandbox.config.aws.customerAdminRole.roleName}/cloudshell`,
    );
    expect(identity.UserId).toMatch(/^AROA[A-Z2-7]{16}:cloudshell$/);
  });
});

describe('setup script calls', () => {
  it('alias, rotation and key policy', async () => {
    const kms = kmsClient(sandbox, admin);
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/cybersentriq-backup', TargetKeyId: keyArn }));
    const aliases = await kms.send(new ListAliasesCommand({}));
    expect(aliases.Aliases?.map((alias) => alias.AliasName)).toContain('alias/cybersentriq-backup');
    const byAlias = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/cybersentriq-backup' }));
    expect(byAlias.KeyMetadata?.Arn).toBe(keyArn);

    const duplicate = await failure(
      kms.send(new CreateAliasCommand({ AliasName: 'alias/cybersentriq-backup', TargetKeyId: keyArn })),
    );
    expect(duplicate.name).toBe('AlreadyExistsException');

    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyArn }))).KeyRotationEnabled).toBe(
      false,
    );
    await kms.send(new EnableKeyRotationCommand({ KeyId: keyArn }));
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyArn }))).KeyRotationEnabled).toBe(
      true,
    );

    const policy = await kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }));
    expect(JSON.parse(policy.Policy!).Statement[0].Principal.AWS).toBe(`arn:aws:iam::${accountId}:root`);
  });

  it('role and role policy round trip', async () => {
    const iam = iamClient(sandbox, admin);
    const role = await iam.send(new GetRoleCommand({ RoleName: ROLE_NAME }));
    expect(role.Role?.Arn).toBe(roleArn);
    expect(
      JSON.parse(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!)).Statement[0].Condition,
    ).toEqual({
      StringEquals: { 'sts:ExternalId': EXTERNAL_ID },
    });
    const names = await iam.send(new ListRolePoliciesCommand({ RoleName: ROLE_NAME }));
    expect(names.PolicyNames).toEqual(['kms-access']);
    const policy = await iam.send(
      new GetRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: 'kms-access' }),
    );
    expect(JSON.parse(decodeURIComponent(policy.PolicyDocument!)).Statement[0].Resource).toBe(keyArn);
  });

  it('setup works as assumed-role session', async () => {
    const session = await assumeRole(sandbox, admin, sandbox.config.aws.customerAdminRole.roleArn);
    const iam = iamClient(sandbox, session);
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'from-session',
        AssumeRolePolicyDocument: policyText([
          { Effect: 'Allow', Principal: { AWS: accountId }, Action: 'sts:AssumeRole' },
        ]),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'from-session',
        PolicyName: 'p',
        PolicyDocument: policyText([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' }]),
      }),
    );
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'from-session', PolicyName: 'p' }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'from-session' }));
    const gone = await failure(iam.send(new GetRoleCommand({ RoleName: 'from-session' })));
    expect(gone.name).toBe('NoSuchEntityException');
    expect(gone.status).toBe(404);
    const created = await kmsClient(sandbox, session).send(new CreateKeyCommand({}));
    expect(created.KeyMetadata?.AWSAccountId).toBe(accountId);
  });

  it('read-only user cannot create keys or roles', async () => {
    const readOnly = sandbox.config.aws.customerReadOnly;
    const key = await failure(kmsClient(sandbox, readOnly).send(new CreateKeyCommand({})));
    expect(key.name).toBe('AccessDeniedException');
    const role = await failure(
      iamClient(sandbox, readOnly).send(
        new CreateRoleCommand({
          RoleName: 'nope',
          AssumeRolePolicyDocument: policyText([
            { Effect: 'Allow', Principal: { AWS: accountId }, Action: 'sts:AssumeRole' },
          ]),
        }),
      ),
    );
    expect(role.name).toBe('AccessDenied');
    expect(role.status).toBe(403);
    expect(role.message).toBe(
      `User: ${readOnly.principalArn} is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::${accountId}:role/nope because no identity-based policy allows the iam:CreateRole action`,
    );
  });
});

describe('AssumeRole with External ID', () => {
  it('right External ID is accepted', async () => {
    const session = await assumeRole(sandbox, platform, roleArn, {
      externalId: EXTERNAL_ID,
      sessionName: 'redapp-test',
    });
    const identity = await stsClient(sandbox, session).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(`arn:aws:sts::${accountId}:assumed-role/${ROLE_NAME}/redapp-test`);
  });

  it('wrong External ID is denied', async () => {
    const denied = await failure(assumeRole(sandbox, platform, roleArn, { externalId: 'wrong-external-id' }));
    expect(denied.name).toBe('AccessDenied');
    expect(denied.status).toBe(403);
    expect(denied.message).toBe(
      `User: ${platform.principalArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    );
  });

  it('missing External ID is denied', async () => {
    const denied = await failure(assumeRole(sandbox, platform, roleArn));
    expect(denied.name).toBe('AccessDenied');
  });

  it('user not named in trust policy is denied', async () => {
    const denied = await failure(
      assumeRole(sandbox, sandbox.config.aws.customerReadOnly, roleArn, { externalId: EXTERNAL_ID }),
    );
    expect(denied.name).toBe('AccessDenied');
  });

  it('root user cannot assume roles', async () => {
    const denied = await failure(
      assumeRole(sandbox, sandbox.config.aws.customerRoot, sandbox.config.aws.customerAdminRole.roleArn),
    );
    expect(denied.name).toBe('AccessDenied');
    expect(denied.message).toBe('Roles may not be assumed by root accounts.');
  });

  it('duration above role maximum fails', async () => {
    const denied = await failure(
      assumeRole(sandbox, platform, roleArn, { externalId: EXTERNAL_ID, durationSeconds: 7200 }),
    );
    expect(denied.name).toBe('ValidationError');
    expect(denied.message).toBe(
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  });

  it('issued session survives trust change', async () => {
    const { roleArn: otherRole } = await setUpCustomer('TrustChange', ['kms:DescribeKey']);
    const session = await assumeRole(sandbox, platform, otherRole, { externalId: EXTERNAL_ID });
    await iamClient(sandbox, admin).send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'TrustChange',
        PolicyDocument: policyText([
          { Effect: 'Allow', Principal: { AWS: admin.principalArn }, Action: 'sts:AssumeRole' },
        ]),
      }),
    );
    const identity = await stsClient(sandbox, session).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toContain('assumed-role/TrustChange/');
    const denied = await failure(assumeRole(sandbox, platform, otherRole, { externalId: EXTERNAL_ID }));
    expect(denied.name).toBe('AccessDenied');
  });
});

describe('key use through the role', () => {
  let session: Credentials;
  beforeAll(async () => {
    session = await assumeRole(sandbox, platform, roleArn, { externalId: EXTERNAL_ID });
  });

  it('DescribeKey reports enabled symmetric key', async () => {
    const { KeyMetadata } = await kmsClient(sandbox, session).send(new DescribeKeyCommand({ KeyId: keyArn }));
    expect(KeyMetadata?.KeyState).toBe('Enabled');
    expect(KeyMetadata?.Enabled).toBe(true);
    expect(KeyMetadata?.KeySpec).toBe('SYMMETRIC_DEFAULT');
    expect(KeyMetadata?.KeyUsage).toBe('ENCRYPT_DECRYPT');
    expect(KeyMetadata?.CreationDate).toBeInstanceOf(Date);
  });

  it('GenerateDataKey and Decrypt round trip', async () => {
    const kms = kmsClient(sandbox, session);
    const dataKey = await kms.send(
      new GenerateDataKeyCommand({ KeyId: keyArn, KeySpec: 'AES_256', EncryptionContext: CONTEXT }),
    );
    expect(dataKey.Plaintext).toHaveLength(32);
    expect(dataKey.KeyId).toBe(keyArn);
    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: CONTEXT }),
    );
    expect(Buffer.from(decrypted.Plaintext!)).toEqual(Buffer.from(dataKey.Plaintext!));
    expect(decrypted.KeyId).toBe(keyArn);
  });

  it('Encrypt and Decrypt with KeyId', async () => {
    const kms = kmsClient(sandbox, session);
    const plaintext = Buffer.from('company key bytes');
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: keyArn, Plaintext: plaintext, EncryptionContext: CONTEXT }),
    );
    const decrypted = await kms.send(
      new DecryptCommand({
        KeyId: keyArn,
        CiphertextBlob: encrypted.CiphertextBlob,
        EncryptionContext: CONTEXT,
      }),
    );
    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('company key bytes');
  });

  it('wrong encryption context fails', async () => {
    const kms = kmsClient(sandbox, session);
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('x'), EncryptionContext: CONTEXT }),
    );
    const wrong = await failure(
      kms.send(
        new DecryptCommand({
          CiphertextBlob: encrypted.CiphertextBlob,
          EncryptionContext: { ...CONTEXT, company: 'c-43' },
        }),
      ),
    );
    expect(wrong.name).toBe('InvalidCiphertextException');
    const missing = await failure(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob })));
    expect(missing.name).toBe('InvalidCiphertextException');
  });

  it('Decrypt with another KeyId fails', async () => {
    const other = await kmsClient(sandbox, admin).send(new CreateKeyCommand({}));
    const kms = kmsClient(sandbox, admin);
    const encrypted = await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('x') }));
    const wrong = await failure(
      kms.send(
        new DecryptCommand({ KeyId: other.KeyMetadata!.Arn, CiphertextBlob: encrypted.CiphertextBlob }),
      ),
    );
    expect(wrong.name).toBe('IncorrectKeyException');
  });

  it('disabled key rejects Encrypt', async () => {
    const kms = kmsClient(sandbox, admin);
    await kms.send(new DisableKeyCommand({ KeyId: keyArn }));
    const described = await kmsClient(sandbox, session).send(new DescribeKeyCommand({ KeyId: keyArn }));
    expect(described.KeyMetadata?.KeyState).toBe('Disabled');
    expect(described.KeyMetadata?.Enabled).toBe(false);
    const disabled = await failure(
      kmsClient(sandbox, session).send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('x') })),
    );
    expect(disabled.name).toBe('DisabledException');
    await kms.send(new EnableKeyCommand({ KeyId: keyArn }));
    const enabled = await kmsClient(sandbox, session).send(new DescribeKeyCommand({ KeyId: keyArn }));
    expect(enabled.KeyMetadata?.KeyState).toBe('Enabled');
  });

  it('role without kms:Decrypt is denied Decrypt', async () => {
    const setup = await setUpCustomer('NoDecrypt', ['kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']);
    const limited = await assumeRole(sandbox, platform, setup.roleArn, {
      externalId: EXTERNAL_ID,
      sessionName: 'limited',
    });
    const kms = kmsClient(sandbox, limited);
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: setup.keyArn, Plaintext: Buffer.from('x') }),
    );
    const denied = await failure(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob })));
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.status).toBe(400);
    expect(denied.message).toBe(
      `User: arn:aws:sts::${accountId}:assumed-role/NoDecrypt/limited is not authorized to perform: kms:Decrypt on resource: ${setup.keyArn} because no identity-based policy allows the kms:Decrypt action`,
    );
  });

  it('explicit deny in key policy wins', async () => {
    const setup = await setUpCustomer('DeniedByKey', ['kms:*']);
    const policy = policyText([
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
      {
        Sid: 'DenyDecrypt',
        Effect: 'Deny',
        Principal: { AWS: setup.roleArn },
        Action: 'kms:Decrypt',
        Resource: '*',
      },
    ]);
    await kmsClient(sandbox, admin).send(
      new PutKeyPolicyCommand({ KeyId: setup.keyArn, PolicyName: 'default', Policy: policy }),
    );
    const denied = await assumeRole(sandbox, platform, setup.roleArn, {
      externalId: EXTERNAL_ID,
      sessionName: 'denied',
    });
    const kms = kmsClient(sandbox, denied);
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: setup.keyArn, Plaintext: Buffer.from('x') }),
    );
    const failed = await failure(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob })));
    expect(failed.name).toBe('AccessDeniedException');
    expect(failed.message).toBe(
      `User: arn:aws:sts::${accountId}:assumed-role/DeniedByKey/denied is not authorized to perform: kms:Decrypt on resource: ${setup.keyArn} with an explicit deny in a resource-based policy`,
    );
  });

  it('key policy without root statement ignores IAM', async () => {
    const setup = await setUpCustomer('NoRootDelegation', ['kms:*']);
    const policy = policyText([
      {
        Sid: 'AdminOnly',
        Effect: 'Allow',
        Principal: { AWS: admin.principalArn },
        Action: 'kms:*',
        Resource: '*',
      },
    ]);
    await kmsClient(sandbox, admin).send(new PutKeyPolicyCommand({ KeyId: setup.keyArn, Policy: policy }));
    const session = await assumeRole(sandbox, platform, setup.roleArn, {
      externalId: EXTERNAL_ID,
      sessionName: 'ignored',
    });
    const failed = await failure(
      kmsClient(sandbox, session).send(new DescribeKeyCommand({ KeyId: setup.keyArn })),
    );
    expect(failed.name).toBe('AccessDeniedException');
    expect(failed.message).toContain('because no resource-based policy allows the kms:DescribeKey action');
    const allowed = await kmsClient(sandbox, admin).send(new DescribeKeyCommand({ KeyId: setup.keyArn }));
    expect(allowed.KeyMetadata?.Arn).toBe(setup.keyArn);
  });

  it('key policy lockout is rejected', async () => {
    const setup = await setUpCustomer('Lockout', ['kms:DescribeKey']);
    const policy = policyText([
      { Effect: 'Allow', Principal: { AWS: setup.roleArn }, Action: 'kms:Decrypt', Resource: '*' },
    ]);
    const failed = await failure(
      kmsClient(sandbox, admin).send(new PutKeyPolicyCommand({ KeyId: setup.keyArn, Policy: policy })),
    );
    expect(failed.name).toBe('MalformedPolicyDocumentException');
  });

  it('missing key is NotFoundException', async () => {
    const missing = `arn:aws:kms:us-east-1:${accountId}:key/00000000-0000-4000-8000-000000000000`;
    const failed = await failure(
      kmsClient(sandbox, session).send(new DescribeKeyCommand({ KeyId: missing })),
    );
    expect(failed.name).toBe('NotFoundException');
  });

  it('key ARN of another region is NotFoundException', async () => {
    const otherRegion = keyArn.replace(':us-east-1:', ':eu-west-1:');
    const failed = await failure(
      kmsClient(sandbox, session).send(new DescribeKeyCommand({ KeyId: otherRegion })),
    );
    expect(failed.name).toBe('NotFoundException');
  });

  it('key in other region is not found', async () => {
    const failed = await failure(
      kmsClient(sandbox, session, 'eu-west-1').send(new DescribeKeyCommand({ KeyId: keyArn })),
    );
    expect(failed.name).toBe('NotFoundException');
  });

  it('cross-account key without rights is AccessDenied', async () => {
    const failed = await failure(
      kmsClient(sandbox, platform).send(new DescribeKeyCommand({ KeyId: keyArn })),
    );
    expect(failed.name).toBe('AccessDeniedException');
    expect(failed.message).toBe(
      `User: ${platform.principalArn} is not authorized to perform: kms:DescribeKey on resource: ${keyArn} because no resource-based policy allows the kms:DescribeKey action`,
    );
    const missing = keyArn.replace(/key\/.*/, 'key/00000000-0000-4000-8000-000000000000');
    const unknown = await failure(
      kmsClient(sandbox, platform).send(new DescribeKeyCommand({ KeyId: missing })),
    );
    expect(unknown.name).toBe('AccessDeniedException');
  });
});

describe('key specs and states', () => {
  it('asymmetric and HMAC specs are described', async () => {
    const kms = kmsClient(sandbox, admin);
    const cases = [
      { KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' },
      { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' },
      { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' },
    ] as const;
    for (const spec of cases) {
      const created = await kms.send(new CreateKeyCommand(spec));
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: created.KeyMetadata!.KeyId }));
      expect(KeyMetadata?.KeySpec).toBe(spec.KeySpec);
      expect(KeyMetadata?.KeyUsage).toBe(spec.KeyUsage);
      const encrypt = await failure(
        kms.send(new EncryptCommand({ KeyId: created.KeyMetadata!.KeyId, Plaintext: Buffer.from('x') })),
      );
      expect(encrypt.name).toBe('InvalidKeyUsageException');
    }
  });

  it('ECC key with ENCRYPT_DECRYPT is rejected', async () => {
    const failed = await failure(
      kmsClient(sandbox, admin).send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256' })),
    );
    expect(failed.name).toBe('ValidationException');
  });

  it('ScheduleKeyDeletion sets PendingDeletion', async () => {
    const kms = kmsClient(sandbox, admin);
    const created = await kms.send(new CreateKeyCommand({}));
    const keyId = created.KeyMetadata!.KeyId!;
    const scheduled = await kms.send(
      new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }),
    );
    expect(scheduled.KeyState).toBe('PendingDeletion');
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(KeyMetadata?.KeyState).toBe('PendingDeletion');
    const days = (KeyMetadata!.DeletionDate!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThan(7.1);
    const encrypt = await failure(
      kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })),
    );
    expect(encrypt.name).toBe('KMSInvalidStateException');
    const tooShort = await failure(
      kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 6 })),
    );
    expect(tooShort.name).toBe('ValidationException');
    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    const cancelled = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(cancelled.KeyMetadata?.KeyState).toBe('Disabled');
  });
});
