import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { makeMinimalBinDir } from './helpers/aws-cli.js';
import { expectPlatformCanUse, expectPlatformOnlyTrust } from './helpers/checks.js';
import { makeHome, readPrintedValues, UUID_PATTERN } from './helpers/setup-script.js';
import { describeEachCli } from './helpers/suite.js';

describeEachCli('setup script verification and callers', {}, (suite) => {
  it('warns and exits 3 without the key policy root statement', async () => {
    const admin = suite.admin();
    const adminArn = await admin.output(['sts', 'get-caller-identity', '--query', 'Arn', '--output', 'text']);
    const home = await makeHome();
    const policyFile = path.join(home, 'key-policy.json');
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'AdminOnly', Effect: 'Allow', Principal: { AWS: adminArn }, Action: 'kms:*', Resource: '*' },
      ],
    };
    await writeFile(policyFile, JSON.stringify(policy));
    const keyArn = await admin.output([
      'kms',
      'create-key',
      '--policy',
      `file://${policyFile}`,
      '--query',
      'KeyMetadata.Arn',
      '--output',
      'text',
    ]);

    const result = await suite.run(['--key-id', keyArn, '--role-name', 'NoRootStatementRole'], {
      environment: { CYBERSENTRIQ_VERIFY_TIMEOUT: '3' },
    });

    expect(result.code, result.stderr).toBe(3);
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '================================================================',
      'WARNING — role created but verification failed',
      '================================================================',
    ]);
    expect(result.stdout).toContain(
      `The key policy of ${keyArn} does not delegate to IAM: it has no statement for the account root`,
    );
    const values = readPrintedValues(result.stdout);
    expect(values.keyArn).toBe(keyArn);
    expect(values.roleArn).toContain(':role/NoRootStatementRole');
    const trust = await admin.trustPolicy('NoRootStatementRole');
    expectPlatformOnlyTrust(trust, suite.sandbox().aws.platformPrincipalArn, values.externalId);
  });

  it('runs as an assumed admin role', async () => {
    const result = await suite.run(['--key-alias', 'alias/from-role', '--role-name', 'FromAssumedRole'], {
      as: 'customerAdminRole',
    });

    expect(result.stderr).not.toContain('ERROR');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Adding arn:aws:iam::\d{12}:role\/\S+ to the trust policy/);
    expect(result.stderr).not.toMatch(/Adding arn:aws:sts::/);
    const values = readPrintedValues(result.stdout);
    const trust = await suite.admin().trustPolicy('FromAssumedRole');
    expectPlatformOnlyTrust(trust, suite.sandbox().aws.platformPrincipalArn, values.externalId);
    await expectPlatformCanUse(suite.platform(), values);
  });

  it('adds an SSO role with its path', async () => {
    const admin = suite.admin();
    const accountId = suite.sandbox().aws.customerAccountId;
    const roleName = 'AWSReservedSSO_AdministratorAccess_0123456789abcdef';
    const rolePath = '/aws-reserved/sso.amazonaws.com/';
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'sts:AssumeRole' },
      ],
    });
    const ssoRoleArn = await admin.output([
      'iam',
      'create-role',
      '--role-name',
      roleName,
      '--path',
      rolePath,
      '--assume-role-policy-document',
      trust,
      '--query',
      'Role.Arn',
      '--output',
      'text',
    ]);
    const adminPolicy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['iam:*', 'kms:*', 'sts:*'], Resource: '*' }],
    });
    await admin.output([
      'iam',
      'put-role-policy',
      '--role-name',
      roleName,
      '--policy-name',
      'Admin',
      '--policy-document',
      adminPolicy,
    ]);
    const session = await admin.assumeRole(ssoRoleArn, undefined, 'admin@example.com');

    const result = await suite.run(['--key-alias', 'alias/from-sso', '--role-name', 'FromSsoRole'], {
      credentials: session,
    });

    expect(result.code, result.stderr).toBe(0);
    expect(ssoRoleArn).toBe(`arn:aws:iam::${accountId}:role${rolePath}${roleName}`);
    expect(result.stderr).toContain(`Adding ${ssoRoleArn} to the trust policy`);
    const values = readPrintedValues(result.stdout);
    const finalTrust = await admin.trustPolicy('FromSsoRole');
    expectPlatformOnlyTrust(finalTrust, suite.sandbox().aws.platformPrincipalArn, values.externalId);
  });

  it('generates a UUID without uuidgen', async () => {
    const binDir = await makeMinimalBinDir(suite.cli);
    const result = await suite.run(['--key-alias', 'alias/no-uuidgen', '--role-name', 'NoUuidgenRole'], {
      pathOverride: binDir,
    });

    expect(result.stderr).not.toContain('command not found');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Generated a new External ID with /proc/sys/kernel/random/uuid.');
    const values = readPrintedValues(result.stdout);
    expect(values.externalId).toMatch(UUID_PATTERN);
    await expectPlatformCanUse(suite.platform(), values);
  });

  it('explains AccessDenied on CreateKey', async () => {
    const result = await suite.run(
      ['--key-alias', 'alias/read-only-attempt', '--role-name', 'ReadOnlyRole'],
      {
        as: 'customerReadOnly',
      },
    );

    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/ERROR: CreateKey failed: .*AccessDenied/);
    expect(result.stderr).toContain(
      'lacks iam:* / kms:* permissions. Run the script as an AWS administrator',
    );
    expect(result.stderr).not.toContain('Created before the failure');
  });

  it('reports what it created when CreateRole fails', async () => {
    // IAM rejects a trust policy naming a principal that does not exist, after the key and alias exist.
    const missingPrincipal = 'arn:aws:iam::156214480941:user/no-such-connector';
    const result = await suite.run([
      '--platform-principal-arn',
      missingPrincipal,
      '--key-alias',
      'alias/bad-principal',
      '--role-name',
      'BadPrincipalRole',
    ]);

    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/ERROR: CreateRole failed: .*MalformedPolicyDocument/);
    expect(result.stderr).toMatch(
      /Created before the failure:\n {2}- KMS key arn:aws:kms:\S+ under alias alias\/bad-principal\n/,
    );
    expect(result.stderr).toContain(
      'run the script again with the same options: it reuses the key under alias alias/bad-principal',
    );
    const getRole = await suite.admin().run(['iam', 'get-role', '--role-name', 'BadPrincipalRole']);
    expect(getRole.stderr).toContain('NoSuchEntity');
  });

  it('refuses the root user before creating anything', async () => {
    const root = suite.credentials('customerRoot');
    const result = await suite.run(['--key-alias', 'alias/root-attempt', '--role-name', 'RootRole'], {
      credentials: root,
    });

    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('root user');
    expect(result.stderr).toContain('Sign in as an IAM user or role with administrator access');
    const alias = await suite.admin().run(['kms', 'describe-key', '--key-id', 'alias/root-attempt']);
    expect(alias.stderr).toContain('NotFoundException');
  });
});
