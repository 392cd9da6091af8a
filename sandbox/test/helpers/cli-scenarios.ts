import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrincipalCredentials } from '../../src/sandbox-config.js';
import { type AwsCli, type CliResult, findAwsCli, runCli } from './aws-cli.js';
import { expectResponsesMatchModels } from './response-shapes.js';
import {
  type Credentials,
  policyText,
  recordedResponses,
  startTestSandbox,
  type TestSandbox,
} from './sandbox-fixture.js';
import { requireTool } from './tools.js';

const EXTERNAL_ID = 'cli-external-id-0001';

function expectOk(result: CliResult): Record<string, unknown> {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.json ?? {};
}

/** Checks a failed CLI call: the CLIs print "An error occurred (CODE) when calling the OPERATION operation: MESSAGE" and exit non-zero. */
function expectError(result: CliResult, code: string): string {
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain(`An error occurred (${code})`);
  return result.stderr;
}

/**
 * Defines the conformance scenarios for one AWS CLI major version, run against an in-process sandbox whose
 * every response is checked against the botocore models afterwards.
 */
export function describeCliConformance(major: 1 | 2): void {
  const cli: AwsCli = findAwsCli(major);
  let sandbox: TestSandbox;
  let workDir: string;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    workDir = mkdtempSync(join(tmpdir(), 'redapp-cli-files-'));
  });

  afterAll(async () => {
    await sandbox.stop();
    rmSync(workDir, { recursive: true, force: true });
    expectResponsesMatchModels(recordedResponses);
  });

  describe(cli.label, () => {
    const available = requireTool(cli.path !== undefined, `${cli.label} (aws)`);
    const prefix = cli.label.replace(/\W/g, '').toLowerCase();
    const roleName = `${prefix}-kms-role`;
    let admin: PrincipalCredentials;
    let keyArn = '';
    let roleArn = '';
    let session: Credentials;
    const file = (name: string, content: string | Buffer) => {
      const path = join(workDir, `${prefix}-${name}`);
      writeFileSync(path, content);
      return path;
    };
    const run = (credentials: Credentials, ...args: string[]) => runCli(cli, sandbox, credentials, args);

    beforeAll(() => {
      admin = sandbox.config.aws.customerAdmin;
    });

    it.runIf(available)('get-caller-identity', async () => {
      const identity = expectOk(await run(admin, 'sts', 'get-caller-identity'));
      expect(identity.Arn).toBe(admin.principalArn);
      expect(identity.Account).toBe(sandbox.config.aws.customerAdmin.accountId);
    });

    it.runIf(available)('setup: key, alias, rotation, policy', async () => {
      const created = expectOk(await run(admin, 'kms', 'create-key', '--description', `${cli.label} key`));
      keyArn = (created.KeyMetadata as { Arn: string }).Arn;
      expectOk(
        await run(admin, 'kms', 'create-alias', '--alias-name', `alias/${prefix}`, '--target-key-id', keyArn),
      );
      const aliases = expectOk(await run(admin, 'kms', 'list-aliases'));
      expect((aliases.Aliases as Array<{ AliasName: string }>).map((alias) => alias.AliasName)).toContain(
        `alias/${prefix}`,
      );
      expectError(
        await run(admin, 'kms', 'create-alias', '--alias-name', `alias/${prefix}`, '--target-key-id', keyArn),
        'AlreadyExistsException',
      );
      expectOk(await run(admin, 'kms', 'enable-key-rotation', '--key-id', keyArn));
      const rotation = expectOk(await run(admin, 'kms', 'get-key-rotation-status', '--key-id', keyArn));
      expect(rotation.KeyRotationEnabled).toBe(true);
      const policy = expectOk(
        await run(admin, 'kms', 'get-key-policy', '--key-id', keyArn, '--policy-name', 'default'),
      );
      expect(JSON.parse(policy.Policy as string).Statement[0].Action).toBe('kms:*');
      const described = expectOk(await run(admin, 'kms', 'describe-key', '--key-id', `alias/${prefix}`));
      expect((described.KeyMetadata as { KeySpec: string }).KeySpec).toBe('SYMMETRIC_DEFAULT');
    });

    it.runIf(available)('setup: role and role policy', async () => {
      const trust = file(
        'trust.json',
        policyText([
          {
            Effect: 'Allow',
            Principal: { AWS: sandbox.config.aws.platform.principalArn },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } },
          },
        ]),
      );
      const created = expectOk(
        await run(
          admin,
          'iam',
          'create-role',
          '--role-name',
          roleName,
          '--assume-role-policy-document',
          `file://${trust}`,
        ),
      );
      roleArn = (created.Role as { Arn: string }).Arn;
      const permissions = file(
        'permissions.json',
        policyText([
          {
            Effect: 'Allow',
            Action: ['kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
            Resource: keyArn,
          },
        ]),
      );
      expectOk(
        await run(
          admin,
          'iam',
          'put-role-policy',
          '--role-name',
          roleName,
          '--policy-name',
          'kms',
          '--policy-document',
          `file://${permissions}`,
        ),
      );
      const role = expectOk(await run(admin, 'iam', 'get-role', '--role-name', roleName));
      const document = (
        role.Role as { AssumeRolePolicyDocument: { Statement: Array<{ Condition: unknown }> } }
      ).AssumeRolePolicyDocument;
      expect(document.Statement[0]!.Condition).toEqual({ StringEquals: { 'sts:ExternalId': EXTERNAL_ID } });
      const policy = expectOk(
        await run(admin, 'iam', 'get-role-policy', '--role-name', roleName, '--policy-name', 'kms'),
      );
      expect(
        (policy.PolicyDocument as { Statement: Array<{ Resource: string }> }).Statement[0]!.Resource,
      ).toBe(keyArn);
      const names = expectOk(await run(admin, 'iam', 'list-role-policies', '--role-name', roleName));
      expect(names.PolicyNames).toEqual(['kms']);
      const badTrust = file(
        'bad-trust.json',
        policyText([
          {
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::156214480941:user/nobody' },
            Action: 'sts:AssumeRole',
          },
        ]),
      );
      const invalid = expectError(
        await run(
          admin,
          'iam',
          'update-assume-role-policy',
          '--role-name',
          roleName,
          '--policy-document',
          `file://${badTrust}`,
        ),
        'MalformedPolicyDocument',
      );
      expect(invalid).toContain('Invalid principal in policy');
    });

    it.runIf(available)('assume-role checks External ID', async () => {
      const platform = sandbox.config.aws.platform;
      const assumed = expectOk(
        await run(
          platform,
          'sts',
          'assume-role',
          '--role-arn',
          roleArn,
          '--role-session-name',
          'cli',
          '--external-id',
          EXTERNAL_ID,
        ),
      );
      const issued = assumed.Credentials as {
        AccessKeyId: string;
        SecretAccessKey: string;
        SessionToken: string;
      };
      session = {
        accessKeyId: issued.AccessKeyId,
        secretAccessKey: issued.SecretAccessKey,
        sessionToken: issued.SessionToken,
      };
      const identity = expectOk(await run(session, 'sts', 'get-caller-identity'));
      expect(identity.Arn).toBe(`arn:aws:sts::${admin.accountId}:assumed-role/${roleName}/cli`);
      expectError(
        await run(
          platform,
          'sts',
          'assume-role',
          '--role-arn',
          roleArn,
          '--role-session-name',
          'cli',
          '--external-id',
          'wrong-id',
        ),
        'AccessDenied',
      );
      expectError(
        await run(platform, 'sts', 'assume-role', '--role-arn', roleArn, '--role-session-name', 'cli'),
        'AccessDenied',
      );
    });

    it.runIf(available)('data key, encrypt and decrypt', async () => {
      const context = 'company=c-1,purpose=company-key';
      const dataKey = expectOk(
        await run(
          session,
          'kms',
          'generate-data-key',
          '--key-id',
          keyArn,
          '--key-spec',
          'AES_256',
          '--encryption-context',
          context,
        ),
      );
      expect(Buffer.from(dataKey.Plaintext as string, 'base64')).toHaveLength(32);
      const blob = file('data-key.bin', Buffer.from(dataKey.CiphertextBlob as string, 'base64'));

      const denied = expectError(
        await run(
          session,
          'kms',
          'decrypt',
          '--ciphertext-blob',
          `fileb://${blob}`,
          '--encryption-context',
          context,
        ),
        'AccessDeniedException',
      );
      expect(denied).toContain(
        `is not authorized to perform: kms:Decrypt on resource: ${keyArn} because no identity-based policy allows the kms:Decrypt action`,
      );

      const decrypted = expectOk(
        await run(
          admin,
          'kms',
          'decrypt',
          '--ciphertext-blob',
          `fileb://${blob}`,
          '--encryption-context',
          context,
        ),
      );
      expect(decrypted.Plaintext).toBe(dataKey.Plaintext);
      expectError(
        await run(
          admin,
          'kms',
          'decrypt',
          '--ciphertext-blob',
          `fileb://${blob}`,
          '--encryption-context',
          'company=c-2,purpose=company-key',
        ),
        'InvalidCiphertextException',
      );

      const plaintext = file('plain.txt', 'hello from the CLI');
      const encrypted = expectOk(
        await run(session, 'kms', 'encrypt', '--key-id', keyArn, '--plaintext', `fileb://${plaintext}`),
      );
      const encryptedBlob = file('encrypted.bin', Buffer.from(encrypted.CiphertextBlob as string, 'base64'));
      const roundTrip = expectOk(
        await run(
          admin,
          'kms',
          'decrypt',
          '--key-id',
          keyArn,
          '--ciphertext-blob',
          `fileb://${encryptedBlob}`,
        ),
      );
      expect(Buffer.from(roundTrip.Plaintext as string, 'base64').toString()).toBe('hello from the CLI');
      expect(readFileSync(plaintext, 'utf8')).toBe('hello from the CLI');
    });

    it.runIf(available)('key states', async () => {
      const plaintext = file('state.txt', 'x');
      expectOk(await run(admin, 'kms', 'disable-key', '--key-id', keyArn));
      const disabled = expectOk(await run(session, 'kms', 'describe-key', '--key-id', keyArn));
      expect((disabled.KeyMetadata as { KeyState: string }).KeyState).toBe('Disabled');
      expectError(
        await run(session, 'kms', 'encrypt', '--key-id', keyArn, '--plaintext', `fileb://${plaintext}`),
        'DisabledException',
      );
      expectOk(await run(admin, 'kms', 'enable-key', '--key-id', keyArn));

      const hmac = expectOk(
        await run(admin, 'kms', 'create-key', '--key-spec', 'HMAC_256', '--key-usage', 'GENERATE_VERIFY_MAC'),
      );
      const hmacId = (hmac.KeyMetadata as { KeyId: string }).KeyId;
      expectError(
        await run(admin, 'kms', 'encrypt', '--key-id', hmacId, '--plaintext', `fileb://${plaintext}`),
        'InvalidKeyUsageException',
      );
      const scheduled = expectOk(
        await run(admin, 'kms', 'schedule-key-deletion', '--key-id', hmacId, '--pending-window-in-days', '7'),
      );
      expect(scheduled.KeyState).toBe('PendingDeletion');
      const pending = expectOk(await run(admin, 'kms', 'describe-key', '--key-id', hmacId));
      expect((pending.KeyMetadata as { DeletionDate?: unknown }).DeletionDate).toBeDefined();
      expectOk(await run(admin, 'kms', 'cancel-key-deletion', '--key-id', hmacId));

      expectError(
        await run(admin, 'kms', 'describe-key', '--key-id', '00000000-0000-4000-8000-000000000000'),
        'NotFoundException',
      );
      expectError(
        await run(sandbox.config.aws.platform, 'kms', 'describe-key', '--key-id', keyArn),
        'AccessDeniedException',
      );
    });

    it.runIf(available)('key policy deny, grants and re-encryption', async () => {
      const created = expectOk(await run(admin, 'kms', 'create-key'));
      const otherKey = (created.KeyMetadata as { Arn: string }).Arn;
      const denyPolicy = file(
        'deny-policy.json',
        policyText([
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${admin.accountId}:root` },
            Action: 'kms:*',
            Resource: '*',
          },
          { Effect: 'Deny', Principal: { AWS: roleArn }, Action: 'kms:Encrypt', Resource: '*' },
        ]),
      );
      expectOk(
        await run(
          admin,
          'kms',
          'put-key-policy',
          '--key-id',
          keyArn,
          '--policy-name',
          'default',
          '--policy',
          `file://${denyPolicy}`,
        ),
      );
      const plaintext = file('grant.txt', 'granted');
      const denied = expectError(
        await run(session, 'kms', 'encrypt', '--key-id', keyArn, '--plaintext', `fileb://${plaintext}`),
        'AccessDeniedException',
      );
      expect(denied).toContain('with an explicit deny in a resource-based policy');

      const grant = expectOk(
        await run(
          admin,
          'kms',
          'create-grant',
          '--key-id',
          otherKey,
          '--grantee-principal',
          roleArn,
          '--operations',
          'Encrypt',
          'Decrypt',
          'RetireGrant',
        ),
      );
      const encrypted = expectOk(
        await run(session, 'kms', 'encrypt', '--key-id', otherKey, '--plaintext', `fileb://${plaintext}`),
      );
      const grants = expectOk(await run(admin, 'kms', 'list-grants', '--key-id', otherKey));
      expect((grants.Grants as Array<{ GrantId: string }>)[0]!.GrantId).toBe(grant.GrantId);

      const blob = file('grant.bin', Buffer.from(encrypted.CiphertextBlob as string, 'base64'));
      const moved = expectOk(
        await run(
          admin,
          'kms',
          're-encrypt',
          '--ciphertext-blob',
          `fileb://${blob}`,
          '--destination-key-id',
          keyArn,
        ),
      );
      expect(moved.SourceKeyId).toBe(otherKey);
      expect(moved.KeyId).toBe(keyArn);

      expectOk(
        await run(
          session,
          'kms',
          'retire-grant',
          '--key-id',
          otherKey,
          '--grant-id',
          grant.GrantId as string,
        ),
      );
      expectError(
        await run(session, 'kms', 'encrypt', '--key-id', otherKey, '--plaintext', `fileb://${plaintext}`),
        'AccessDeniedException',
      );
      expectError(
        await run(sandbox.config.aws.platform, 'kms', 'list-grants', '--key-id', otherKey),
        'AccessDeniedException',
      );
    });

    it.runIf(available)('more key operations and errors', async () => {
      const second = expectOk(await run(admin, 'kms', 'create-key', '--description', 'second'));
      const secondArn = (second.KeyMetadata as { Arn: string }).Arn;
      expectOk(
        await run(
          admin,
          'kms',
          'update-alias',
          '--alias-name',
          `alias/${prefix}`,
          '--target-key-id',
          secondArn,
        ),
      );
      const moved = expectOk(await run(admin, 'kms', 'describe-key', '--key-id', `alias/${prefix}`));
      expect((moved.KeyMetadata as { Arn: string }).Arn).toBe(secondArn);
      expectOk(await run(admin, 'kms', 'delete-alias', '--alias-name', `alias/${prefix}`));
      expectError(
        await run(admin, 'kms', 'describe-key', '--key-id', `alias/${prefix}`),
        'NotFoundException',
      );

      expectOk(await run(admin, 'kms', 'disable-key-rotation', '--key-id', secondArn));
      const withoutPlaintext = expectOk(
        await run(
          admin,
          'kms',
          'generate-data-key-without-plaintext',
          '--key-id',
          secondArn,
          '--number-of-bytes',
          '32',
        ),
      );
      expect(withoutPlaintext.Plaintext).toBeUndefined();
      const blob = file(
        'without-plaintext.bin',
        Buffer.from(withoutPlaintext.CiphertextBlob as string, 'base64'),
      );
      expectError(
        await run(admin, 'kms', 'decrypt', '--key-id', keyArn, '--ciphertext-blob', `fileb://${blob}`),
        'IncorrectKeyException',
      );
      expectError(
        await run(admin, 'kms', 'describe-key', '--key-id', secondArn.replace(':us-east-1:', ':eu-west-1:')),
        'NotFoundException',
      );

      const grant = expectOk(
        await run(
          admin,
          'kms',
          'create-grant',
          '--key-id',
          secondArn,
          '--grantee-principal',
          roleArn,
          '--operations',
          'Decrypt',
        ),
      );
      expectOk(
        await run(admin, 'kms', 'revoke-grant', '--key-id', secondArn, '--grant-id', grant.GrantId as string),
      );

      for (const [keySpec, keyUsage] of [
        ['RSA_2048', 'ENCRYPT_DECRYPT'],
        ['ECC_NIST_P256', 'SIGN_VERIFY'],
      ]) {
        const created = expectOk(
          await run(admin, 'kms', 'create-key', '--key-spec', keySpec!, '--key-usage', keyUsage!),
        );
        expect((created.KeyMetadata as { KeySpec: string }).KeySpec).toBe(keySpec);
      }

      const lockout = file(
        'lockout.json',
        policyText([{ Effect: 'Allow', Principal: { AWS: roleArn }, Action: 'kms:Decrypt', Resource: '*' }]),
      );
      expectError(
        await run(
          admin,
          'kms',
          'put-key-policy',
          '--key-id',
          secondArn,
          '--policy-name',
          'default',
          '--policy',
          `file://${lockout}`,
        ),
        'MalformedPolicyDocumentException',
      );

      const trust = file(
        'duplicate-trust.json',
        policyText([{ Effect: 'Allow', Principal: { AWS: admin.principalArn }, Action: 'sts:AssumeRole' }]),
      );
      expectError(
        await run(
          admin,
          'iam',
          'create-role',
          '--role-name',
          roleName,
          '--assume-role-policy-document',
          `file://${trust}`,
        ),
        'EntityAlreadyExists',
      );
      const platform = sandbox.config.aws.platform;
      const tooLong = expectError(
        await run(
          platform,
          'sts',
          'assume-role',
          '--role-arn',
          roleArn,
          '--role-session-name',
          'cli',
          '--external-id',
          EXTERNAL_ID,
          '--duration-seconds',
          '7200',
        ),
        'ValidationError',
      );
      expect(tooLong).toContain('MaxSessionDuration');
      const root = expectError(
        await run(
          sandbox.config.aws.customerRoot,
          'sts',
          'assume-role',
          '--role-arn',
          sandbox.config.aws.customerAdminRole.roleArn,
          '--role-session-name',
          'root',
        ),
        'AccessDenied',
      );
      expect(root).toContain('Roles may not be assumed by root accounts.');
    });

    it.runIf(available)('teardown: delete role', async () => {
      expectError(await run(admin, 'iam', 'delete-role', '--role-name', roleName), 'DeleteConflict');
      expectOk(
        await run(admin, 'iam', 'delete-role-policy', '--role-name', roleName, '--policy-name', 'kms'),
      );
      expectOk(await run(admin, 'iam', 'delete-role', '--role-name', roleName));
      expectError(await run(admin, 'iam', 'get-role', '--role-name', roleName), 'NoSuchEntity');
    });
  });
}
