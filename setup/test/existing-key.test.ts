import { beforeAll, expect, it } from 'vitest';
import { type AwsChecker, expectPlatformCanUse, expectPlatformOnlyTrust } from './helpers/checks.js';
import { readPrintedValues } from './helpers/setup-script.js';
import { describeEachCli } from './helpers/suite.js';

async function createKey(admin: AwsChecker, region: string, extraArgs: string[] = []): Promise<string> {
  return admin.output([
    '--region',
    region,
    'kms',
    'create-key',
    ...extraArgs,
    '--query',
    'KeyMetadata.Arn',
    '--output',
    'text',
  ]);
}

function keyIdOf(keyArn: string): string {
  return keyArn.slice(keyArn.indexOf(':key/') + ':key/'.length);
}

describeEachCli('setup script with --key-id', {}, (suite) => {
  let region = '';
  let otherRegion = '';
  let aliasedKeyArn = '';
  let plainKeyArn = '';
  let otherRegionKeyArn = '';

  beforeAll(async () => {
    const admin = suite.admin();
    region = suite.sandbox().aws.region;
    otherRegion = region === 'eu-west-1' ? 'us-west-2' : 'eu-west-1';

    aliasedKeyArn = await createKey(admin, region, ['--description', 'existing backup key']);
    await admin.output([
      'kms',
      'create-alias',
      '--alias-name',
      'alias/existing-backup',
      '--target-key-id',
      aliasedKeyArn,
    ]);
    plainKeyArn = await createKey(admin, region);
    otherRegionKeyArn = await createKey(admin, otherRegion);
    await admin.output([
      '--region',
      otherRegion,
      'kms',
      'create-alias',
      '--alias-name',
      'alias/far-away',
      '--target-key-id',
      otherRegionKeyArn,
    ]);
  });

  async function countKeys(): Promise<number> {
    const text = await suite
      .admin()
      .output(['kms', 'list-keys', '--query', 'length(Keys)', '--output', 'text']);
    return Number(text);
  }

  it('reuses a key given by alias name', async () => {
    const keysBefore = await countKeys();
    const result = await suite.run(['--key-id', 'alias/existing-backup', '--role-name', 'AliasKeyRole']);

    expect(result.code, result.stderr).toBe(0);
    const values = readPrintedValues(result.stdout);
    expect(values.keyArn).toBe(aliasedKeyArn);
    expect(result.stdout.split('\n')[3]).toBe(
      `The existing KMS key ${aliasedKeyArn} was reused (alias 'alias/existing-backup').`,
    );
    expect(await countKeys()).toBe(keysBefore);
    const trust = await suite.admin().trustPolicy('AliasKeyRole');
    expectPlatformOnlyTrust(trust, suite.sandbox().aws.platformPrincipalArn, values.externalId);
    await expectPlatformCanUse(suite.platform(), values);
  });

  it('reuses a key given by key ID', async () => {
    const result = await suite.run(['--key-id', keyIdOf(aliasedKeyArn), '--role-name', 'KeyIdRole']);

    expect(result.code, result.stderr).toBe(0);
    expect(readPrintedValues(result.stdout).keyArn).toBe(aliasedKeyArn);
    expect(result.stdout.split('\n')[3]).toBe(
      `The existing KMS key ${aliasedKeyArn} was reused (alias 'alias/existing-backup').`,
    );
  });

  it('reuses a key without alias', async () => {
    const result = await suite.run(['--key-id', plainKeyArn, '--role-name', 'PlainKeyRole']);

    expect(result.code, result.stderr).toBe(0);
    expect(readPrintedValues(result.stdout).keyArn).toBe(plainKeyArn);
    expect(result.stdout.split('\n')[3]).toBe(
      `The existing KMS key ${plainKeyArn} was reused (it has no alias).`,
    );
  });

  it('takes the region from a key ARN', async () => {
    const result = await suite.run([
      '--key-id',
      otherRegionKeyArn,
      '--region',
      region,
      '--role-name',
      'FarKeyRole',
    ]);

    expect(result.code, result.stderr).toBe(0);
    const values = readPrintedValues(result.stdout);
    expect(values.region).toBe(otherRegion);
    expect(values.keyArn).toBe(otherRegionKeyArn);
    expect(result.stderr).toContain(
      `Using region ${otherRegion} from the --key-id ARN; it overrides --region ${region}.`,
    );
    await expectPlatformCanUse(suite.platform(), values);
  });

  it('takes the region from an alias ARN', async () => {
    const accountId = suite.sandbox().aws.customerAccountId;
    const aliasArn = `arn:aws:kms:${otherRegion}:${accountId}:alias/far-away`;
    const result = await suite.run(['--key-id', aliasArn, '--role-name', 'FarAliasRole']);

    expect(result.code, result.stderr).toBe(0);
    const values = readPrintedValues(result.stdout);
    expect(values.region).toBe(otherRegion);
    expect(values.keyArn).toBe(otherRegionKeyArn);
    expect(result.stdout.split('\n')[3]).toBe(
      `The existing KMS key ${otherRegionKeyArn} was reused (alias 'alias/far-away').`,
    );
  });

  it('reuses the key of an existing --key-alias', async () => {
    const result = await suite.run([
      '--key-alias',
      'alias/existing-backup',
      '--role-name',
      'ExistingAliasRole',
    ]);

    expect(result.code, result.stderr).toBe(0);
    expect(readPrintedValues(result.stdout).keyArn).toBe(aliasedKeyArn);
    expect(result.stdout.split('\n')[3]).toBe(
      `The existing KMS key ${aliasedKeyArn} was reused (alias 'alias/existing-backup').`,
    );
    const target = await suite
      .admin()
      .output([
        'kms',
        'describe-key',
        '--key-id',
        'alias/existing-backup',
        '--query',
        'KeyMetadata.Arn',
        '--output',
        'text',
      ]);
    expect(target).toBe(aliasedKeyArn);
  });

  const unusableKeys: Array<{
    name: string;
    prepare: (admin: AwsChecker) => Promise<string>;
    message: RegExp;
  }> = [
    {
      name: 'a disabled',
      prepare: async (admin) => {
        const arn = await createKey(admin, region);
        await admin.output(['kms', 'disable-key', '--key-id', arn]);
        return arn;
      },
      message: /KMS key arn:\S+ is disabled\. Enable it/,
    },
    {
      name: 'a pending deletion',
      prepare: async (admin) => {
        const arn = await createKey(admin, region);
        await admin.output([
          'kms',
          'schedule-key-deletion',
          '--key-id',
          arn,
          '--pending-window-in-days',
          '7',
        ]);
        return arn;
      },
      message: /KMS key arn:\S+ is pending deletion \(scheduled for .+\)\. Cancel the deletion/,
    },
    {
      name: 'an asymmetric',
      prepare: (admin) =>
        createKey(admin, region, ['--key-spec', 'RSA_2048', '--key-usage', 'ENCRYPT_DECRYPT']),
      message: /KMS key arn:\S+ is asymmetric \(RSA_2048\)\. Asymmetric keys are not supported/,
    },
    {
      name: 'an HMAC',
      prepare: (admin) =>
        createKey(admin, region, ['--key-spec', 'HMAC_256', '--key-usage', 'GENERATE_VERIFY_MAC']),
      message: /KMS key arn:\S+ is an HMAC key \(HMAC_256\)/,
    },
    {
      name: 'a missing',
      prepare: async () =>
        `arn:aws:kms:${region}:${suite.sandbox().aws.customerAccountId}:key/0b1c2d3e-4f50-4a1b-8c2d-3e4f5a6b7c8d`,
      message: /KMS key arn:\S+ \(given with --key-id\) was not found in region/,
    },
  ];

  for (const { name, prepare, message } of unusableKeys) {
    it(`stops on ${name} key before creating the role`, async () => {
      const keyArn = await prepare(suite.admin());
      const roleName = `Unused${name.replace(/^an? |\W/g, '')}Role`;
      const result = await suite.run(['--key-id', keyArn, '--role-name', roleName]);

      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(message);
      const getRole = await suite.admin().run(['iam', 'get-role', '--role-name', roleName]);
      expect(getRole.stderr).toContain('NoSuchEntity');
    });
  }
});
