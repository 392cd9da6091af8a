import { randomBytes } from 'node:crypto';
import { CreateKeyCommand, DisableKeyCommand, EnableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, createFixture, errorCode, type Fixture, signIn } from '../support/fixtures.js';
import { type RunningSandbox, startSandbox } from '../support/sandbox-process.js';

/**
 * CyberSentriq-managed keys on the platform's own KMS key (the production option), through the real
 * SDK against the sandbox: the platform user's own key, reached with the default credential chain.
 */
let sandbox: RunningSandbox;
let fixture: Fixture;
let platformKms: KMSClient;
let keyArn: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  sandbox = await startSandbox();
  const platform = sandbox.config.aws.platform;
  // The default credential chain reads these, as it would read an instance role in production.
  process.env.AWS_ACCESS_KEY_ID = platform.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = platform.secretAccessKey;
  // The platform's administrator creates the key; the connector user only uses it.
  const platformAdmin = sandbox.config.aws.platformAdmin;
  platformKms = new KMSClient({
    region: 'us-east-1',
    endpoint: sandbox.config.aws.endpoint,
    credentials: { accessKeyId: platformAdmin.accessKeyId, secretAccessKey: platformAdmin.secretAccessKey },
  });
  keyArn = (await platformKms.send(new CreateKeyCommand({ Description: 'platform key' }))).KeyMetadata!.Arn!;
  fixture = await createFixture({
    platformKmsKeyArn: keyArn,
    awsEndpoint: sandbox.config.aws.endpoint,
    keyCacheMaxAgeSeconds: 0,
  });
});

afterAll(async () => {
  await fixture?.close();
  await sandbox?.stop();
  process.env = savedEnv;
});

describe('platform KMS key', () => {
  it('wraps company keys with the platform key and round-trips objects', async () => {
    const admin = await signIn(fixture.app, fixture.users.companyAdmin);
    const companyId = fixture.companies.a1;
    const url = `/api/companies/${companyId}/backup-sets/${fixture.backupSets[companyId]}/objects`;
    const data = randomBytes(100_000);
    const created = await fixture.app.inject({
      method: 'POST',
      url,
      headers: { ...authHeaders(admin), 'content-type': 'application/octet-stream' },
      payload: data,
    });
    expect(created.statusCode).toBe(201);

    const keys = await fixture.app.inject({
      method: 'GET',
      url: `/api/companies/${companyId}/keys`,
      headers: authHeaders(admin),
    });
    expect(keys.json().versions[0]).toMatchObject({
      providerType: 'cybersentriq',
      providerKeyId: keyArn,
      mechanism: 'AWS-KMS-SYMMETRIC_DEFAULT',
    });

    const download = await fixture.app.inject({
      method: 'GET',
      url: `${url}/${created.json().id}/content`,
      headers: authHeaders(admin),
    });
    expect(download.rawPayload.equals(data)).toBe(true);
  });

  it("reports a disabled platform key as a platform problem, not the customer's", async () => {
    const admin = await signIn(fixture.app, fixture.users.companyAdmin);
    const companyId = fixture.companies.a1;
    const url = `/api/companies/${companyId}/backup-sets/${fixture.backupSets[companyId]}/objects/${fixture.backupObjects[companyId]}/content`;
    await platformKms.send(new DisableKeyCommand({ KeyId: keyArn }));
    try {
      const response = await fixture.app.inject({ method: 'GET', url, headers: authHeaders(admin) });
      expect(response.statusCode).toBe(503);
      expect(errorCode(response)).toBe('PLATFORM_CREDENTIALS');
    } finally {
      await platformKms.send(new EnableKeyCommand({ KeyId: keyArn }));
    }
    const restored = await fixture.app.inject({ method: 'GET', url, headers: authHeaders(admin) });
    expect(restored.statusCode).toBe(200);
  });
});
