import { useCallback, useEffect, useRef, useState } from 'react';
import type { KeyManagementOverview, Tenant } from '../api/api-types';
import { navigate, useLocation } from '../app/router';
import { useSession } from '../auth/session-context';
import { ErrorNotice } from '../components/ErrorNotice';
import { useFocusOnMount } from '../components/use-focus-on-mount';
import { ExportSection } from './ExportSection';
import { HistorySection } from './HistorySection';
import { ManageKms } from './ManageKms';
import { ProviderStatus } from './ProviderStatus';
import { TenantsSection } from './TenantsSection';

/** How often the page reloads the overview and tenants while a switch is in progress. */
export const switchPollIntervalMs = 3000;

interface VerificationNotice {
  tenant: string;
  result: string;
}

// The identity provider's callback returns here with ?tenant=…&result=verified|refused.
function readVerificationNotice(search: string): VerificationNotice | null {
  const query = new URLSearchParams(search);
  const tenant = query.get('tenant');
  const result = query.get('result');
  return tenant && result ? { tenant, result } : null;
}

export function KeyManagementPage({ companyId }: { companyId: string }) {
  const { api, session } = useSession();
  const { pathname, search } = useLocation();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const basePath = `/api/companies/${encodeURIComponent(companyId)}/key-management`;

  const [overview, setOverview] = useState<KeyManagementOverview | null>(null);
  const [overviewError, setOverviewError] = useState<unknown>(null);
  const [tenants, setTenants] = useState<Tenant[] | null>(null);
  const [tenantsError, setTenantsError] = useState<unknown>(null);
  const [refreshing, setRefreshing] = useState(false);
  const [manageOpen, setManageOpen] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const [finishedNotice, setFinishedNotice] = useState('');
  const [savedNotice, setSavedNotice] = useState('');
  const [verification] = useState(() => readVerificationNotice(search));
  const previousStatus = useRef<string | null>(null);

  const loadOverview = useCallback(async () => {
    try {
      const loaded = await api.get<KeyManagementOverview>(basePath);
      // Announce the switch finishing, which usually happens while the admin watches the tenant list.
      // After a redirect back from the identity provider, the switch may have finished before this page
      // saw it switching. An export on offer after a verification shows that it did.
      const finishedBeforeLoad =
        previousStatus.current === null &&
        verification?.result === 'verified' &&
        loaded.status === 'active' &&
        loaded.export.available;
      if ((previousStatus.current === 'switching' && loaded.status === 'active') || finishedBeforeLoad) {
        const finished = `The switch has finished. The current provider is ${loaded.provider.label}.`;
        setFinishedNotice(finished);
        setAnnouncement(finished);
      }
      previousStatus.current = loaded.status;
      setOverview(loaded);
      setOverviewError(null);
    } catch (error) {
      setOverviewError(error);
    }
  }, [api, basePath, verification]);

  const loadTenants = useCallback(async () => {
    try {
      const loaded = await api.get<{ tenants: Tenant[] }>(`${basePath}/tenants`);
      setTenants(loaded.tenants);
      setTenantsError(null);
    } catch (error) {
      setTenantsError(error);
    }
  }, [api, basePath]);

  const reload = useCallback(async () => {
    await Promise.all([loadOverview(), loadTenants()]);
  }, [loadOverview, loadTenants]);

  useEffect(() => {
    void reload();
  }, [reload]);

  // Drop the callback's query string so a reload does not show the notice again.
  useEffect(() => {
    if (verification) navigate(pathname, { replace: true });
  }, [verification, pathname]);

  const switching = overview?.status === 'switching';
  useEffect(() => {
    if (!switching) return;
    const timer = setInterval(() => void reload(), switchPollIntervalMs);
    return () => clearInterval(timer);
  }, [switching, reload]);

  async function refresh() {
    setRefreshing(true);
    await reload();
    setRefreshing(false);
    setAnnouncement('Tenant list refreshed.');
  }

  async function handleSaved() {
    setManageOpen(false);
    setSavedNotice('Saved. The switch has started: verify each tenant below to finish it.');
    setAnnouncement('Saved. The switch has started: verify each tenant to finish it.');
    await reload();
    document.getElementById('tenants-heading')?.focus();
  }

  function toggleManage() {
    const opening = !manageOpen;
    setManageOpen(opening);
    if (opening) requestAnimationFrame(() => document.getElementById('manage-kms-heading')?.focus());
  }

  const companyLabel = overview?.companyName ?? '';
  const isViewer = session?.user.role === 'company_viewer';
  // Verification is needed while switching, and again after the one-time export for a later export.
  const showVerify = Boolean(
    overview?.canManage && (overview.status === 'switching' || overview.export.reverify === true),
  );

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Key Management{companyLabel && <span className="heading-sub">: {companyLabel}</span>}
      </h1>
      <div className="visually-hidden" aria-live="polite" data-testid="announcer">
        {announcement}
      </div>
      {verification && <VerificationResult notice={verification} tenants={tenants} />}
      {finishedNotice && (
        <p className="notice notice-success" data-testid="switch-finished">
          {finishedNotice}
        </p>
      )}
      {savedNotice && !finishedNotice && overview?.status === 'switching' && (
        <p className="notice notice-success" data-testid="switch-saved">
          {savedNotice}
        </p>
      )}
      <ErrorNotice error={overviewError} testId="overview-error" />
      {!overview && !overviewError && <p role="status">Loading…</p>}
      {overview && (
        <>
          {isViewer && (
            <p className="muted" data-testid="read-only-note">
              You have read-only access. A Company Admin or your partner can change key management.
            </p>
          )}
          <ProviderStatus overview={overview} onCancelled={reload} />
          {overview.canManage && (
            <div className="manage-toggle">
              <button
                type="button"
                aria-expanded={manageOpen}
                aria-controls="manage-kms-panel"
                onClick={toggleManage}
                data-testid="manage-kms-toggle"
              >
                {manageOpen ? 'Close Manage KMS' : 'Manage KMS'}
              </button>
            </div>
          )}
          <div id="manage-kms-panel" hidden={!manageOpen}>
            {overview.canManage && manageOpen && <ManageKms overview={overview} onSaved={handleSaved} />}
          </div>
          <TenantsSection
            companyId={companyId}
            tenants={tenants}
            loadError={tenantsError}
            canVerify={showVerify}
            refreshing={refreshing}
            onRefresh={refresh}
          />
          <ExportSection overview={overview} onExported={reload} />
          <HistorySection
            companyId={companyId}
            reloadToken={`${overview.status}:${overview.provider.type}:${overview.switch?.id ?? ''}:${overview.switch?.tenantsVerified ?? ''}`}
          />
        </>
      )}
    </>
  );
}

function VerificationResult({ notice, tenants }: { notice: VerificationNotice; tenants: Tenant[] | null }) {
  const tenant = tenants?.find((candidate) => candidate.tenantId === notice.tenant);
  const name = tenant ? `${tenant.primaryDomain} (${notice.tenant})` : notice.tenant;
  if (notice.result === 'verified') {
    return (
      <p
        className="notice notice-success"
        role="status"
        data-testid="verification-notice"
        data-result="verified"
      >
        Tenant {name} is verified.
      </p>
    );
  }
  return (
    <div
      className="notice notice-error"
      role="alert"
      data-testid="verification-notice"
      data-result={notice.result}
    >
      <p className="notice-title">Tenant {name} was not verified.</p>
      {tenant?.reason && <p>Reason: {tenant.reason}.</p>}
      <p>Verify it again, signing in with an account that holds the required admin role.</p>
    </div>
  );
}
