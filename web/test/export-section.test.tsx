import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionProvider } from '../src/auth/session-context';
import { checkPassphrase, ExportSection } from '../src/key-management/ExportSection';
import { companyId, createFakeApi, type FakeApi, overviewFor, sessionFor } from './fake-api';

const exportRoute = `POST /api/companies/${companyId}/key-management/export`;
const passphrase = 'correct horse battery staple';

function renderExport(fake: FakeApi, onExported: () => void = () => {}) {
  render(
    <SessionProvider api={fake.client}>
      <ExportSection overview={overviewFor(true, { export: { available: true } })} onExported={onExported} />
    </SessionProvider>,
  );
}

async function fillForm(user: ReturnType<typeof userEvent.setup>) {
  await user.type(screen.getByLabelText('Your RedApp password'), 'admin password');
  await user.type(screen.getByLabelText('Passphrase for the file'), passphrase);
  await user.type(screen.getByLabelText('Passphrase again'), passphrase);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('checkPassphrase', () => {
  it('requires 16 characters', () => {
    expect(checkPassphrase('a'.repeat(15), 'a'.repeat(15))).toMatch(/at least 16 characters \(15 so far\)/);
    expect(checkPassphrase('a'.repeat(16), 'a'.repeat(16))).toBeUndefined();
  });

  it('requires both entries to match', () => {
    expect(checkPassphrase(passphrase, `${passphrase}.`)).toMatch(/do not match/);
  });
});

describe('ExportSection', () => {
  it('downloads the file once', async () => {
    const user = userEvent.setup();
    const fake = createFakeApi(sessionFor('company_admin'));
    const exported: unknown[] = [];
    fake.on(exportRoute, () => ({ body: { file: 'bytes' } }));
    const createObjectURL = vi.fn(() => 'blob:export');
    URL.createObjectURL = createObjectURL;
    URL.revokeObjectURL = vi.fn();
    renderExport(fake, () => exported.push(true));
    await fillForm(user);
    await user.click(screen.getByRole('button', { name: 'Export and download' }));

    const done = await screen.findByTestId('export-done');
    expect(done.textContent).toContain(`redapp-company-key-${companyId}.rkx`);
    expect(done.textContent).toMatch(/Store the file and its passphrase safely/);
    expect(createObjectURL).toHaveBeenCalledTimes(1);
    expect(exported).toHaveLength(1);
    expect(screen.getByTestId('export-unavailable').textContent).toMatch(/verified again/);
    expect(fake.requests.find((request) => request.route === exportRoute)?.body).toEqual({
      password: 'admin password',
      passphrase,
    });
  });

  it('keeps Export disabled for a short passphrase', async () => {
    const user = userEvent.setup();
    const fake = createFakeApi(sessionFor('company_admin'));
    renderExport(fake);
    await user.type(screen.getByLabelText('Your RedApp password'), 'admin password');
    await user.type(screen.getByLabelText('Passphrase for the file'), 'too short');

    expect(screen.getByRole('button', { name: 'Export and download' })).toHaveProperty('disabled', true);
    expect(screen.getByLabelText('Passphrase for the file').getAttribute('aria-invalid')).toBe('true');
  });

  it('shows a wrong password without signing out', async () => {
    const user = userEvent.setup();
    const fake = createFakeApi(sessionFor('company_admin'));
    fake.on(exportRoute, () => ({
      status: 401,
      body: {
        error: { code: 'INVALID_CREDENTIALS', message: 'The password is incorrect.', fix: 'Check it.' },
      },
    }));
    const signedOut: unknown[] = [];
    renderExport(fake);
    fake.client.onUnauthorized(() => signedOut.push(true));
    await fillForm(user);
    await user.click(screen.getByRole('button', { name: 'Export and download' }));

    expect((await screen.findByTestId('export-error')).textContent).toContain('The password is incorrect.');
    expect(signedOut).toEqual([]);
  });

  it('signs out when the session expired', async () => {
    const user = userEvent.setup();
    const fake = createFakeApi(sessionFor('company_admin'));
    fake.on(exportRoute, () => ({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', message: 'Sign in first.', fix: 'Sign in and try again.' } },
    }));
    const signedOut: unknown[] = [];
    renderExport(fake);
    await screen.findByLabelText('Your RedApp password');
    await waitFor(() =>
      expect(fake.requests.some((request) => request.route === 'GET /api/session')).toBe(true),
    );
    fake.client.onUnauthorized(() => signedOut.push(true));
    await fillForm(user);
    await user.click(screen.getByRole('button', { name: 'Export and download' }));

    await waitFor(() => expect(signedOut).toHaveLength(1));
  });
});
