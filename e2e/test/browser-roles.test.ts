import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.js';
import {
  type BrowserSession,
  consoleBuildDir,
  describeViolations,
  openBrowser,
  requireBrowserTools,
  screenshot,
  seriousAxeViolations,
  signIn,
  skipBrowserTests,
} from '../support/browser.js';
import { createCustomerKeyAndRole } from '../support/customer-setup.js';
import {
  type DemoCredentials,
  demoCredentials,
  type Sandbox,
  type Server,
  startSandbox,
  startServer,
} from '../support/processes.js';

/**
 * The console of each role while Contoso is switching to AWS KMS: a Partner Admin picks a
 * company first, a Company Viewer reads everything but gets only the Refresh button, and a Company
 * Admin (the negative control) gets the buttons the viewer must not have.
 */
const contoso = '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000101';

let sandbox: Sandbox;
let server: Server;
let credentials: DemoCredentials;
let browser: BrowserSession | undefined;

function passwordOf(email: string): string {
  return credentials.users.find((user) => user.email === email)!.password;
}

async function openAs(email: string): Promise<Page> {
  browser = await openBrowser();
  await signIn(browser.page, server.url, email, passwordOf(email));
  return browser.page;
}

async function expectNoSeriousAxeViolations(page: Page) {
  const violations = await seriousAxeViolations(page);
  expect(violations, describeViolations(violations)).toEqual([]);
}

async function buttonNames(page: Page): Promise<string[]> {
  const buttons = page.getByRole('button');
  const names: string[] = [];
  for (let i = 0; i < (await buttons.count()); i++) {
    const button = buttons.nth(i);
    names.push(((await button.getAttribute('aria-label')) ?? (await button.textContent()) ?? '').trim());
  }
  return names;
}

async function openKeyManagement(page: Page) {
  await page.goto(`${server.url}/companies/${contoso}/key-management`);
  await page.getByTestId('provider-state').filter({ hasText: 'Switching to AWS KMS' }).waitFor();
  await page.getByTestId('tenant-row').first().waitFor();
}

describe.skipIf(skipBrowserTests)('console roles', () => {
  beforeAll(async () => {
    requireBrowserTools();
    sandbox = await startSandbox();
    server = await startServer({ sandboxFile: sandbox.file, env: { REDAPP_WEB_DIR: consoleBuildDir } });
    credentials = demoCredentials(server.dataDir);

    // Contoso switching to AWS KMS, set up through the API, so every button of a switch is on the page.
    const admin = new ApiClient(server.url);
    await admin.signIn('admin@contoso.example', passwordOf('admin@contoso.example'));
    const setup = await admin.json<{ externalId: string }>(
      'GET',
      `/api/companies/${contoso}/key-management/aws-kms/setup`,
    );
    const customer = await createCustomerKeyAndRole(
      sandbox.config,
      setup.body.externalId,
      'CyberSentriqKmsRole',
    );
    customer.kms.destroy();
    const save = await admin.json<{ ok: boolean }>('POST', `/api/companies/${contoso}/key-management/save`, {
      providerType: 'aws-kms',
      config: {
        roleArn: customer.roleArn,
        externalId: setup.body.externalId,
        region: sandbox.config.aws.region,
        keyArn: customer.keyArn,
      },
    });
    expect(save.body.ok).toBe(true);
  });

  afterEach(async () => {
    await browser?.close();
    browser = undefined;
  });

  afterAll(async () => {
    await server?.process.stop();
    await sandbox?.process.stop();
  });

  it('shows a Partner Admin the company picker', async () => {
    const page = await openAs('partner.admin@northwind-msp.example');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/companies');
    const companies = page.getByTestId('company-list').getByRole('link');
    await companies.first().waitFor();
    const names = await companies.allTextContents();
    expect(names).toContain('Contoso Ltd');
    expect(names).toContain('Fabrikam Inc');
    // Tailspin Toys belongs to another partner.
    expect(names).not.toContain('Tailspin Toys');
    await expectNoSeriousAxeViolations(page);
    await screenshot(page, 'company-picker');

    await page.getByTestId('company-list').getByRole('link', { name: 'Contoso Ltd' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/companies/${contoso}/key-management`);
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent())
      .toBe('Key Management: Contoso Ltd');
  });

  it('gives a Company Admin the switch buttons', async () => {
    const page = await openAs('admin@contoso.example');
    await openKeyManagement(page);
    const names = await buttonNames(page);
    expect(names).toContain('Manage KMS');
    expect(names).toContain('Cancel switch');
    expect(names.filter((name) => name.startsWith('Verify ')).length).toBe(3);
    expect(await page.getByTestId('read-only-note').count()).toBe(0);
  });

  it('gives a Company Viewer only Refresh', async () => {
    const page = await openAs('viewer@contoso.example');
    await openKeyManagement(page);
    await page.getByTestId('read-only-note').waitFor();
    expect(await page.getByTestId('tenant-row').count()).toBe(3);
    expect((await buttonNames(page)).sort()).toEqual(['Refresh', 'Sign out']);
    expect(await page.getByTestId('manage-kms').count()).toBe(0);
    expect(await page.getByTestId('export-form').count()).toBe(0);
    await expectNoSeriousAxeViolations(page);
    await screenshot(page, 'company-viewer');
  });

  it('sends no request off this machine', async () => {
    const page = await openAs('viewer@contoso.example');
    await openKeyManagement(page);
    expect(browser!.blockedRequests).toEqual([]);
  });
});
