import { DisableKeyCommand, EnableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
} from '../support/browser.js';
import {
  demoCredentials,
  type Sandbox,
  type Server,
  startSandbox,
  startServer,
} from '../support/processes.js';

/**
 * The "Common issues" of the switch as the console shows them: a wrong External ID, a disabled key,
 * and a backup set added while the switch waits for verifications.
 */
const contoso = '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000101';

let sandbox: Sandbox;
let server: Server;
let browser: BrowserSession;
let page: Page;
let admin: ApiClient;
let values: SetupScriptValues;
let customerKms: KMSClient;

async function fillAwsValues(config: SetupScriptValues) {
  await page.getByLabel('Role ARN').fill(config.roleArn);
  await page.getByLabel('External ID').fill(config.externalId);
  await page.getByLabel('AWS Region').fill(config.region);
  await page.getByLabel('Key ARN').fill(config.keyArn);
}

/** Clicks Test connection and returns the text of the failed result. */
async function testConnectionFailure(): Promise<string> {
  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.getByTestId('test-failed').waitFor({ timeout: 60_000 });
  return (await page.getByTestId('test-failed').textContent()) ?? '';
}

describe.skipIf(skipBrowserTests)('console failure journeys', () => {
  beforeAll(async () => {
    requireBrowserTools();
    sandbox = await startSandbox();
    server = await startServer({ sandboxFile: sandbox.file, env: { REDAPP_WEB_DIR: consoleBuildDir } });
    const credentials = demoCredentials(server.dataDir).users.find(
      (user) => user.email === 'admin@contoso.example',
    )!;
    admin = new ApiClient(server.url);
    await admin.signIn(credentials.email, credentials.password);
    customerKms = new KMSClient({
      region: sandbox.config.aws.region,
      endpoint: sandbox.config.aws.endpoint,
      credentials: {
        accessKeyId: sandbox.config.aws.customerAdmin.accessKeyId,
        secretAccessKey: sandbox.config.aws.customerAdmin.secretAccessKey,
      },
    });

    browser = await openBrowser();
    page = browser.page;
    await signIn(page, server.url, credentials.email, credentials.password);
    await page.getByRole('button', { name: 'Manage KMS' }).click();
    await page.getByLabel('Provider', { exact: true }).selectOption({ label: 'AWS KMS' });
    const setupCommand = (await page.getByTestId('setup-command').textContent()) ?? '';
    values = runSetupScript(setupCommand, sandbox.config.aws);
  });

  afterAll(async () => {
    customerKms?.destroy();
    await browser?.close();
    await server?.process.stop();
    await sandbox?.process.stop();
  });

  it('shows the access-denied advice for a wrong External ID', async () => {
    await fillAwsValues({ ...values, externalId: crypto.randomUUID() });
    const failure = await testConnectionFailure();
    expect(failure).toContain('Access denied');
    expect(failure).toContain(
      'Ask your AWS admin to confirm the principal in the trust policy is the CyberSentriq platform account, and that the External ID matches character-for-character.',
    );
    expect(failure).toContain('ROLE_ACCESS_DENIED');
    const assumeRole = page.getByTestId('manage-kms-result').locator('li', { hasText: 'Assume role' });
    expect(await assumeRole.getAttribute('data-step-status')).toBe('failed');
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    const violations = await seriousAxeViolations(page);
    expect(violations, describeViolations(violations)).toEqual([]);
    await page.getByTestId('test-failed').scrollIntoViewIfNeeded();
    await screenshot(page, 'manage-kms-access-denied');
  });

  it('shows the disabled message for a disabled key', async () => {
    await customerKms.send(new DisableKeyCommand({ KeyId: values.keyArn }));
    try {
      await fillAwsValues(values);
      const failure = await testConnectionFailure();
      expect(failure).toContain('The KMS key is disabled');
      expect(failure).toContain('Ask your AWS admin to re-enable the key, then retry.');
      expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    } finally {
      await customerKms.send(new EnableKeyCommand({ KeyId: values.keyArn }));
    }
  });

  it('lists a backup set added while switching as unverified', async () => {
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByTestId('test-passed').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('manage-kms').waitFor({ state: 'detached', timeout: 60_000 });
    await expect.poll(() => page.getByTestId('tenant-row').count()).toBe(3);

    const added = { tenantId: '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a99', domain: 'labs.contoso.example' };
    const created = await admin.json('POST', `/api/companies/${contoso}/backup-sets`, {
      kind: 'microsoft365',
      tenantId: added.tenantId,
      primaryDomain: added.domain,
      name: 'Contoso Labs',
    });
    expect(created.status).toBe(201);

    await page.getByRole('button', { name: 'Refresh' }).click();
    const row = page.locator(`[data-testid="tenant-row"][data-tenant-id="${added.tenantId}"]`);
    await row.waitFor();
    expect(await row.getByTestId('tenant-status').textContent()).toBe('Unverified');
    expect(
      await row.getByRole('button', { name: `Verify Microsoft 365 tenant ${added.domain}` }).count(),
    ).toBe(1);
    await expect
      .poll(() => page.getByTestId('tenant-progress').textContent())
      .toBe('0 of 4 tenants verified');
  });

  it('sends no request off this machine', () => {
    expect(browser.blockedRequests).toEqual([]);
  });
});
