import { useCallback, useRef, useState } from 'react';
import type { KeyManagementOverview, ProviderConfig, SwitchState, TestResult } from '../api/api-types';
import { useSession } from '../auth/session-context';
import { ErrorNotice } from '../components/ErrorNotice';
import { findProviderForm, providerForms } from '../providers/provider-forms';
import { TestResultView } from './TestResultView';

interface ManageKmsProps {
  overview: KeyManagementOverview;
  onSaved(switchState: SwitchState | undefined): void;
}

type Outcome = { action: 'test' | 'save'; result: TestResult; key: string } | null;

function requestKey(providerType: string, config: ProviderConfig): string {
  return JSON.stringify([providerType, Object.entries(config).sort()]);
}

/**
 * Renders the Manage KMS form: provider dropdown, the chosen provider's fields, Test connection and Save.
 * Save is enabled only while the values are exactly the ones of the last passing test.
 */
export function ManageKms({ overview, onSaved }: ManageKmsProps) {
  const { api } = useSession();
  // A company on CyberSentriq-managed keys most likely moves to AWS KMS. A company on its own key most
  // likely moves to another key of the same provider; switching back must be chosen on purpose.
  const initialType = overview.provider.type === 'cybersentriq' ? 'aws-kms' : overview.provider.type;
  const [providerType, setProviderType] = useState<string>(
    findProviderForm(initialType)?.type ?? providerForms[0]!.type,
  );
  const [configs, setConfigs] = useState<Record<string, ProviderConfig>>(() =>
    Object.fromEntries(providerForms.map((definition) => [definition.type, definition.emptyConfig()])),
  );
  const [busy, setBusy] = useState<'test' | 'save' | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [requestError, setRequestError] = useState<unknown>(null);
  const [passedKey, setPassedKey] = useState<string | null>(null);
  const resultRef = useRef<HTMLDivElement>(null);

  const definition = findProviderForm(providerType)!;
  const config = configs[providerType] ?? definition.emptyConfig();
  const requestConfig = definition.toRequestConfig(config);
  const currentKey = requestKey(providerType, requestConfig);
  const fieldErrors = definition.check(config);
  const valid = Object.keys(fieldErrors).length === 0;
  const alreadyActive =
    overview.status === 'active' &&
    overview.provider.type === providerType &&
    providerType === 'cybersentriq';
  const canSave = passedKey === currentKey && busy === null && !alreadyActive;

  const setConfig = useCallback(
    (next: ProviderConfig) => setConfigs((current) => ({ ...current, [providerType]: next })),
    [providerType],
  );

  const companyPath = `/api/companies/${encodeURIComponent(overview.companyId)}/key-management`;

  async function run(action: 'test' | 'save') {
    setBusy(action);
    setRequestError(null);
    setOutcome(null);
    const sentKey = currentKey;
    try {
      const result = await api.post<TestResult>(`${companyPath}/${action}`, {
        providerType,
        config: requestConfig,
      });
      setOutcome({ action, result, key: sentKey });
      if (action === 'test') setPassedKey(result.ok ? sentKey : null);
      if (action === 'save' && result.ok) {
        setPassedKey(null);
        onSaved(result.switch);
      }
    } catch (error) {
      setRequestError(error);
      if (action === 'test') setPassedKey(null);
    } finally {
      setBusy(null);
      resultRef.current?.focus();
    }
  }

  const saveHintId = 'save-hint';
  const switching = overview.status === 'switching' && overview.switch;
  return (
    <section className="card" aria-labelledby="manage-kms-heading" data-testid="manage-kms">
      <h2 id="manage-kms-heading" tabIndex={-1}>
        Manage KMS
      </h2>
      {switching && (
        <p className="notice notice-info">
          A switch to {overview.switch!.target.label} is in progress. Saving new values replaces it, and the
          tenant verifications gathered so far have to be done again.
        </p>
      )}
      <div className="field">
        <label htmlFor="provider-select">Provider</label>
        <select
          id="provider-select"
          value={providerType}
          disabled={busy !== null}
          onChange={(event) => {
            setProviderType(event.target.value);
            setOutcome(null);
            setRequestError(null);
          }}
          data-testid="provider-select"
        >
          {providerForms.map((option) => (
            <option key={option.type} value={option.type}>
              {option.label}
            </option>
          ))}
        </select>
      </div>

      {alreadyActive ? (
        <p>{definition.label} is the current provider already.</p>
      ) : (
        <definition.Form
          key={definition.type}
          companyId={overview.companyId}
          config={config}
          onChange={setConfig}
          disabled={busy !== null}
        />
      )}

      <div className="actions">
        <button
          type="button"
          onClick={() => run('test')}
          disabled={busy !== null || !valid || alreadyActive}
          data-testid="test-connection"
        >
          {busy === 'test' ? 'Testing connection…' : 'Test connection'}
        </button>
        <button
          type="button"
          onClick={() => run('save')}
          disabled={!canSave}
          aria-describedby={saveHintId}
          data-testid="save"
        >
          {busy === 'save' ? 'Saving…' : 'Save'}
        </button>
      </div>
      <p className="hint" id={saveHintId} data-testid="save-hint">
        {canSave
          ? 'The connection test passed for these values.'
          : 'Save becomes available after Test connection passes with the values shown. Changing a value requires a new test.'}
      </p>

      <div
        ref={resultRef}
        tabIndex={-1}
        aria-live="polite"
        className="result-region"
        data-testid="manage-kms-result"
      >
        {busy && (
          <p>
            {busy === 'test' ? 'Testing the connection. This can take a few seconds…' : 'Testing and saving…'}
          </p>
        )}
        <ErrorNotice error={requestError} testId="manage-kms-error" />
        {outcome && outcome.action === 'test' && outcome.key !== currentKey && (
          <p className="notice notice-info" data-testid="values-changed">
            The values changed after this test. Run Test connection again before saving.
          </p>
        )}
        {outcome && <TestResultView result={outcome.result} action={outcome.action} />}
      </div>
    </section>
  );
}
