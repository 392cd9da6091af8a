import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsPlatformSettings } from '../../src/providers/aws-kms/aws-clients.js';
import { type AwsKmsConfig, parseAwsKmsConfig } from '../../src/providers/aws-kms/aws-kms-config.js';
import { runAwsConnectionTest } from '../../src/providers/aws-kms/aws-kms-connection-test.js';
import { CustomerAccount } from '../support/customer-aws.js';
import { type RunningSandbox, startSandbox } from '../support/sandbox-process.js';

let sandbox: RunningSandbox;
let customer: CustomerAccount;
let settings: AwsPlatformSettings;
let roleCount = 0;

beforeAll(async () => {
  sandbox = await startSandbox();
  customer = new CustomerAccount(sandbox.config);
  const platform = sandbox.config.aws.platform;
  settings = {
    endpoint: sandbox.config.aws.endpoint,
    credentials: { accessKeyId: platform.accessKeyId, secretAccessKey: platform.secretAccessKey },
    maxAttempts: 1,
  };
});
afterAll(async () => {
  await sandbox?.stop();
});

const context = { companyId: '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000101', companyKeyVersion: 2 };

/** A key and a role set up as the setup script does, with one detail changeable per case. */
async function setUp(
  options: { keyArn?: string; actions?: string[]; trustPolicy?: object; roleExternalId?: string | null } = {},
): Promise<AwsKmsConfig> {
  const externalId = crypto.randomUUID();
  const keyArn = options.keyArn ?? (await customer.createKey());
  const roleExternalId = options.roleExternalId === null ? undefined : (options.roleExternalId ?? externalId);
  const roleArn = await customer.createRole(`CyberSentriqKmsRole${++roleCount}`, keyArn, {
    externalId: roleExternalId,
    ...(options.actions ? { actions: options.actions } : {}),
    ...(options.trustPolicy ? { trustPolicy: options.trustPolicy } : {}),
  });
  return { roleArn, externalId, region: sandbox.config.aws.region, keyArn };
}

async function failure(config: AwsKmsConfig, platform: AwsPlatformSettings = settings) {
  const report = await runAwsConnectionTest(config, platform, context);
  expect(report.error, JSON.stringify(report.steps)).toBeDefined();
  const failed = report.steps.find((step) => step.status === 'failed')!;
  return { error: report.error!, failed, steps: report.steps };
}

