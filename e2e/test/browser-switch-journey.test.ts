import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  signInAtIdentityProvider,
  skipBrowserTests,
  testAwsValuesInConsole,
} from '../support/browser.js';
import {
  demoCredentials,
  type Sandbox,
  type Server,
  startSandbox,
  startServer,
} from '../support/processes.js';

/**
 * The whole switch to AWS KMS in Chromium, as a company admin clicks it. The admin signs in, copies
 * the setup command, runs the setup script against the sandbox and pastes the four values. Then
 * Test connection, Save, and every tenant verified at the identity sandbox (a refusal first). The
 * status flips to AWS KMS, and the company key is exported once. The tests take the screenshots
 * of docs/images/ on the way.
 */
const contoso = '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000101';
const contosoMain = '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a01';
const contosoResearch = '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a02';
const contosoGoogle = 'C03az79cb';

let sandbox: Sandbox;
let server: Server;
let browser: BrowserSession;
let page: Page;
let adminPassword = '';

function entraUser(tenantId: string, role: string) {
  const tenant = sandbox.config.identity.entra.tenants.find((t) => t.tenantId === tenantId)!;
  return tenant.users.find((user) => user.role === role)!;
}

function googleUser(customerId: string, role: string) {
  const account = sandbox.config.identity.google.accounts.find((a) => a.customerId === customerId)!;
  return account.users.find((user) => user.role === role)!;
}

function tenantRow(tenantId: string) {
  return page.locator(`[data-testid="tenant-row"][data-tenant-id="${tenantId}"]`);
}

async function expectNoSeriousAxeViolations() {
  const violations = await seriousAxeViolations(page);
  expect(violations, describeViolations(violations)).toEqual([]);
}

/** Clicks the tenant's Verify button, signs in at the identity sandbox as `user` and returns to the console. */
async function verifyTenant(
  tenantId: string,
  user: { username: string; password: string },
  inPage: Page = page,
) {
  // The identity sandbox keeps its sign-in session in this browser: the console's request must still
  // show the sign-in form, or a refused admin could not try another account.
  await inPage
    .locator(`[data-testid="tenant-row"][data-tenant-id="${tenantId}"]`)
    .getByRole('button', { name: /^Verify / })
    .click();
  await signInAtIdentityProvider(inPage, server.url, user);
  await inPage.getByTestId('verification-notice').waitFor();
}

