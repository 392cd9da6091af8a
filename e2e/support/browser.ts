import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { repositoryRoot, temporaryDir } from './processes.js';

/** Debian's Chromium; the browser tests never download a browser. */
export const chromiumPath = '/usr/bin/chromium';

export const consoleBuildDir = path.join(repositoryRoot, 'web', 'dist');

export const chromiumMissingMessage = `Chromium is not installed at ${chromiumPath}: install the Debian package "chromium" (apt-get install chromium) to run the browser tests.`;

/**
 * Whether the browser tests of a file are skipped: only outside CI when Chromium is missing. In CI
 * (the CI environment variable set) they run, and `requireBrowserTools` fails them with the reason.
 */
export const skipBrowserTests = !fs.existsSync(chromiumPath) && !process.env.CI;

if (skipBrowserTests) console.warn(`Skipping the browser tests. ${chromiumMissingMessage}`);

/** Raises an error naming what to install or build when Chromium or the console build is missing. */
export function requireBrowserTools(): void {
  if (!fs.existsSync(chromiumPath)) throw new Error(chromiumMissingMessage);
  if (!fs.existsSync(path.join(consoleBuildDir, 'index.html')))
    throw new Error(
      `The console is not built: ${path.join(consoleBuildDir, 'index.html')} is missing. Run "npm run build" at the repository root before the browser tests.`,
    );
}

const chromiumArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-gpu',
  '--no-first-run',
  '--disable-sync',
];

export const viewport = { width: 1280, height: 900 };

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Requests that the guard aborted because they were aimed at a host other than 127.0.0.1. */
  blockedRequests: string[];
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with a fresh user data directory, clipboard access and downloads allowed.
 * Every request to a host other than 127.0.0.1 or localhost is aborted and recorded, so no test
 * reaches out to the internet even through a link or a default of the browser.
 */
export async function openBrowser(): Promise<BrowserSession> {
  const userDataDir = temporaryDir('redapp-e2e-chromium-');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport,
    acceptDownloads: true,
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const blockedRequests: string[] = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
    if (local || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    blockedRequests.push(url.origin);
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);

  return {
    context,
    page,
    blockedRequests,
    close: async () => {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Signs in on the console's sign-in page and waits until the page after it has loaded. */
export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-user').waitFor();
}

/**
 * Completes the identity sandbox's pages after a Verify click: fills the login form as `user`,
 * presses Accept on the consent page when it appears, and waits for the console to load again.
 */
export async function signInAtIdentityProvider(
  page: Page,
  baseUrl: string,
  user: { username: string; password: string },
): Promise<void> {
  const login = page.locator('form#login');
  await login.waitFor();
  await login.locator('[name="username"]').fill(user.username);
  await login.locator('[name="password"]').fill(user.password);
  await login.locator('button[type="submit"]').click();

  const consent = page.locator('form#consent');
  const backAtConsole = page.waitForURL((url) => url.href.startsWith(baseUrl), { waitUntil: 'load' });
  const nextPage = await Promise.race([
    consent.waitFor().then(() => 'consent' as const),
    backAtConsole.then(() => 'console' as const),
  ]);
  if (nextPage === 'consent') {
    await consent.locator('button[value="accept"]').click();
    await backAtConsole;
  }
}

/**
 * Clicks the tenant's Verify button on the Key Management page, signs in at the identity sandbox as
 * `user` and waits for the console's verification notice.
 */
export async function verifyTenantInConsole(
  page: Page,
  baseUrl: string,
  tenantId: string,
  user: { username: string; password: string },
): Promise<void> {
  await page
    .locator(`[data-testid="tenant-row"][data-tenant-id="${tenantId}"]`)
    .getByRole('button', { name: /^Verify / })
    .click();
  await signInAtIdentityProvider(page, baseUrl, user);
  await page.getByTestId('verification-notice').waitFor();
}

/** Directory of the screenshots: docs/images, unless REDAPP_SCREENSHOT_DIR names another one. */
/**
 * Fills the four values the setup script printed into the open Manage KMS form, checks that Save stays
 * disabled until a test passes, clicks Test connection and waits until every step has passed.
 */
export async function testAwsValuesInConsole(page: Page, values: SetupScriptValues): Promise<void> {
  await page.getByLabel('Role ARN').fill(values.roleArn);
  await page.getByLabel('External ID').fill(values.externalId);
  await page.getByLabel('AWS Region').fill(values.region);
  await page.getByLabel('Key ARN').fill(values.keyArn);
  if (!(await page.getByRole('button', { name: 'Save' }).isDisabled())) {
    throw new Error('Save is enabled before Test connection has passed.');
  }

  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.getByTestId('test-passed').waitFor({ timeout: 60_000 });
  const statuses = await page
    .getByTestId('manage-kms-result')
    .locator('li[data-step-status]')
    .evaluateAll((items) => items.map((item) => item.getAttribute('data-step-status')));
  if (statuses.length <= 3 || statuses.some((status) => status !== 'passed')) {
    throw new Error(`Test connection steps did not all pass: ${statuses.join(', ')}.`);
  }
}

export const imagesDir = process.env.REDAPP_SCREENSHOT_DIR ?? path.join(repositoryRoot, 'docs', 'images');

/** Saves a PNG of the visible 1280×900 viewport as <imagesDir>/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(imagesDir, { recursive: true });
  // Let focus rings and live regions settle, so the picture shows the state the test has just checked.
  await page.waitForTimeout(200);
  await page.screenshot({ path: path.join(imagesDir, `${name}.png`), type: 'png', animations: 'disabled' });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

const axeScript = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Runs axe-core in the page and returns the violations of impact serious or critical. */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: axeScript });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: unknown[] }> } })
      .axe;
    return (await axe.run(document)).violations;
  });
  return (violations as AxeViolation[]).filter(
    (violation) => violation.impact === 'serious' || violation.impact === 'critical',
  );
}

