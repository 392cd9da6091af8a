import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SwitchState, Tenant } from '../src/api/api-types';
import { App } from '../src/app/App';
import { SessionProvider } from '../src/auth/session-context';
import { TenantsSection } from '../src/key-management/TenantsSection';
import { companyId, createFakeApi, type FakeApi, overviewFor, sessionFor } from './fake-api';

const base = `/api/companies/${companyId}/key-management`;
const pagePath = `/companies/${companyId}/key-management`;

const tenants: Tenant[] = [
  {
    kind: 'microsoft365',
    tenantId: '6a1d2f3e-0000-4000-8000-00000000aaaa',
    primaryDomain: 'contoso.example',
    backupSets: ['Contoso mailboxes and OneDrive'],
    status: 'refused',
    reason: 'not a Global Administrator or Privileged Role Administrator',
    verifiedBy: null,
    updatedAt: '2026-12-04T20:00:00.000Z',
  },
  {
    kind: 'google_workspace',
    tenantId: 'C03az79cb',
    primaryDomain: 'contoso-mail.example',
    backupSets: ['Contoso Gmail', 'Contoso Drive'],
    status: 'verified',
    reason: null,
    verifiedBy: 'super@contoso-mail.example',
    updatedAt: '2026-12-04T20:05:00.000Z',
  },
];

const pendingSwitch: SwitchState = {
  id: 'switch-1',
  state: 'pending',
  target: { type: 'aws-kms', label: 'AWS KMS', config: null },
  createdAt: '2026-12-04T19:00:00.000Z',
  createdBy: 'admin@contoso.example',
  tenantsTotal: 2,
  tenantsVerified: 1,
  lastError: null,
};

function serveCompany(fake: FakeApi, canManage: boolean, switching: boolean) {
  const overview = switching
    ? overviewFor(canManage, { status: 'switching', switch: pendingSwitch })
    : overviewFor(canManage);
  fake.on(`GET ${base}`, () => ({ body: overview }));
  fake.on(`GET ${base}/tenants`, () => ({ body: { tenants } }));
  fake.on(`GET /api/companies/${companyId}/audit-events`, () => ({
    body: {
      events: [
        {
          sequence: 3,
          time: '2026-12-04T19:00:00.000Z',
          actor: 'admin@contoso.example',
          action: 'switch.saved',
          outcome: 'success',
          summary: 'Saved AWS KMS and started the switch',
        },
      ],
    },
  }));
}

