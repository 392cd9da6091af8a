import { beforeAll, expect, it } from 'vitest';
import { expectPlatformCanUse, expectPlatformOnlyTrust } from './helpers/checks.js';
import { type PrintedValues, readPrintedValues } from './helpers/setup-script.js';
import { describeEachCli } from './helpers/suite.js';

// Company A is set up first. Company B's suggested setup command names its own External ID and, unless the
// admin changes it, the same role as company A.
const COMPANY_A_EXTERNAL_ID = '3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const COMPANY_B_EXTERNAL_ID = '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b';
const SHARED_ROLE_NAME = 'CompanyARole';
const SHARED_KEY_ALIAS = 'alias/company-a';

describeEachCli('setup script with an existing External ID', {}, (suite) => {
  let companyA: PrintedValues | undefined;

  beforeAll(async () => {
    const result = await suite.run([
      '--key-alias',
      SHARED_KEY_ALIAS,
      '--role-name',
      SHARED_ROLE_NAME,
      '--external-id',
      COMPANY_A_EXTERNAL_ID,
    ]);
    if (result.code !== 0) throw new Error(`setting up company A failed (${result.code}):\n${result.stderr}`);
    companyA = readPrintedValues(result.stdout);
  });

  async function countKeys(): Promise<number> {
    const text = await suite
      .admin()
      .output(['kms', 'list-keys', '--query', 'length(Keys)', '--output', 'text']);
    return Number(text);
  }

  it('rejects another External ID', async () => {
    const keysBefore = await countKeys();

    const result = await suite.run([
      '--key-alias',
      'alias/company-b',
      '--role-name',
      SHARED_ROLE_NAME,
      '--external-id',
      COMPANY_B_EXTERNAL_ID,
    ]);

    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `ERROR: role ${SHARED_ROLE_NAME} already trusts External ID ${COMPANY_A_EXTERNAL_ID}, and this run would replace it with External ID ${COMPANY_B_EXTERNAL_ID}. Nothing was changed.`,
    );
    expect(result.stderr).toContain(
      `The RedApp company that uses External ID ${COMPANY_A_EXTERNAL_ID} would lose access to its key`,
    );
    expect(result.stderr).toContain(
      `run the script again with --role-name ${SHARED_ROLE_NAME}-9e8d7c6b to create a separate role for it.`,
    );
    expect(result.stderr).toContain(
      'Add --key-alias alias/cybersentriq-byok-9e8d7c6b as well to give it a key of its own',
    );
    expect(result.stderr).toContain(
      `If no RedApp company uses External ID ${COMPANY_A_EXTERNAL_ID} any more, run the script again with --replace-external-id`,
    );
    expect(result.stderr).not.toContain('Updating the trust policy');
    expect(result.stderr).not.toContain('Created before the failure');

    const trust = await suite.admin().trustPolicy(SHARED_ROLE_NAME);
    expectPlatformOnlyTrust(trust, suite.sandbox().aws.platformPrincipalArn, COMPANY_A_EXTERNAL_ID);
    expect(await countKeys()).toBe(keysBefore);
    const alias = await suite.admin().run(['kms', 'describe-key', '--key-id', 'alias/company-b']);
    expect(alias.stderr).toContain('NotFoundException');
    await expectPlatformCanUse(suite.platform(), companyA!);
  });

  it('re-run with the same External ID succeeds', async () => {
    const result = await suite.run([
      '--key-alias',
      SHARED_KEY_ALIAS,
      '--role-name',
      SHARED_ROLE_NAME,
      '--external-id',
      COMPANY_A_EXTERNAL_ID,
    ]);

    expect(result.stderr).not.toContain('ERROR');
    expect(result.stderr).not.toContain('WARNING');
    expect(result.code, result.stderr).toBe(0);
    expect(readPrintedValues(result.stdout)).toEqual(companyA);
    const trust = await suite.admin().trustPolicy(SHARED_ROLE_NAME);
    expectPlatformOnlyTrust(trust, suite.sandbox().aws.platformPrincipalArn, COMPANY_A_EXTERNAL_ID);
  });

  it('suggested role name sets up another company', async () => {
    const roleName = `${SHARED_ROLE_NAME}-9e8d7c6b`;
    const result = await suite.run([
      '--key-alias',
      SHARED_KEY_ALIAS,
      '--role-name',
      roleName,
      '--external-id',
      COMPANY_B_EXTERNAL_ID,
    ]);

    expect(result.code, result.stderr).toBe(0);
    const companyB = readPrintedValues(result.stdout);
    expect(companyB.roleArn).toBe(`arn:aws:iam::${suite.sandbox().aws.customerAccountId}:role/${roleName}`);
    expect(companyB.externalId).toBe(COMPANY_B_EXTERNAL_ID);
    await expectPlatformCanUse(suite.platform(), companyB);
    await expectPlatformCanUse(suite.platform(), companyA!);
  });

  it('rejects dropping a second External ID', async () => {
    const otherExternalId = '7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2918';
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: suite.sandbox().aws.platformPrincipalArn },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': [COMPANY_A_EXTERNAL_ID, otherExternalId] } },
        },
      ],
    });
    await suite
      .admin()
      .output([
        'iam',
        'create-role',
        '--role-name',
        'TwoCompaniesRole',
        '--assume-role-policy-document',
        trust,
      ]);

    const result = await suite.run(['--key-alias', SHARED_KEY_ALIAS, '--role-name', 'TwoCompaniesRole']);

    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(
      `ERROR: role TwoCompaniesRole already trusts External ID ${otherExternalId}, and this run would replace it with External ID ${COMPANY_A_EXTERNAL_ID}.`,
    );
    const after = await suite.admin().trustPolicy('TwoCompaniesRole');
    expect(after.Statement[0]?.Condition).toEqual({
      StringEquals: { 'sts:ExternalId': [COMPANY_A_EXTERNAL_ID, otherExternalId] },
    });
  });

  // Runs last, because it replaces company A's External ID.
  it('--replace-external-id replaces it and warns', async () => {
    const result = await suite.run([
      '--key-alias',
      SHARED_KEY_ALIAS,
      '--role-name',
      SHARED_ROLE_NAME,
      '--external-id',
      COMPANY_B_EXTERNAL_ID,
      '--replace-external-id',
    ]);

    expect(result.stderr).not.toContain('ERROR');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `WARNING: replacing External ID ${COMPANY_A_EXTERNAL_ID} in the trust policy of role ${SHARED_ROLE_NAME} with External ID ${COMPANY_B_EXTERNAL_ID} (--replace-external-id).`,
    );
    expect(readPrintedValues(result.stdout)).toEqual({ ...companyA!, externalId: COMPANY_B_EXTERNAL_ID });
    const trust = await suite.admin().trustPolicy(SHARED_ROLE_NAME);
    expectPlatformOnlyTrust(trust, suite.sandbox().aws.platformPrincipalArn, COMPANY_B_EXTERNAL_ID);

    const oldExternalId = await suite
      .platform()
      .run([
        'sts',
        'assume-role',
        '--role-arn',
        companyA!.roleArn,
        '--role-session-name',
        'company-a',
        '--external-id',
        COMPANY_A_EXTERNAL_ID,
      ]);
    expect(oldExternalId.code).not.toBe(0);
    expect(oldExternalId.stderr).toContain('AccessDenied');
  });
});
