import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { ProviderType, TestResult } from '../src/api/api-types';
import { SessionProvider } from '../src/auth/session-context';
import { ManageKms } from '../src/key-management/ManageKms';
import { awsSetup, companyId, createFakeApi, type FakeApi, overviewFor, sessionFor } from './fake-api';

const base = `/api/companies/${companyId}/key-management`;
const keyArn = 'arn:aws:kms:us-east-1:555555555555:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const passing: TestResult = {
  ok: true,
  steps: [
    { name: 'Input checks', status: 'passed', message: '' },
    { name: 'Assume role', status: 'passed', message: 'Assumed the role.' },
  ],
};

const accessDenied: TestResult = {
  ok: false,
  steps: [
    { name: 'Input checks', status: 'passed', message: '' },
    { name: 'Assume role', status: 'failed', message: 'Access denied when assuming the role.' },
    { name: 'Describe key', status: 'not run', message: '' },
  ],
  error: {
    code: 'ROLE_ACCESS_DENIED',
    message: 'Access denied when assuming the role.',
    fix: 'Ask your AWS admin to confirm the principal in the trust policy.',
  },
};

function renderManageKms(fake: FakeApi, onSaved: () => void = () => {}) {
  fake.on(`GET ${base}/aws-kms/setup`, () => ({ body: awsSetup }));
  render(
    <SessionProvider api={fake.client}>
      <ManageKms overview={overviewFor(true)} onSaved={onSaved} />
    </SessionProvider>,
  );
}

async function fillAwsForm(user: ReturnType<typeof userEvent.setup>) {
  await user.selectOptions(screen.getByLabelText('Provider'), 'AWS KMS');
  await user.type(screen.getByLabelText('Role ARN'), 'arn:aws:iam::555555555555:role/CyberSentriqKmsRole');
  // The suggested External ID from the setup values is already in the field.
  await waitFor(() =>
    expect(screen.getByLabelText<HTMLInputElement>('External ID').value).toBe(awsSetup.externalId),
  );
  await user.type(screen.getByLabelText('AWS Region'), 'us-east-1');
  await user.type(screen.getByLabelText('Key ARN'), keyArn);
}

describe('ManageKms provider choice', () => {
  it.each<[ProviderType, string, string]>([
    ['cybersentriq', 'CyberSentriq-Managed', 'aws-kms'],
    ['aws-kms', 'AWS KMS', 'aws-kms'],
    ['azure-key-vault', 'Azure Key Vault', 'azure-key-vault'],
  ])('starts a company on %s at the right form', (type, label, expected) => {
    const fake = createFakeApi(sessionFor('company_admin'));
    fake.on(`GET ${base}/aws-kms/setup`, () => ({ body: awsSetup }));
    render(
      <SessionProvider api={fake.client}>
        <ManageKms
          overview={overviewFor(true, { provider: { type, label, config: null } })}
          onSaved={() => {}}
        />
      </SessionProvider>,
    );
    expect(screen.getByLabelText<HTMLSelectElement>('Provider').value).toBe(expected);
  });
});

