import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  GetRoleCommand,
  GetUserCommand,
  ListAttachedRolePoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
  UpdateRoleCommand,
} from '@aws-sdk/client-iam';
import { CreateKeyCommand, DescribeKeyCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
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
  stsClient,
  type TestSandbox,
} from './helpers/sandbox-fixture.js';

let sandbox: TestSandbox;
let admin: PrincipalCredentials;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  admin = sandbox.config.aws.customerAdmin;
});

afterAll(async () => {
  await sandbox.stop();
  expectResponsesMatchModels(recordedResponses);
});

const trustAdmin = () =>
  policyText([{ Effect: 'Allow', Principal: { AWS: admin.principalArn }, Action: 'sts:AssumeRole' }]);

describe('SigV4 authentication', () => {
  it('wrong secret fails signature check', async () => {
    const forged = { accessKeyId: admin.accessKeyId, secretAccessKey: 'x'.repeat(40) };
    const kms = await failure(kmsClient(sandbox, forged).send(new ListKeysCommand({})));
    expect(kms.name).toBe('InvalidSignatureException');
    expect(kms.status).toBe(400);
    const sts = await failure(stsClient(sandbox, forged).send(new GetCallerIdentityCommand({})));
    expect(sts.name).toBe('SignatureDoesNotMatch');
    expect(sts.status).toBe(403);
  });

  it('unknown access key is rejected', async () => {
    const unknown = { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x'.repeat(40) };
    const kms = await failure(kmsClient(sandbox, unknown).send(new ListKeysCommand({})));
    expect(kms.name).toBe('UnrecognizedClientException');
    const iam = await failure(iamClient(sandbox, unknown).send(new GetRoleCommand({ RoleName: 'x' })));
    expect(iam.name).toBe('InvalidClientTokenId');
    expect(iam.status).toBe(403);
  });

  it('session key without token is rejected', async () => {
    const session = await assumeRole(sandbox, admin, sandbox.config.aws.customerAdminRole.roleArn);
    const withoutToken = { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey };
    const failed = await failure(stsClient(sandbox, withoutToken).send(new GetCallerIdentityCommand({})));
    expect(failed.name).toBe('InvalidClientTokenId');
  });

  it('missing Authorization header is rejected', async () => {
    const response = await fetch(sandbox.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'TrentService.ListKeys', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { __type: string }).__type).toBe(
      'MissingAuthenticationTokenException',
    );
  });

  it('skewed client clock is rejected', async () => {
    const client = kmsClient(sandbox, admin);
    client.config.systemClockOffset = -3600 * 1000;
    const failed = await failure(client.send(new ListKeysCommand({})));
    expect(failed.name).toBe('InvalidSignatureException');
    expect(failed.message).toContain('Signature expired');
  });

  it('expired session is rejected', async () => {
    const session = await assumeRole(sandbox, admin, sandbox.config.aws.customerAdminRole.roleArn, {
      durationSeconds: 900,
    });
    sandbox.advance(901);
    const kms = await failure(kmsClient(sandbox, session).send(new ListKeysCommand({})));
    expect(kms.name).toBe('ExpiredTokenException');
    const sts = await failure(stsClient(sandbox, session).send(new GetCallerIdentityCommand({})));
    expect(sts.name).toBe('ExpiredToken');
    expect(sts.status).toBe(403);
  });
});

describe('IAM errors', () => {
  it('read operations list roles and users', async () => {
    const iam = iamClient(sandbox, admin);
    const roles = await iam.send(new ListRolesCommand({}));
    expect(roles.Roles?.map((role) => role.RoleName)).toContain(
      sandbox.config.aws.customerAdminRole.roleName,
    );
    const user = await iam.send(new GetUserCommand({}));
    expect(user.User?.Arn).toBe(admin.principalArn);
    const attached = await iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: sandbox.config.aws.customerAdminRole.roleName }),
    );
    expect(attached.AttachedPolicies).toEqual([]);
    const missing = await failure(iam.send(new GetUserCommand({ UserName: 'nobody' })));
    expect(missing.name).toBe('NoSuchEntityException');
  });

  it('duplicate role is EntityAlreadyExists', async () => {
    const iam = iamClient(sandbox, admin);
    await iam.send(new CreateRoleCommand({ RoleName: 'Twice', AssumeRolePolicyDocument: trustAdmin() }));
    const failed = await failure(
      iam.send(new CreateRoleCommand({ RoleName: 'Twice', AssumeRolePolicyDocument: trustAdmin() })),
    );
    expect(failed.name).toBe('EntityAlreadyExistsException');
    expect(failed.status).toBe(409);
  });

  it('trust policy with missing principal rejected', async () => {
    const trust = policyText([
      {
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::156214480941:user/nobody' },
        Action: 'sts:AssumeRole',
      },
    ]);
    const failed = await failure(
      iamClient(sandbox, admin).send(
        new CreateRoleCommand({ RoleName: 'BadTrust', AssumeRolePolicyDocument: trust }),
      ),
    );
    expect(failed.name).toBe('MalformedPolicyDocumentException');
    expect(failed.message).toBe('Invalid principal in policy: "AWS":"arn:aws:iam::156214480941:user/nobody"');
  });

  it('role with policies cannot be deleted', async () => {
    const iam = iamClient(sandbox, admin);
    await iam.send(new CreateRoleCommand({ RoleName: 'HasPolicy', AssumeRolePolicyDocument: trustAdmin() }));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'HasPolicy',
        PolicyName: 'p',
        PolicyDocument: policyText([{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }]),
      }),
    );
    const failed = await failure(iam.send(new DeleteRoleCommand({ RoleName: 'HasPolicy' })));
    expect(failed.name).toBe('DeleteConflictException');
  });

  it('identity policy with Principal rejected', async () => {
    const iam = iamClient(sandbox, admin);
    await iam.send(new CreateRoleCommand({ RoleName: 'BadPolicy', AssumeRolePolicyDocument: trustAdmin() }));
    const failed = await failure(
      iam.send(
        new PutRolePolicyCommand({
          RoleName: 'BadPolicy',
          PolicyName: 'p',
          PolicyDocument: policyText([{ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' }]),
        }),
      ),
    );
    expect(failed.name).toBe('MalformedPolicyDocumentException');
  });

  it('role chaining limits duration to an hour', async () => {
    const iam = iamClient(sandbox, admin);
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: 'Chained',
        AssumeRolePolicyDocument: policyText([
          {
            Effect: 'Allow',
            Principal: { AWS: sandbox.config.aws.customerAdminRole.roleArn },
            Action: 'sts:AssumeRole',
          },
        ]),
      }),
    );
    await iam.send(new UpdateRoleCommand({ RoleName: 'Chained', MaxSessionDuration: 43_200 }));
    const first = await assumeRole(sandbox, admin, sandbox.config.aws.customerAdminRole.roleArn);
    const failed = await failure(assumeRole(sandbox, first, created.Role!.Arn!, { durationSeconds: 7200 }));
    expect(failed.name).toBe('ValidationError');
    expect(failed.message).toContain('role chaining');
    const chained = await assumeRole(sandbox, first, created.Role!.Arn!, { durationSeconds: 3600 });
    const identity = await stsClient(sandbox, chained).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toContain(':assumed-role/Chained/');
  });
});

