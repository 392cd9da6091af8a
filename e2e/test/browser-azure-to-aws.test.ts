import { createHash, randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInWithSandbox } from '../../sandbox/src/identity/sign-in-driver.js';
import { ApiClient } from '../support/api-client.js';
import {
  type BrowserSession,
  consoleBuildDir,
  describeViolations,
  openBrowser,
  requireBrowserTools,
  runSetupScript,
  type SetupScriptValues,
  screenshot,
  seriousAxeViolations,
  signIn,
  skipBrowserTests,
  testAwsValuesInConsole,
  verifyTenantInConsole,
} from '../support/browser.js';
import {
  type AzureKeyVaultValues,
  createCustomerAzureKey,
  setAzureKeyEnabled,
} from '../support/customer-azure.js';
import {
  demoCredentials,
  type Sandbox,
  type Server,
  startSandbox,
  startServer,
} from '../support/processes.js';

/**
 * A company on Azure Key Vault switches to AWS KMS in Chromium, as its admin clicks it. The company is
 * first put on Azure Key Vault through the API with the same Test connection, Save and tenant
 * verification, and backup objects are uploaded under the Azure key. In the console the admin then
 * runs the AWS setup script, tests and saves the values, and verifies every tenant. The objects must
 * download byte for byte afterwards, also once the Azure key is disabled.
 */
const contoso = '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000101';
const base = `/api/companies/${contoso}`;
const contosoMain = '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a01';
const contosoResearch = '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a02';
const contosoGoogle = 'C03az79cb';
/** Unwrapped company keys stay in the server's cache for at most this long. */
const keyCacheMaxAgeSeconds = 2;
/** Plaintext bytes per frame of a backup object, the server's default. */
const frameSize = 64 * 1024;

let sandbox: Sandbox;
let server: Server;
let admin: ApiClient;
let browser: BrowserSession;
let page: Page;
let adminPassword = '';

interface UploadedObject {
  id: string;
  backupSetId: string;
  data: Buffer;
  sha256: string;
}

const objects: UploadedObject[] = [];
let azure: { values: AzureKeyVaultValues; keyId: string };
let aws: SetupScriptValues;

function entraUser(tenantId: string, role: string) {
  const tenant = sandbox.config.identity.entra.tenants.find((t) => t.tenantId === tenantId)!;
  return tenant.users.find((user) => user.role === role)!;
}

function googleUser(customerId: string, role: string) {
  const account = sandbox.config.identity.google.accounts.find((a) => a.customerId === customerId)!;
  return account.users.find((user) => user.role === role)!;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function waitForKeyCacheExpiry(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, keyCacheMaxAgeSeconds * 1000 + 500));
}

function download(object: UploadedObject): Promise<Response> {
  return admin.request('GET', `${base}/backup-sets/${object.backupSetId}/objects/${object.id}/content`);
}

/** Downloads every uploaded object and checks its length, SHA-256 and bytes against the upload. */
async function expectEveryObjectRestored() {
  for (const object of objects) {
    const response = await download(object);
    expect(response.status, `download of the ${object.data.length}-byte object`).toBe(200);
    const restored = Buffer.from(await response.arrayBuffer());
    expect(restored.length).toBe(object.data.length);
    expect(sha256(restored)).toBe(object.sha256);
    expect(restored.equals(object.data)).toBe(true);
  }
}

/** Starts a tenant verification through the API and signs in at the identity sandbox as `user`. */
async function verifyThroughApi(
  kind: string,
  tenantId: string,
  user: { username: string; password: string },
) {
  const start = await admin.json<{ authorizationUrl: string }>(
    'POST',
    `${base}/key-management/tenants/verify`,
    {
      kind,
      tenantId,
    },
  );
  expect(start.status).toBe(200);
  const callback = await signInWithSandbox(start.body.authorizationUrl, user);
  const response = await admin.request('GET', `${callback.pathname}${callback.search}`);
  expect(response.status).toBe(303);
  const result = new URL(response.headers.get('location')!, server.url);
  expect(result.searchParams.get('result'), `verification of tenant ${tenantId}`).toBe('verified');
}

async function waitForActiveProvider(type: string) {
  let overview: { status: string; provider: { type: string; label: string } } | undefined;
  for (let attempt = 0; attempt < 150; attempt++) {
    overview = (await admin.json<NonNullable<typeof overview>>('GET', `${base}/key-management`)).body;
    if (overview.status === 'active' && overview.provider.type === type) return overview;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`The company did not become active on ${type}; last overview: ${JSON.stringify(overview)}`);
}

async function companyKeyVersions() {
  return (
    await admin.json<{ versions: Array<{ providerType: string; providerKeyId: string }> }>(
      'GET',
      `${base}/keys`,
    )
  ).body.versions;
}

async function expectNoSeriousAxeViolations() {
  const violations = await seriousAxeViolations(page);
  expect(violations, describeViolations(violations)).toEqual([]);
}

