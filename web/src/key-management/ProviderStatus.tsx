import { useState } from 'react';
import type { KeyHealth, KeyManagementOverview } from '../api/api-types';
import { useSession } from '../auth/session-context';
import { ErrorNotice } from '../components/ErrorNotice';
import { formatTime } from './format';

const configLabels: Record<string, string> = {
  roleArn: 'Role ARN',
  externalId: 'External ID',
  region: 'AWS Region',
  keyArn: 'Key ARN',
  vaultUrl: 'Vault URL',
  keyName: 'Key name',
  keyVersion: 'Key version',
  tenantId: 'Directory (tenant) ID',
  clientId: 'Application (client) ID',
};

const healthLabels: Record<KeyHealth['state'], string> = {
  ok: 'Healthy',
  key_disabled: 'Key disabled',
  key_pending_deletion: 'Key scheduled for deletion',
  access_denied: 'Access denied',
  unreachable: 'Provider unreachable',
};

interface ProviderStatusProps {
  overview: KeyManagementOverview;
  onCancelled(): void;
}

/** Shows the current provider, the switch progress and the key health of a company. */
export function ProviderStatus({ overview, onCancelled }: ProviderStatusProps) {
  const { provider, switch: pending, keyHealth } = overview;
  return (
    <section className="card" aria-labelledby="provider-heading" data-testid="provider-status">
      <h2 id="provider-heading">Encryption status</h2>
      <dl className="details">
        <div className="details-row">
          <dt>Current provider</dt>
          <dd data-testid="current-provider">{provider.label}</dd>
        </div>
        {provider.activeSince && (
          <div className="details-row">
            <dt>Active since</dt>
            <dd>{formatTime(provider.activeSince)}</dd>
          </div>
        )}
        {provider.config &&
          Object.entries(provider.config).map(([name, value]) => (
            <div key={name} className="details-row">
              <dt>{configLabels[name] ?? name}</dt>
              <dd>
                <code>{value}</code>
              </dd>
            </div>
          ))}
        <div className="details-row">
          <dt>Status</dt>
          <dd data-testid="provider-state">
            {pending ? (
              <>
                <span className="badge badge-unverified">
                  {pending.state === 'finishing' ? 'Finishing the switch' : 'Switching'}
                </span>{' '}
                to {pending.target.label}:{' '}
                <span data-testid="tenant-progress">
                  {pending.tenantsVerified} of {pending.tenantsTotal}{' '}
                  {pending.tenantsTotal === 1 ? 'tenant' : 'tenants'} verified
                </span>
              </>
            ) : (
              <span className="badge badge-verified">Active</span>
            )}
          </dd>
        </div>
        {pending?.target.config &&
          Object.entries(pending.target.config).map(([name, value]) => (
            <div key={`target-${name}`} className="details-row">
              <dt>New {configLabels[name] ?? name}</dt>
              <dd>
                <code>{value}</code>
              </dd>
            </div>
          ))}
      </dl>
      {pending && (
        <p className="muted">
          Started {formatTime(pending.createdAt)} by {pending.createdBy}. When every tenant is verified,
          RedApp finishes the switch by itself.
        </p>
      )}
      {pending?.lastError && <ErrorNotice error={pending.lastError} testId="switch-error" />}
      {pending && overview.canManage && pending.state === 'pending' && (
        <CancelSwitch
          companyId={overview.companyId}
          targetLabel={pending.target.label}
          onCancelled={onCancelled}
        />
      )}

      <h3>Key health</h3>
      <div data-testid="key-health">
        {keyHealth ? (
          <>
            <p>
              <span className={`badge badge-${keyHealth.state === 'ok' ? 'verified' : 'refused'}`}>
                {healthLabels[keyHealth.state]}
              </span>{' '}
              {keyHealth.message}
              {keyHealth.deletionDate && ` Deletion date: ${formatTime(keyHealth.deletionDate)}.`}
            </p>
            <p className="muted">Last checked {formatTime(keyHealth.checkedAt)}.</p>
          </>
        ) : (
          <p className="muted">
            {provider.type === 'cybersentriq'
              ? 'RedApp checks the key periodically for companies that hold their own key in AWS KMS or Azure Key Vault.'
              : 'The key has not been checked yet. RedApp checks it periodically.'}
          </p>
        )}
      </div>
    </section>
  );
}

function CancelSwitch({
  companyId,
  targetLabel,
  onCancelled,
}: {
  companyId: string;
  targetLabel: string;
  onCancelled(): void;
}) {
  const { api } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function cancel() {
    setBusy(true);
    setError(null);
    try {
      await api.post(`/api/companies/${encodeURIComponent(companyId)}/key-management/switch/cancel`);
      setConfirming(false);
      onCancelled();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  if (!confirming) {
    return (
      <button
        type="button"
        className="button-secondary"
        onClick={() => setConfirming(true)}
        data-testid="cancel-switch"
      >
        Cancel switch
      </button>
    );
  }
  return (
    <div className="notice notice-info">
      <p>Cancel the switch to {targetLabel}? The tenant verifications gathered so far are discarded.</p>
      <div className="actions">
        <button type="button" onClick={cancel} disabled={busy} data-testid="confirm-cancel-switch">
          {busy ? 'Cancelling…' : 'Yes, cancel the switch'}
        </button>
        {/* biome-ignore lint/a11y/noAutofocus: the question replaces the button that had focus. */}
        <button type="button" className="button-secondary" onClick={() => setConfirming(false)} autoFocus>
          Keep switching
        </button>
      </div>
      <ErrorNotice error={error} testId="cancel-switch-error" />
    </div>
  );
}