/** One line per violation, for an assertion message that names what to fix. */
export function describeViolations(violations: AxeViolation[]): string {
  return violations
    .map(
      (violation) =>
        `${violation.impact} ${violation.id}: ${violation.help} at ${violation.nodes
          .map((node) => node.target.join(' '))
          .join(', ')}`,
    )
    .join('\n');
}

export interface SetupScriptValues {
  roleArn: string;
  externalId: string;
  keyArn: string;
  region: string;
}

/**
 * Runs setup/cybersentriq-byok-setup.sh with the arguments of the setup command the console shows,
 * as the customer's AWS admin (sandbox.json's customerAdmin) against the sandbox, with a temporary
 * HOME so no AWS CLI configuration of this machine applies. Returns the four values it prints.
 */
export function runSetupScript(
  setupCommand: string,
  aws: { endpoint: string; region: string; customerAdmin: { accessKeyId: string; secretAccessKey: string } },
): SetupScriptValues {
  const [program, ...args] = setupCommand.trim().split(/\s+/);
  if (!program?.endsWith('cybersentriq-byok-setup.sh'))
    throw new Error(`The setup command does not run cybersentriq-byok-setup.sh: ${setupCommand}`);
  // CloudShell sets AWS_REGION, but here the region is passed as --region, as the script's help describes.
  if (!args.includes('--region')) args.push('--region', aws.region);
  const home = temporaryDir('redapp-e2e-home-');
  const result = spawnSync(
    'bash',
    [path.join(repositoryRoot, 'setup', 'cybersentriq-byok-setup.sh'), ...args],
    {
      encoding: 'utf8',
      timeout: 180_000,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        AWS_ACCESS_KEY_ID: aws.customerAdmin.accessKeyId,
        AWS_SECRET_ACCESS_KEY: aws.customerAdmin.secretAccessKey,
        AWS_ENDPOINT_URL: aws.endpoint,
        AWS_PAGER: '',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    },
  );
  fs.rmSync(home, { recursive: true, force: true });
  if (result.status !== 0)
    throw new Error(
      `The setup script (${setupCommand}) exited with ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`,
    );

  const value = (label: string) => {
    const match = result.stdout.match(new RegExp(`^${label}: (\\S+)$`, 'm'));
    if (!match) throw new Error(`The setup script printed no "${label}:" line:\n${result.stdout}`);
    return match[1]!;
  };
  return {
    roleArn: value('Role ARN'),
    externalId: value('External ID'),
    keyArn: value('Key ARN'),
    region: value('Region'),
  };
}