describe('IAM propagation delay', () => {
  let delayed: TestSandbox;
  beforeAll(async () => {
    delayed = await startTestSandbox({ iamPropagationDelaySeconds: 10 });
  });
  afterAll(async () => {
    await delayed.stop();
  });

  it('new role takes effect after delay', async () => {
    const owner = delayed.config.aws.customerAdmin;
    const iam = iamClient(delayed, owner);
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: 'Fresh',
        AssumeRolePolicyDocument: policyText([
          { Effect: 'Allow', Principal: { AWS: owner.principalArn }, Action: 'sts:AssumeRole' },
        ]),
      }),
    );
    const visible = await iam.send(new GetRoleCommand({ RoleName: 'Fresh' }));
    expect(visible.Role?.Arn).toBe(role.Role!.Arn);
    const early = await failure(assumeRole(delayed, owner, role.Role!.Arn!));
    expect(early.name).toBe('AccessDenied');
    delayed.advance(11);
    const session = await assumeRole(delayed, owner, role.Role!.Arn!);
    expect(session.accessKeyId).toMatch(/^ASIA/);
  });

  it('changed role policy takes effect after delay', async () => {
    const owner = delayed.config.aws.customerAdmin;
    const iam = iamClient(delayed, owner);
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: 'Changing',
        AssumeRolePolicyDocument: policyText([
          { Effect: 'Allow', Principal: { AWS: owner.principalArn }, Action: 'sts:AssumeRole' },
        ]),
      }),
    );
    delayed.advance(11);
    const key = await kmsClient(delayed, owner).send(new CreateKeyCommand({}));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'Changing',
        PolicyName: 'p',
        PolicyDocument: policyText([{ Effect: 'Allow', Action: 'kms:DescribeKey', Resource: '*' }]),
      }),
    );
    const session = await assumeRole(delayed, owner, role.Role!.Arn!);
    const early = await failure(
      kmsClient(delayed, session).send(new DescribeKeyCommand({ KeyId: key.KeyMetadata!.Arn })),
    );
    expect(early.name).toBe('AccessDeniedException');
    delayed.advance(11);
    const later = await kmsClient(delayed, session).send(
      new DescribeKeyCommand({ KeyId: key.KeyMetadata!.Arn }),
    );
    expect(later.KeyMetadata?.KeyState).toBe('Enabled');
  });
});

describe('request log', () => {
  it('logs requests without secrets', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'redapp-sandbox-log-'));
    const logged = await startTestSandbox({ stateDir });
    const owner = logged.config.aws.customerAdmin;
    const session = await assumeRole(logged, owner, logged.config.aws.customerAdminRole.roleArn);
    await kmsClient(logged, session).send(new ListKeysCommand({}));
    await failure(kmsClient(logged, logged.config.aws.customerReadOnly).send(new CreateKeyCommand({})));
    await logged.stop();

    const text = readFileSync(join(stateDir, 'sandbox.log'), 'utf8');
    rmSync(stateDir, { recursive: true, force: true });
    for (const secret of [owner.secretAccessKey, session.secretAccessKey, session.sessionToken!]) {
      expect(text).not.toContain(secret);
    }
    const requests = text
      .trim()
      .split('\n')
      .map((line): Record<string, unknown> => JSON.parse(line))
      .filter((line) => line.msg === 'aws request');
    expect(requests.map((line) => [line.operation, line.code])).toEqual([
      ['AssumeRole', 'OK'],
      ['ListKeys', 'OK'],
      ['CreateKey', 'AccessDeniedException'],
    ]);
    expect(requests[1]?.caller).toMatch(/:assumed-role\/CustomerAdministrator\//);
  });
});
