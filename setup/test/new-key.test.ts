import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { expectMinimalPermissions, expectPlatformCanUse, expectPlatformOnlyTrust } from './helpers/checks.js';
import {
  expectedSuccessBlock,
  type PrintedValues,
  readPrintedValues,
  UUID_PATTERN,
} from './helpers/setup-script.js';
import { describeEachCli } from './helpers/suite.js';

const SETUP_DOC_PATH = path.resolve(import.meta.dirname, '../../docs/setup.md');

/** Returns the policy document that docs/setup.md writes to `file`, with the shell variables filled in. */
async function documentedPolicy(file: string, variables: Record<string, string>): Promise<unknown> {
  const doc = await readFile(SETUP_DOC_PATH, 'utf8');
  const match = doc.match(new RegExp(`cat > ${file} <<EOF\\n([\\s\\S]*?)\\nEOF\\n`));
  if (!match?.[1]) throw new Error(`docs/setup.md has no "cat > ${file} <<EOF" block`);
  const filled = match[1].replace(/\$([A-Z_]+)/g, (_, name: string) => {
    const value = variables[name];
    if (value === undefined) throw new Error(`no value for $${name} in the ${file} block`);
    return value;
  });
  return JSON.parse(filled);
}

function uuidgenInstalled(): boolean {
  try {
    execFileSync('uuidgen', [], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Without uuidgen the script falls back to the kernel's UUID source, which the missing-uuidgen test covers.
const UUIDGEN_INSTALLED = uuidgenInstalled();
if (!UUIDGEN_INSTALLED && process.env.CI === 'true') {
  throw new Error('missing tool for the setup script tests: uuidgen (apt-get install uuid-runtime)');
}

interface KeyMetadata {
  Arn: string;
  KeyState: string;
  KeySpec: string;
  KeyUsage: string;
  Description: string;
}

describeEachCli('setup script with a new key', {}, (suite) => {
  let first: PrintedValues | undefined;

  it('creates key and role and prints the golden block', async () => {
    const result = await suite.run([]);

    expect(result.stderr).not.toContain('ERROR');
    expect(result.code, result.stderr).toBe(0);
    if (UUIDGEN_INSTALLED) expect(result.stderr).toContain('Generated a new External ID with uuidgen.');
    first = readPrintedValues(result.stdout);
    expect(result.stdout).toBe(await expectedSuccessBlock(first));
    expect(first.externalId).toMatch(UUID_PATTERN);
    expect(first.region).toBe(suite.sandbox().aws.region);
    expect(first.roleArn).toBe(
      `arn:aws:iam::${suite.sandbox().aws.customerAccountId}:role/CyberSentriqKmsRole`,
    );
    expect(first.keyArn).toMatch(
      new RegExp(`^arn:aws:kms:${first.region}:${suite.sandbox().aws.customerAccountId}:key/[0-9a-f-]{36}$`),
    );
  });

  it('creates a symmetric key with rotation and alias', async () => {
    const values = first!;
    const admin = suite.admin();

    const key = await admin.json<KeyMetadata>([
      'kms',
      'describe-key',
      '--key-id',
      values.keyArn,
      '--query',
      'KeyMetadata',
    ]);
    expect(key.KeyState).toBe('Enabled');
    expect(key.KeySpec).toBe('SYMMETRIC_DEFAULT');
    expect(key.KeyUsage).toBe('ENCRYPT_DECRYPT');
    expect(key.Description).toBe('CyberSentriq BYOK customer-managed key');

    const rotation = await admin.output([
      'kms',
      'get-key-rotation-status',
      '--key-id',
      values.keyArn,
      '--query',
      'KeyRotationEnabled',
      '--output',
      'text',
    ]);
    expect(rotation).toBe('True');

    const aliasTarget = await admin.output([
      'kms',
      'describe-key',
      '--key-id',
      'alias/cybersentriq-byok',
      '--query',
      'KeyMetadata.Arn',
      '--output',
      'text',
    ]);
    expect(aliasTarget).toBe(values.keyArn);
  });

  it('leaves a trust policy naming only the platform', async () => {
    const values = first!;
    const trust = await suite.admin().trustPolicy('CyberSentriqKmsRole');
    expectPlatformOnlyTrust(trust, suite.sandbox().aws.platformPrincipalArn, values.externalId);
  });

  it('attaches only the minimal key permissions', async () => {
    const values = first!;
    const permissions = await suite.admin().permissionsPolicy('CyberSentriqKmsRole');
    expectMinimalPermissions(permissions, values.keyArn, values.roleArn);
  });

  it('matches the policies in docs/setup.md', async () => {
    const values = first!;
    const variables = {
      PLATFORM_PRINCIPAL_ARN: suite.sandbox().aws.platformPrincipalArn,
      EXTERNAL_ID: values.externalId,
      KEY_ARN: values.keyArn,
      ROLE_ARN: values.roleArn,
    };
    const trust = await suite.admin().trustPolicy('CyberSentriqKmsRole');
    expect(trust).toEqual(await documentedPolicy('trust-policy.json', variables));
    const permissions = await suite.admin().permissionsPolicy('CyberSentriqKmsRole');
    expect(permissions).toEqual(await documentedPolicy('permissions-policy.json', variables));
  });

  it('lets the platform use the printed values', async () => {
    await expectPlatformCanUse(suite.platform(), first!);
  });

  it('denies the platform a wrong External ID', async () => {
    const values = first!;
    const result = await suite
      .platform()
      .run([
        'sts',
        'assume-role',
        '--role-arn',
        values.roleArn,
        '--role-session-name',
        'redapp-externalid-check',
        '--external-id',
        '00000000-0000-4000-8000-000000000000',
      ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('AccessDenied');
  });

  it('denies the admin after the check ends', async () => {
    const values = first!;
    const result = await suite
      .admin()
      .run([
        'sts',
        'assume-role',
        '--role-arn',
        values.roleArn,
        '--role-session-name',
        'after-setup',
        '--external-id',
        values.externalId,
      ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('AccessDenied');
  });

  it('limits CreateGrant to the role itself', async () => {
    const values = first!;
    const session = await suite.platform().assumeRole(values.roleArn, values.externalId);
    const role = suite.platform().as(session);
    const grantArgs = (grantee: string, operations: string[]) => [
      'kms',
      'create-grant',
      '--key-id',
      values.keyArn,
      '--grantee-principal',
      grantee,
      '--operations',
      ...operations,
    ];

    const forRole = await role.run(grantArgs(values.roleArn, ['Encrypt', 'Decrypt']));
    expect(forRole.stderr).toBe('');
    expect(forRole.code).toBe(0);

    const forOther = await role.run(grantArgs(suite.sandbox().aws.platformPrincipalArn, ['Encrypt']));
    expect(forOther.code).not.toBe(0);
    expect(forOther.stderr).toContain('AccessDenied');

    const wideOperations = await role.run(grantArgs(values.roleArn, ['Encrypt', 'CreateGrant']));
    expect(wideOperations.code).not.toBe(0);
    expect(wideOperations.stderr).toContain('AccessDenied');
  });

  it('re-run reuses key, alias and External ID', async () => {
    const values = first!;
    const result = await suite.run([]);

    expect(result.code, result.stderr).toBe(0);
    const again = readPrintedValues(result.stdout);
    expect(again).toEqual(values);

    const lines = result.stdout.split('\n');
    expect(lines[3]).toBe(
      `The existing KMS key ${values.keyArn} was reused (alias 'alias/cybersentriq-byok').`,
    );
    const golden = (await expectedSuccessBlock(values)).split('\n');
    expect(lines.filter((_, index) => index !== 3)).toEqual(golden.filter((_, index) => index !== 3));

    const aliases = await suite
      .admin()
      .output([
        'kms',
        'list-aliases',
        '--key-id',
        values.keyArn,
        '--query',
        'Aliases[].AliasName',
        '--output',
        'text',
      ]);
    expect(aliases.split(/\s+/)).toEqual(['alias/cybersentriq-byok']);

    const trust = await suite.admin().trustPolicy('CyberSentriqKmsRole');
    expectPlatformOnlyTrust(trust, suite.sandbox().aws.platformPrincipalArn, values.externalId);
  });

  it('re-run with --replace-external-id replaces it', async () => {
    const values = first!;
    const externalId = '6a0f1f7e-2b5c-4d8e-9f10-1a2b3c4d5e6f';
    const extraPolicy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
    });
    await suite
      .admin()
      .output([
        'iam',
        'put-role-policy',
        '--role-name',
        'CyberSentriqKmsRole',
        '--policy-name',
        'Extra',
        '--policy-document',
        extraPolicy,
      ]);

    const result = await suite.run(['--external-id', externalId, '--replace-external-id']);

    expect(result.code, result.stderr).toBe(0);
    expect(readPrintedValues(result.stdout)).toEqual({ ...values, externalId });
    expect(result.stderr).toContain(
      `WARNING: replacing External ID ${values.externalId} in the trust policy of role CyberSentriqKmsRole with External ID ${externalId} (--replace-external-id).`,
    );
    expect(result.stderr).toContain(
      'WARNING: role CyberSentriqKmsRole also has policies this script did not create: Extra.',
    );
    const trust = await suite.admin().trustPolicy('CyberSentriqKmsRole');
    expectPlatformOnlyTrust(trust, suite.sandbox().aws.platformPrincipalArn, externalId);
    await expectPlatformCanUse(suite.platform(), { ...values, externalId });
  });

  it('applies alias, description, rotation and role flags', async () => {
    const result = await suite.run([
      '--key-alias',
      'alias/backup-custom',
      '--key-description',
      'Backups of Example Ltd',
      '--no-rotation',
      '--role-name',
      'ExampleBackupKmsRole',
    ]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split('\n')[3]).toBe("A new KMS key was created under alias 'alias/backup-custom'.");
    const values = readPrintedValues(result.stdout);
    expect(values.roleArn).toBe(
      `arn:aws:iam::${suite.sandbox().aws.customerAccountId}:role/ExampleBackupKmsRole`,
    );
    expect(values.keyArn).not.toBe(first!.keyArn);

    const admin = suite.admin();
    const description = await admin.output([
      'kms',
      'describe-key',
      '--key-id',
      'alias/backup-custom',
      '--query',
      'KeyMetadata.Description',
      '--output',
      'text',
    ]);
    expect(description).toBe('Backups of Example Ltd');
    const rotation = await admin.output([
      'kms',
      'get-key-rotation-status',
      '--key-id',
      values.keyArn,
      '--query',
      'KeyRotationEnabled',
      '--output',
      'text',
    ]);
    expect(rotation).toBe('False');
    const trust = await admin.trustPolicy('ExampleBackupKmsRole');
    expectPlatformOnlyTrust(trust, suite.sandbox().aws.platformPrincipalArn, values.externalId);
    await expectPlatformCanUse(suite.platform(), values);
  });
});