describe.skipIf(skipBrowserTests)('console switch from Azure Key Vault to AWS KMS', () => {
  beforeAll(async () => {
    requireBrowserTools();
    sandbox = await startSandbox();
    server = await startServer({
      sandboxFile: sandbox.file,
      env: {
        REDAPP_WEB_DIR: consoleBuildDir,
        REDAPP_KEY_CACHE_MAX_AGE_SECONDS: String(keyCacheMaxAgeSeconds),
      },
    });
    adminPassword = demoCredentials(server.dataDir).users.find(
      (user) => user.email === 'admin@contoso.example',
    )!.password;
    admin = new ApiClient(server.url);
    await admin.signIn('admin@contoso.example', adminPassword);
    browser = await openBrowser();
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.process.stop();
    await sandbox?.process.stop();
  });

  it('switches to Azure Key Vault first', async () => {
    azure = await createCustomerAzureKey(sandbox.config, 'contoso-backup-key');
    const request = { providerType: 'azure-key-vault', config: azure.values };

    const test = await admin.json<{ ok: boolean; steps: Array<{ status: string }> }>(
      'POST',
      `${base}/key-management/test`,
      request,
    );
    expect(test.body.ok).toBe(true);
    expect(test.body.steps.every((step) => step.status === 'passed')).toBe(true);

    const save = await admin.json<{ ok: boolean; switch: { state: string; tenantsTotal: number } }>(
      'POST',
      `${base}/key-management/save`,
      request,
    );
    expect(save.body.ok).toBe(true);
    expect(save.body.switch).toMatchObject({ state: 'pending', tenantsTotal: 3, tenantsVerified: 0 });

    await verifyThroughApi('microsoft365', contosoMain, entraUser(contosoMain, 'global_admin'));
    await verifyThroughApi('microsoft365', contosoResearch, entraUser(contosoResearch, 'global_admin'));
    await verifyThroughApi('google_workspace', contosoGoogle, googleUser(contosoGoogle, 'super_admin'));
    const overview = await waitForActiveProvider('azure-key-vault');
    expect(overview.provider.label).toBe('Azure Key Vault');

    const versions = await companyKeyVersions();
    expect(versions.length).toBeGreaterThan(0);
    for (const version of versions) {
      expect(version).toMatchObject({ providerType: 'azure-key-vault', providerKeyId: azure.keyId });
    }
  });

  it('stores backup objects under the Azure key', async () => {
    const sets = (await admin.json<{ backupSets: Array<{ id: string }> }>('GET', `${base}/backup-sets`)).body
      .backupSets;
    expect(sets.length).toBeGreaterThan(1);
    // Empty, a few bytes, exactly one frame, and several frames with a partial last one.
    const sizes = [0, 5, frameSize, 3 * frameSize + 1_234];
    for (const [index, size] of sizes.entries()) {
      const backupSetId = sets[index % sets.length]!.id;
      const data = randomBytes(size);
      const response = await admin.request(
        'POST',
        `${base}/backup-sets/${backupSetId}/objects?name=azure-${size}`,
        new Uint8Array(data),
      );
      expect(response.status, `upload of ${size} bytes`).toBe(201);
      const stored = (await response.json()) as { id: string; sizeBytes: number };
      expect(stored.sizeBytes).toBe(size);
      objects.push({ id: stored.id, backupSetId, data, sha256: sha256(data) });
    }
    await expectEveryObjectRestored();
  });

  it('needs the Azure key while on Azure Key Vault', async () => {
    // The control for the last test: while on Azure, disabling the key stops downloads once the cache expires.
    await setAzureKeyEnabled(sandbox.config, azure.values.keyName, false);
    await waitForKeyCacheExpiry();
    const blocked = await download(objects.at(-1)!);
    expect(blocked.status).toBe(422);
    expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe('AZURE_KEY_DISABLED');

    await setAzureKeyEnabled(sandbox.config, azure.values.keyName, true);
    expect((await download(objects.at(-1)!)).status).toBe(200);
  });

  it('shows Azure Key Vault as current', async () => {
    await signIn(page, server.url, 'admin@contoso.example', adminPassword);
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/companies/${contoso}/key-management`);
    await page.getByTestId('current-provider').waitFor();
    expect(await page.getByTestId('current-provider').textContent()).toBe('Azure Key Vault');
    expect(await page.getByTestId('provider-state').textContent()).toBe('Active');
    const status = page.getByTestId('provider-status');
    expect(await status.getByRole('definition').allTextContents()).toContain(azure.values.vaultUrl);
    expect(await status.getByRole('term').allTextContents()).toContain('Vault URL');
    await expectNoSeriousAxeViolations();
    await screenshot(page, 'azure-key-vault-current');
  });

  let setupCommand = '';

  it('runs the copied AWS setup command', async () => {
    await page.getByRole('button', { name: 'Manage KMS' }).click();
    await page.getByLabel('Provider', { exact: true }).selectOption({ label: 'AWS KMS' });
    await page.getByTestId('aws-setup').waitFor();
    expect(await page.getByTestId('platform-principal-arn').textContent()).toContain(
      sandbox.config.aws.platform.principalArn,
    );
    await page.getByRole('button', { name: 'Copy setup command' }).click();
    await page.getByTestId('aws-setup').getByText('Copied.').first().waitFor();
    setupCommand = await page.evaluate(() => navigator.clipboard.readText());
    expect(setupCommand).toBe((await page.getByTestId('setup-command').textContent())?.trim());

    aws = runSetupScript(setupCommand, sandbox.config.aws);
    expect(aws.externalId).toBe(await page.getByLabel('External ID').inputValue());
    expect(aws.keyArn).toMatch(/^arn:aws:kms:us-east-1:\d{12}:key\//);
  });

  it('tests and saves the AWS KMS values', async () => {
    await testAwsValuesInConsole(page, aws);
    await page.getByTestId('test-passed').scrollIntoViewIfNeeded();
    await screenshot(page, 'azure-to-aws-test-passed');

    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('manage-kms').waitFor({ state: 'detached', timeout: 60_000 });
    await expect
      .poll(() => page.getByTestId('provider-state').textContent())
      .toBe('Switching to AWS KMS: 0 of 3 tenants verified');
    expect(await page.getByTestId('current-provider').textContent()).toBe('Azure Key Vault');
    await expect.poll(() => page.getByTestId('tenant-row').count()).toBe(3);
  });

  it('verifies every tenant and flips to AWS KMS', async () => {
    await verifyTenantInConsole(page, server.url, contosoMain, entraUser(contosoMain, 'global_admin'));
    expect(await page.getByTestId('verification-notice').getAttribute('data-result')).toBe('verified');
    await verifyTenantInConsole(
      page,
      server.url,
      contosoResearch,
      entraUser(contosoResearch, 'privileged_role_admin'),
    );
    expect(await page.getByTestId('verification-notice').getAttribute('data-result')).toBe('verified');
    expect(await page.getByTestId('tenant-progress').textContent()).toBe('2 of 3 tenants verified');
    await page.getByTestId('tenants').scrollIntoViewIfNeeded();
    await screenshot(page, 'azure-to-aws-tenants');

    await verifyTenantInConsole(page, server.url, contosoGoogle, googleUser(contosoGoogle, 'super_admin'));
    expect(await page.getByTestId('verification-notice').getAttribute('data-result')).toBe('verified');

    await page.getByTestId('current-provider').filter({ hasText: 'AWS KMS' }).waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('provider-state').textContent()).toBe('Active');
    await expectNoSeriousAxeViolations();
    await page.getByTestId('provider-status').scrollIntoViewIfNeeded();
    await screenshot(page, 'azure-to-aws-switched');

    const versions = await companyKeyVersions();
    for (const version of versions) {
      expect(version).toMatchObject({ providerType: 'aws-kms', providerKeyId: aws.keyArn });
    }
  });

  it('restores every backup object byte for byte', async () => {
    await expectEveryObjectRestored();
  });

  it('audits the Azure to AWS switch', async () => {
    const newestFirst = (
      await admin.json<{
        events: Array<{
          sequence: number;
          action: string;
          outcome: string;
          details: Record<string, unknown>;
        }>;
      }>('GET', `${base}/audit-events?limit=200`)
    ).body.events;
    const events = [...newestFirst].reverse();
    const finishedSwitches = events.filter((event) => event.action === 'switch.finished');
    expect(finishedSwitches.map((event) => [event.details.sourceType, event.details.targetType])).toEqual([
      ['cybersentriq', 'azure-key-vault'],
      ['azure-key-vault', 'aws-kms'],
    ]);
    const [toAzure, toAws] = finishedSwitches as [(typeof events)[number], (typeof events)[number]];

    const sinceAzure = events.filter(
      (event) => event.sequence > toAzure.sequence && event.sequence <= toAws.sequence,
    );
    const saved = sinceAzure.filter((event) => event.action === 'switch.saved');
    expect(saved.map((event) => [event.details.sourceType, event.details.targetType])).toEqual([
      ['azure-key-vault', 'aws-kms'],
    ]);
    expect(saved[0]!.details).toMatchObject({ keyArn: aws.keyArn, roleArn: aws.roleArn });
    const tested = sinceAzure.filter((event) => event.action === 'connection.tested');
    expect(tested.map((event) => [event.details.providerType, event.outcome])).toEqual([
      ['aws-kms', 'success'],
    ]);
    const verified = sinceAzure.filter((event) => event.action === 'tenant.verified');
    expect(verified).toHaveLength(3);
    expect(toAws.outcome).toBe('success');

    expect(JSON.stringify(events)).not.toContain(azure.values.clientSecret);
  });

  it('no longer needs the Azure key', async () => {
    await setAzureKeyEnabled(sandbox.config, azure.values.keyName, false);
    await waitForKeyCacheExpiry();
    await expectEveryObjectRestored();
  });

  it('sends no request off this machine', () => {
    expect(browser.blockedRequests).toEqual([]);
  });
});