function seriousViolations(results: axe.AxeResults): string[] {
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.help}`);
}

function renderApp(fake: FakeApi) {
  return render(
    <SessionProvider api={fake.client}>
      <App />
    </SessionProvider>,
  );
}

beforeEach(() => {
  window.history.replaceState(null, '', pagePath);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('KeyManagementPage', () => {
  it('shows provider and switch progress', async () => {
    const fake = createFakeApi(sessionFor('company_admin'));
    serveCompany(fake, true, true);
    renderApp(fake);

    expect((await screen.findByTestId('current-provider')).textContent).toBe('CyberSentriq-Managed');
    expect(screen.getByTestId('tenant-progress').textContent).toBe('1 of 2 tenants verified');
    expect(await screen.findAllByTestId('history-row')).toHaveLength(1);
  });

  it('gives a Company Viewer no buttons to change anything', async () => {
    const fake = createFakeApi(sessionFor('company_viewer'));
    serveCompany(fake, false, true);
    renderApp(fake);
    await screen.findAllByTestId('tenant-row');

    const main = screen.getByRole('main');
    const buttons = within(main)
      .queryAllByRole('button')
      .map((button) => button.textContent);
    expect(buttons).toEqual(['Refresh']);
    expect(screen.getByTestId('read-only-note')).toBeTruthy();
  });

  it('offers Verify for each unverified tenant', async () => {
    const fake = createFakeApi(sessionFor('company_admin'));
    serveCompany(fake, true, true);
    renderApp(fake);
    const rows = await screen.findAllByTestId('tenant-row');

    expect(
      within(rows[0]!).getByRole('button', { name: /Verify Microsoft 365 tenant contoso.example/ }),
    ).toBeTruthy();
    expect(within(rows[1]!).queryByRole('button')).toBeNull();
    expect(within(rows[0]!).getByTestId('tenant-reason').textContent).toMatch(/not a Global Administrator/);
  });

  it('polls while switching and shows the finish', async () => {
    const fake = createFakeApi(sessionFor('company_admin'));
    serveCompany(fake, true, true);
    renderApp(fake);
    await screen.findByTestId('tenant-progress');

    fake.on(`GET ${base}`, () => ({
      body: overviewFor(true, {
        provider: { type: 'aws-kms', label: 'AWS KMS', config: null },
        export: { available: true },
      }),
    }));
    // The page polls every 3 s; waitFor allows up to 5 s.
    await waitFor(() => expect(screen.getByTestId('current-provider').textContent).toBe('AWS KMS'), {
      timeout: 5000,
    });
    expect(screen.getByTestId('switch-finished').textContent).toMatch(/current provider is AWS KMS/);
    expect(screen.getByTestId('export-form')).toBeTruthy();
  }, 10_000);

  it('shows the verification result from the callback', async () => {
    window.history.replaceState(null, '', `${pagePath}?tenant=${tenants[0]!.tenantId}&result=refused`);
    const fake = createFakeApi(sessionFor('company_admin'));
    serveCompany(fake, true, true);
    renderApp(fake);

    const notice = await screen.findByTestId('verification-notice');
    await waitFor(() => expect(notice.textContent).toMatch(/contoso.example/));
    expect(notice.getAttribute('data-result')).toBe('refused');
    expect(window.location.search).toBe('');
  });

  it('shows a finish that happened before the redirect', async () => {
    window.history.replaceState(null, '', `${pagePath}?tenant=${tenants[1]!.tenantId}&result=verified`);
    const fake = createFakeApi(sessionFor('company_admin'));
    serveCompany(fake, true, false);
    fake.on(`GET ${base}`, () => ({
      body: overviewFor(true, {
        provider: { type: 'aws-kms', label: 'AWS KMS', config: null },
        export: { available: true },
      }),
    }));
    renderApp(fake);

    const finished = await screen.findByTestId('switch-finished');
    expect(finished.textContent).toMatch(/current provider is AWS KMS/);
  });

  it('shows no finish after a refusal', async () => {
    window.history.replaceState(null, '', `${pagePath}?tenant=${tenants[0]!.tenantId}&result=refused`);
    const fake = createFakeApi(sessionFor('company_admin'));
    serveCompany(fake, true, false);
    fake.on(`GET ${base}`, () => ({
      body: overviewFor(true, {
        provider: { type: 'aws-kms', label: 'AWS KMS', config: null },
        export: { available: true },
      }),
    }));
    renderApp(fake);

    await screen.findByTestId('verification-notice');
    await screen.findByTestId('current-provider');
    expect(screen.queryByTestId('switch-finished')).toBeNull();
  });

  it('returns to sign-in on 401', async () => {
    const fake = createFakeApi(sessionFor('company_admin'));
    serveCompany(fake, true, false);
    fake.on(`GET ${base}`, () => ({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', message: 'Sign in first.', fix: 'Sign in.' } },
    }));
    renderApp(fake);

    expect(await screen.findByRole('heading', { name: 'Sign in to RedApp' })).toBeTruthy();
    expect(window.location.pathname).toBe('/sign-in');
    expect(new URLSearchParams(window.location.search).get('next')).toBe(pagePath);
  });

  it('has no serious axe violations', async () => {
    const fake = createFakeApi(sessionFor('company_admin'));
    serveCompany(fake, true, true);
    const { container } = renderApp(fake);
    await screen.findAllByTestId('tenant-row');
    await screen.findAllByTestId('history-row');

    // NOTE: colour contrast needs layout, which jsdom lacks, so only a browser run of axe checks it.
    const results = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
    expect(seriousViolations(results)).toEqual([]);
  });

  it('axe check catches an unlabelled input', async () => {
    const { container } = render(<input type="text" />);

    const results = await axe.run(container);
    expect(seriousViolations(results)).toContain('label: Form elements must have labels');
  });
});

describe('TenantsSection', () => {
  it('sends the browser to the authorization URL', async () => {
    const user = userEvent.setup();
    const fake = createFakeApi(sessionFor('company_admin'));
    fake.on(`POST ${base}/tenants/verify`, () => ({
      body: { authorizationUrl: 'http://127.0.0.1:9/authorize?x=1' },
    }));
    const redirects: string[] = [];
    render(
      <SessionProvider api={fake.client}>
        <TenantsSection
          companyId={companyId}
          tenants={tenants}
          loadError={null}
          canVerify
          refreshing={false}
          onRefresh={() => {}}
          redirect={(url) => redirects.push(url)}
        />
      </SessionProvider>,
    );
    await user.click(screen.getByRole('button', { name: /Verify Microsoft 365/ }));

    await waitFor(() => expect(redirects).toEqual(['http://127.0.0.1:9/authorize?x=1']));
    const request = fake.requests.find((candidate) => candidate.route === `POST ${base}/tenants/verify`);
    expect(request?.body).toEqual({ kind: 'microsoft365', tenantId: tenants[0]!.tenantId });
  });

  it('shows the error message and fix', async () => {
    const user = userEvent.setup();
    const fake = createFakeApi(sessionFor('company_admin'));
    fake.on(`POST ${base}/tenants/verify`, () => ({
      status: 409,
      body: { error: { code: 'CONFLICT', message: 'No switch is pending.', fix: 'Save a provider first.' } },
    }));
    render(
      <SessionProvider api={fake.client}>
        <TenantsSection
          companyId={companyId}
          tenants={tenants}
          loadError={null}
          canVerify
          refreshing={false}
          onRefresh={() => {}}
        />
      </SessionProvider>,
    );
    await user.click(screen.getByRole('button', { name: /Verify Microsoft 365/ }));

    const error = await screen.findByTestId('verify-error');
    expect(error.textContent).toContain('No switch is pending.');
    expect(error.textContent).toContain('Save a provider first.');
  });
});