describe.skipIf(skipBrowserTests)('console switch journey', () => {
  beforeAll(async () => {
    requireBrowserTools();
    sandbox = await startSandbox();
    server = await startServer({ sandboxFile: sandbox.file, env: { REDAPP_WEB_DIR: consoleBuildDir } });
    adminPassword = demoCredentials(server.dataDir).users.find(
      (user) => user.email === 'admin@contoso.example',
    )!.password;
    browser = await openBrowser();
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.process.stop();
    await sandbox?.process.stop();
  });

  it('signs in to Key Management', async () => {
    await page.goto(`${server.url}/sign-in`);
    await page.getByLabel('Email address').waitFor();
    await expectNoSeriousAxeViolations();
    await page.getByLabel('Email address').fill('admin@contoso.example');
    await screenshot(page, 'sign-in');

    await signIn(page, server.url, 'admin@contoso.example', adminPassword);
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/companies/${contoso}/key-management`);
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent())
      .toBe('Key Management: Contoso Ltd');
    expect(await page.getByTestId('current-provider').textContent()).toBe('CyberSentriq-Managed');
    expect(await page.getByTestId('signed-in-user').textContent()).toContain('admin@contoso.example');
    await expectNoSeriousAxeViolations();
    await screenshot(page, 'key-management-overview');
  });

  let setupCommand = '';
  let values: SetupScriptValues;

  it('copies the setup command of AWS KMS', async () => {
    await page.getByRole('button', { name: 'Manage KMS' }).click();
    expect(await page.getByTestId('manage-kms-toggle').getAttribute('aria-expanded')).toBe('true');
    await page.getByLabel('Provider', { exact: true }).selectOption({ label: 'AWS KMS' });
    await page.getByTestId('aws-setup').waitFor();
    expect(await page.getByTestId('platform-principal-arn').textContent()).toContain(
      sandbox.config.aws.platform.principalArn,
    );

    await page.getByRole('button', { name: 'Copy setup command' }).click();
    await page.getByTestId('aws-setup').getByText('Copied.').first().waitFor();
    setupCommand = await page.evaluate(() => navigator.clipboard.readText());
    expect(setupCommand).toBe((await page.getByTestId('setup-command').textContent())?.trim());
    const suggestedExternalId = await page.getByLabel('External ID').inputValue();
    expect(setupCommand).toContain(`--external-id ${suggestedExternalId}`);
    await expectNoSeriousAxeViolations();
  });

  it('runs the setup script with the copied command', () => {
    values = runSetupScript(setupCommand, sandbox.config.aws);
    expect(setupCommand).toContain(`--external-id ${values.externalId}`);
    expect(values.region).toBe('us-east-1');
    expect(values.keyArn).toMatch(/^arn:aws:kms:us-east-1:\d{12}:key\//);
  });

  it('tests the four values and saves them', async () => {
    await testAwsValuesInConsole(page, values);
    expect(await page.getByRole('button', { name: 'Save' }).isEnabled()).toBe(true);
    await expectNoSeriousAxeViolations();
    await page.getByTestId('test-passed').scrollIntoViewIfNeeded();
    await screenshot(page, 'manage-kms-test-passed');

    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('manage-kms').waitFor({ state: 'detached', timeout: 60_000 });
    await expect
      .poll(() => page.getByTestId('provider-state').textContent())
      .toBe('Switching to AWS KMS: 0 of 3 tenants verified');
    expect(await page.getByTestId('switch-saved').textContent()).toMatch(/^Saved\. The switch has started/);
    await expect.poll(() => page.getByTestId('tenant-row').count()).toBe(3);
  });

  it('refuses a plain user and shows the reason', async () => {
    await verifyTenant(contosoMain, entraUser(contosoMain, 'user'));
    expect(await page.getByTestId('verification-notice').getAttribute('data-result')).toBe('refused');
    expect(new URL(page.url()).search).toBe('');
    expect(await tenantRow(contosoMain).getByTestId('tenant-status').textContent()).toBe('Refused');
    expect(await tenantRow(contosoMain).getByTestId('tenant-reason').textContent()).toContain(
      'not a Global Administrator or Privileged Role Administrator',
    );
    await expectNoSeriousAxeViolations();
    await page.getByTestId('tenants').scrollIntoViewIfNeeded();
    await screenshot(page, 'tenants-refused');
  });

  it('verifies each tenant with a qualified admin', async () => {
    await verifyTenant(contosoMain, entraUser(contosoMain, 'global_admin'));
    expect(await page.getByTestId('verification-notice').getAttribute('data-result')).toBe('verified');
    expect(await tenantRow(contosoMain).getByTestId('tenant-status').textContent()).toBe('Verified');

    await verifyTenant(contosoResearch, entraUser(contosoResearch, 'privileged_role_admin'));
    expect(await tenantRow(contosoResearch).getByTestId('tenant-status').textContent()).toBe('Verified');
    expect(await page.getByTestId('tenant-progress').textContent()).toBe('2 of 3 tenants verified');
  });

  it('flips to AWS KMS without a reload', async () => {
    // The first tab stays open on the switching status while the last tenant is verified in a second
    // tab; the marker proves the first tab's document is never reloaded while its polling detects the flip.
    expect(await page.getByTestId('provider-state').textContent()).toContain('Switching to AWS KMS');
    await page.evaluate(() => {
      (window as unknown as { journeyMarker: boolean }).journeyMarker = true;
    });
    const verifyTab = await browser.context.newPage();
    await verifyTab.goto(page.url());
    await verifyTenant(contosoGoogle, googleUser(contosoGoogle, 'super_admin'), verifyTab);
    expect(await verifyTab.getByTestId('verification-notice').getAttribute('data-result')).toBe('verified');
    await verifyTab.close();

    await page.getByTestId('current-provider').filter({ hasText: 'AWS KMS' }).waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('provider-state').textContent()).toBe('Active');
    expect(await page.getByTestId('switch-finished').textContent()).toContain(
      'The switch has finished. The current provider is AWS KMS.',
    );
    expect(await page.evaluate(() => (window as unknown as { journeyMarker?: boolean }).journeyMarker)).toBe(
      true,
    );
    await page.getByTestId('export-form').waitFor();
    await expectNoSeriousAxeViolations();
    await page.getByTestId('provider-status').scrollIntoViewIfNeeded();
    await screenshot(page, 'switched-to-aws-kms');
  });

  it('exports once, then refuses a second export', async () => {
    const passphrase = 'correct horse battery staple';
    // A second tab still shows the export form from before the first export.
    const secondTab = await browser.context.newPage();
    await secondTab.goto(page.url());
    await secondTab.getByTestId('export-form').waitFor();

    await page.getByLabel('Your RedApp password').fill(adminPassword);
    await page.getByLabel('Passphrase for the file').fill(passphrase);
    await page.getByLabel('Passphrase again').fill(passphrase);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export and download' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.rkx$/);
    const file = `${server.dataDir}/browser-export.rkx`;
    await download.saveAs(file);
    expect(fs.statSync(file).size).toBeGreaterThan(100);
    await page.getByTestId('export-done').waitFor();
    expect(await page.getByTestId('export-done').textContent()).toContain(download.suggestedFilename());
    await expectNoSeriousAxeViolations();
    await page.getByTestId('export').scrollIntoViewIfNeeded();
    await screenshot(page, 'export-done');

    await secondTab.getByLabel('Your RedApp password').fill(adminPassword);
    await secondTab.getByLabel('Passphrase for the file').fill(passphrase);
    await secondTab.getByLabel('Passphrase again').fill(passphrase);
    await secondTab.getByRole('button', { name: 'Export and download' }).click();
    await secondTab.getByTestId('export-error').waitFor();
    expect(await secondTab.getByTestId('export-error').textContent()).toContain('Verify every tenant again');
    await secondTab.close();

    await page.reload();
    await page.getByTestId('export-unavailable').waitFor();
    expect(await page.getByTestId('export-form').count()).toBe(0);
    expect(await page.getByTestId('export-unavailable').textContent()).toMatch(/verif/i);
  });

  it('sends no request off this machine', () => {
    expect(browser.blockedRequests).toEqual([]);
  });
});