describe('ManageKms', () => {
  it('enables Save only after a passing test', async () => {
    const user = userEvent.setup();
    const fake = createFakeApi(sessionFor('company_admin'));
    fake.on(`POST ${base}/test`, () => ({ body: passing }));
    renderManageKms(fake);
    await fillAwsForm(user);

    expect(screen.getByRole('button', { name: 'Save' })).toHaveProperty('disabled', true);
    await user.click(screen.getByRole('button', { name: 'Test connection' }));

    await screen.findByTestId('test-passed');
    expect(screen.getByRole('button', { name: 'Save' })).toHaveProperty('disabled', false);
  });

  it('disables Save again when a field changes', async () => {
    const user = userEvent.setup();
    const fake = createFakeApi(sessionFor('company_admin'));
    fake.on(`POST ${base}/test`, () => ({ body: passing }));
    renderManageKms(fake);
    await fillAwsForm(user);
    await user.click(screen.getByRole('button', { name: 'Test connection' }));
    await screen.findByTestId('test-passed');

    await user.type(screen.getByLabelText('Role ARN'), '2');
    expect(screen.getByRole('button', { name: 'Save' })).toHaveProperty('disabled', true);
    expect(screen.getByTestId('values-changed')).toBeTruthy();

    // Restoring the tested value makes the earlier pass count again.
    await user.type(screen.getByLabelText('Role ARN'), '{Backspace}');
    expect(screen.getByRole('button', { name: 'Save' })).toHaveProperty('disabled', false);
  });

  it('sends the trimmed values with the CSRF token', async () => {
    const user = userEvent.setup();
    const fake = createFakeApi(sessionFor('company_admin'));
    fake.on(`POST ${base}/test`, () => ({ body: passing }));
    renderManageKms(fake);
    await fillAwsForm(user);
    await user.type(screen.getByLabelText('AWS Region'), ' ');
    await user.click(screen.getByRole('button', { name: 'Test connection' }));
    await screen.findByTestId('test-passed');

    const request = fake.requests.find((candidate) => candidate.route === `POST ${base}/test`)!;
    expect(request.csrf).toBe('csrf-token-1');
    expect(request.body).toEqual({
      providerType: 'aws-kms',
      config: {
        roleArn: 'arn:aws:iam::555555555555:role/CyberSentriqKmsRole',
        externalId: awsSetup.externalId,
        region: 'us-east-1',
        keyArn,
      },
    });
  });

  it('shows the failed step, message and fix', async () => {
    const user = userEvent.setup();
    const fake = createFakeApi(sessionFor('company_admin'));
    fake.on(`POST ${base}/test`, () => ({ body: accessDenied }));
    renderManageKms(fake);
    await fillAwsForm(user);
    await user.click(screen.getByRole('button', { name: 'Test connection' }));

    const failure = await screen.findByTestId('test-failed');
    expect(failure.textContent).toContain('Access denied when assuming the role.');
    expect(failure.textContent).toContain('Ask your AWS admin to confirm the principal');
    const statuses = screen.getAllByRole('listitem').map((item) => item.getAttribute('data-step-status'));
    expect(statuses).toEqual(['passed', 'failed', 'not run']);
    expect(screen.getByRole('button', { name: 'Save' })).toHaveProperty('disabled', true);
  });

  it('blocks Test connection on a region mismatch', async () => {
    const user = userEvent.setup();
    const fake = createFakeApi(sessionFor('company_admin'));
    renderManageKms(fake);
    await fillAwsForm(user);
    await user.clear(screen.getByLabelText('AWS Region'));
    await user.type(screen.getByLabelText('AWS Region'), 'eu-west-1');

    expect(screen.getByTestId('aws-key-arn-error').textContent).toMatch(/us-east-1.*eu-west-1/);
    expect(screen.getByLabelText('Key ARN').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByRole('button', { name: 'Test connection' })).toHaveProperty('disabled', true);
  });

  it('reports a saved switch', async () => {
    const user = userEvent.setup();
    const fake = createFakeApi(sessionFor('company_admin'));
    const saved: unknown[] = [];
    fake.on(`POST ${base}/test`, () => ({ body: passing }));
    fake.on(`POST ${base}/save`, () => ({ body: { ...passing, switch: { id: 's1' } } }));
    renderManageKms(fake, () => saved.push(true));
    await fillAwsForm(user);
    await user.click(screen.getByRole('button', { name: 'Test connection' }));
    await screen.findByTestId('test-passed');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    await waitFor(() => expect(saved).toHaveLength(1));
  });

  it('shows the setup command and script checksum', async () => {
    const user = userEvent.setup();
    const fake = createFakeApi(sessionFor('company_admin'));
    renderManageKms(fake);
    await user.selectOptions(screen.getByLabelText('Provider'), 'AWS KMS');

    expect((await screen.findByTestId('setup-command')).textContent).toBe(awsSetup.setupCommand);
    expect(screen.getByTestId('script-sha256').textContent).toBe(awsSetup.script.sha256);
    expect(
      screen.getByRole('link', { name: /Download cybersentriq-byok-setup.sh/ }).getAttribute('href'),
    ).toBe(awsSetup.script.downloadUrl);
  });
});
