import { useState } from 'react';
import type { Tenant, TenantKind } from '../api/api-types';
import { useSession } from '../auth/session-context';
import { ErrorNotice } from '../components/ErrorNotice';
import { formatTime } from './format';

export const tenantKindLabels: Record<TenantKind, string> = {
  microsoft365: 'Microsoft 365',
  google_workspace: 'Google Workspace',
};

const statusLabels: Record<Tenant['status'], string> = {
  unverified: 'Unverified',
  verified: 'Verified',
  refused: 'Refused',
};

const verifierAdvice: Record<TenantKind, string> = {
  microsoft365: 'a Global Administrator or Privileged Role Administrator of the tenant',
  google_workspace: 'a Super Admin of the Google Workspace account (delegated admins are refused)',
};

interface TenantsSectionProps {
  companyId: string;
  tenants: Tenant[] | null;
  loadError: unknown;
  canVerify: boolean;
  refreshing: boolean;
  onRefresh(): void;
  /** Sends the browser to the identity provider; replaced in tests. */
  redirect?: (url: string) => void;
}

export function TenantsSection(props: TenantsSectionProps) {
  const { companyId, tenants, loadError, canVerify, refreshing, onRefresh } = props;
  const redirect = props.redirect ?? ((url: string) => window.location.assign(url));
  const { api } = useSession();
  const [starting, setStarting] = useState<string | null>(null);
  const [verifyError, setVerifyError] = useState<unknown>(null);

  async function verify(tenant: Tenant) {
    setStarting(tenant.tenantId);
    setVerifyError(null);
    try {
      const { authorizationUrl } = await api.post<{ authorizationUrl: string }>(
        `/api/companies/${encodeURIComponent(companyId)}/key-management/tenants/verify`,
        { kind: tenant.kind, tenantId: tenant.tenantId },
      );
      redirect(authorizationUrl);
    } catch (error) {
      setVerifyError(error);
      setStarting(null);
    }
  }

  return (
    <section className="card" aria-labelledby="tenants-heading" data-testid="tenants">
      <div className="card-heading">
        <h2 id="tenants-heading" tabIndex={-1}>
          Tenants
        </h2>
        <button
          type="button"
          className="button-secondary"
          onClick={onRefresh}
          disabled={refreshing}
          data-testid="refresh-tenants"
        >
          {refreshing ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <p>
        Every Microsoft 365 tenant and Google Workspace account in this company's backup sets. Each one must
        be verified by {verifierAdvice.microsoft365}, or by {verifierAdvice.google_workspace}, before a switch
        can finish.
      </p>
      <ErrorNotice error={loadError} testId="tenants-error" />
      <ErrorNotice error={verifyError} testId="verify-error" />
      {tenants === null && !loadError && <p role="status">Loading tenants…</p>}
      {tenants && tenants.length === 0 && <p>No tenants: this company has no backup sets.</p>}
      {tenants && tenants.length > 0 && (
        <div className="table-wrap">
          <table data-testid="tenant-table">
            <caption className="visually-hidden">Tenants found in the backup sets</caption>
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Tenant ID</th>
                <th scope="col">Domain</th>
                <th scope="col">Backup sets</th>
                <th scope="col">Status</th>
                {canVerify && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {tenants.map((tenant) => (
                <tr
                  key={`${tenant.kind}:${tenant.tenantId}`}
                  data-testid="tenant-row"
                  data-tenant-id={tenant.tenantId}
                >
                  <td>{tenantKindLabels[tenant.kind]}</td>
                  <td>
                    <code>{tenant.tenantId}</code>
                  </td>
                  <td>{tenant.primaryDomain}</td>
                  <td>
                    {tenant.backupSets.length === 1 ? (
                      tenant.backupSets[0]
                    ) : (
                      <ul className="plain-list">
                        {tenant.backupSets.map((name) => (
                          <li key={name}>{name}</li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>
                    <span className={`badge badge-${tenant.status}`} data-testid="tenant-status">
                      {statusLabels[tenant.status]}
                    </span>
                    {tenant.status === 'verified' && tenant.verifiedBy && (
                      <span className="muted cell-note">
                        by {tenant.verifiedBy}
                        {tenant.updatedAt && `, ${formatTime(tenant.updatedAt)}`}
                      </span>
                    )}
                    {tenant.status === 'refused' && tenant.reason && (
                      <span className="cell-note" data-testid="tenant-reason">
                        Refused: {tenant.reason}. Sign in with {verifierAdvice[tenant.kind]}.
                      </span>
                    )}
                  </td>
                  {canVerify && (
                    <td>
                      {tenant.status !== 'verified' && (
                        <button
                          type="button"
                          onClick={() => verify(tenant)}
                          disabled={starting !== null}
                          aria-label={`Verify ${tenantKindLabels[tenant.kind]} tenant ${tenant.primaryDomain}`}
                          data-testid="verify-tenant"
                        >
                          {starting === tenant.tenantId ? 'Opening sign-in…' : 'Verify'}
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