describe('AWS KMS connection test', () => {
  it('passes every step for a correct setup', async () => {
    const report = await runAwsConnectionTest(await setUp(), settings, context);
    expect(report.error).toBeUndefined();
    expect(report.steps.map((step) => [step.name, step.status])).toEqual([
      ['Platform credentials', 'passed'],
      ['Assume role', 'passed'],
      ['External ID enforced', 'passed'],
      ['Describe key', 'passed'],
      ['Encrypt and decrypt', 'passed'],
    ]);
  });

  it('reports a wrong External ID as ROLE_ACCESS_DENIED with the article advice', async () => {
    const config = await setUp();
    const { error, failed, steps } = await failure({ ...config, externalId: crypto.randomUUID() });
    expect(error.code).toBe('ROLE_ACCESS_DENIED');
    expect(error.message).toMatch(/^Access denied/);
    expect(error.fix).toMatch(/External ID matches character-for-character/);
    expect(failed.name).toBe('Assume role');
    expect(steps.slice(2).every((step) => step.status === 'not run')).toBe(true);
  });

  it('reports a trust policy naming another principal as ROLE_ACCESS_DENIED', async () => {
    const externalId = crypto.randomUUID();
    const config = await setUp({
      trustPolicy: customer.trustPolicy(externalId, sandbox.config.aws.customerAdmin.principalArn),
      roleExternalId: externalId,
    });
    const { error } = await failure({ ...config, externalId });
    expect(error.code).toBe('ROLE_ACCESS_DENIED');
  });

  it('reports a missing role as ROLE_ACCESS_DENIED', async () => {
    const config = await setUp();
    const { error } = await failure({
      ...config,
      roleArn: `arn:aws:iam::${customer.accountId}:role/NoSuchRole`,
    });
    expect(error.code).toBe('ROLE_ACCESS_DENIED');
  });

  it('refuses a role without an External ID condition', async () => {
    const { error, failed } = await failure(await setUp({ roleExternalId: null }));
    expect(error.code).toBe('EXTERNAL_ID_NOT_ENFORCED');
    expect(failed.name).toBe('External ID enforced');
  });

  it('reports a key that does not exist as KEY_NOT_FOUND naming the region', async () => {
    const config = await setUp();
    const missing = `arn:aws:kms:us-east-1:${customer.accountId}:key/00000000-0000-4000-8000-000000000000`;
    const { error } = await failure({ ...config, keyArn: missing });
    expect(error.code).toBe('KEY_NOT_FOUND');
    expect(error.message).toMatch(/^KMS key not found/);
    expect(error.message).toContain('us-east-1');
  });

  it('reports a key ARN of another region as KEY_NOT_FOUND', async () => {
    const config = await setUp();
    const elsewhere = config.keyArn.replace(':us-east-1:', ':eu-west-1:');
    const { error } = await failure({ ...config, keyArn: elsewhere, region: 'eu-west-1' });
    expect(error.code).toBe('KEY_NOT_FOUND');
    expect(error.message).toContain('eu-west-1');
  });

  it('reports a missing key of another account as KEY_NOT_FOUND, not a permission problem', async () => {
    const config = await setUp();
    const foreign = `arn:aws:kms:us-east-1:999999999999:key/00000000-0000-4000-8000-000000000000`;
    const { error } = await failure({ ...config, keyArn: foreign });
    expect(error.code).toBe('KEY_NOT_FOUND');
  });

  it('reports a disabled key as KEY_DISABLED', async () => {
    const keyArn = await customer.createKey();
    await customer.disableKey(keyArn);
    const { error } = await failure(await setUp({ keyArn }));
    expect(error.code).toBe('KEY_DISABLED');
    expect(error.message).toMatch(/^The KMS key is disabled/);
  });

  it('reports a key pending deletion with its date', async () => {
    const keyArn = await customer.createKey();
    await customer.scheduleDeletion(keyArn, 7);
    const { error } = await failure(await setUp({ keyArn }));
    expect(error.code).toBe('KEY_PENDING_DELETION');
    const expected = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    expect(error.message).toContain(expected);
  });

  it.each([
    ['RSA_2048', 'ENCRYPT_DECRYPT', /^Asymmetric KMS key is not supported/],
    ['ECC_NIST_P256', 'SIGN_VERIFY', /^Asymmetric KMS key is not supported/],
    ['HMAC_256', 'GENERATE_VERIFY_MAC', /^HMAC KMS key is not supported/],
  ] as const)('reports a %s key as KEY_NOT_SYMMETRIC', async (keySpec, keyUsage, message) => {
    const keyArn = await customer.createKey({ keySpec, keyUsage });
    const { error } = await failure(await setUp({ keyArn }));
    expect(error.code).toBe('KEY_NOT_SYMMETRIC');
    expect(error.message).toMatch(message);
  });

  it.each(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'])(
    'names a role policy without %s as KEY_PERMISSION_MISSING',
    async (missing) => {
      const actions = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'].filter(
        (a) => a !== missing,
      );
      const { error } = await failure(await setUp({ actions }));
      expect(error.code).toBe('KEY_PERMISSION_MISSING');
      expect(error.message).toContain(missing);
      expect(error.fix).toMatch(/both encrypt and decrypt/);
    },
  );

  it('names a key policy without the root statement', async () => {
    const keyArn = await customer.createKey();
    // Only the admin keeps rights on the key: the role's IAM policy has no effect on it any more.
    await customer.putKeyPolicy(keyArn, {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: sandbox.config.aws.customerAdmin.principalArn },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    });
    const { error } = await failure(await setUp({ keyArn }));
    expect(error.code).toBe('KEY_PERMISSION_MISSING');
    expect(error.message).toMatch(/delegates to IAM/);
  });

  it('reports an explicit deny in the key policy as KEY_POLICY_DENIES', async () => {
    const keyArn = await customer.createKey();
    const config = await setUp({ keyArn });
    const root = customer.rootPolicy() as { Statement: object[] };
    await customer.putKeyPolicy(keyArn, {
      Version: '2012-10-17',
      Statement: [
        ...root.Statement,
        { Effect: 'Deny', Principal: { AWS: config.roleArn }, Action: 'kms:Decrypt', Resource: '*' },
      ],
    });
    const { error } = await failure(config);
    expect(error.code).toBe('KEY_POLICY_DENIES');
    expect(error.message).toContain('kms:Decrypt');
  });

  it('reports rejected platform credentials as PLATFORM_CREDENTIALS', async () => {
    const config = await setUp();
    const wrong = {
      ...settings,
      credentials: {
        accessKeyId: sandbox.config.aws.platform.accessKeyId,
        secretAccessKey: 'not-the-secret',
      },
    };
    const { error, failed } = await failure(config, wrong);
    expect(error.code).toBe('PLATFORM_CREDENTIALS');
    expect(failed.name).toBe('Platform credentials');
  });

  it('reports a refused connection as PROVIDER_UNREACHABLE', async () => {
    const config = await setUp();
    const closed = await closedPort();
    const { error } = await failure(config, { ...settings, endpoint: `http://127.0.0.1:${closed}` });
    expect(error.code).toBe('PROVIDER_UNREACHABLE');
  });

  it('reports a timeout as PROVIDER_UNREACHABLE', async () => {
    const config = await setUp();
    // A listener that accepts connections and never answers.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const { error } = await failure(config, {
        ...settings,
        endpoint: `http://127.0.0.1:${port}`,
        requestTimeoutMs: 500,
      });
      expect(error.code).toBe('PROVIDER_UNREACHABLE');
    } finally {
      silent.close();
    }
  });
});

describe('AWS KMS configuration', () => {
  const valid = {
    roleArn: 'arn:aws:iam::123456789012:role/CyberSentriqKmsRole',
    externalId: '8f1e4c2b-7a3d-4e9f-b8c1-2d5e6f7a8b9c',
    region: 'us-east-1',
    keyArn: 'arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9',
  };

  it.each([
    ['roleArn', { roleArn: 'arn:aws:iam::123456789012:user/alice' }],
    ['roleArn', { roleArn: 'CyberSentriqKmsRole' }],
    ['externalId', { externalId: 'x' }],
    ['externalId', { externalId: 'has space' }],
    ['region', { region: 'US-EAST-1' }],
    ['keyArn', { keyArn: 'arn:aws:kms:us-east-1:123456789012:alias/cybersentriq-byok' }],
    ['keyArn', { keyArn: 'abcd-1234' }],
    ['roleArn', { roleArn: '' }],
  ])('rejects a bad %s', (field, change) => {
    expect(() => parseAwsKmsConfig({ ...valid, ...change })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', details: { field } }),
    );
  });

  it('names both regions when the key ARN is elsewhere', () => {
    expect(() => parseAwsKmsConfig({ ...valid, region: 'eu-west-1' })).toThrow(
      expect.objectContaining({
        code: 'KEY_NOT_FOUND',
        message: expect.stringMatching(/us-east-1.*eu-west-1/),
      }),
    );
  });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
