import { type FormEvent, useRef, useState } from 'react';
import type { KeyManagementOverview } from '../api/api-types';
import { useSession } from '../auth/session-context';
import { ErrorNotice } from '../components/ErrorNotice';

export const minimumPassphraseLength = 16;

/** Returns why the passphrase pair cannot be used yet, or undefined when it can. */
export function checkPassphrase(passphrase: string, confirmation: string): string | undefined {
  if (passphrase.length < minimumPassphraseLength) {
    return `The passphrase needs at least ${minimumPassphraseLength} characters (${passphrase.length} so far).`;
  }
  if (confirmation !== passphrase) return 'The two passphrases do not match.';
  return undefined;
}

function fileNameFrom(response: Response, companyId: string): string {
  const disposition = response.headers.get('content-disposition') ?? '';
  const quoted = /filename="([^"]+)"/.exec(disposition)?.[1];
  const bare = /filename=([^;\s]+)/.exec(disposition)?.[1];
  return quoted ?? bare ?? `redapp-company-key-${companyId}.rkx`;
}

function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked later, because some browsers start reading the blob only after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

interface ExportSectionProps {
  overview: KeyManagementOverview;
  onExported(): void;
}

export function ExportSection({ overview, onExported }: ExportSectionProps) {
  const { api } = useSession();
  const [password, setPassword] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [exportedFile, setExportedFile] = useState<string | null>(null);
  const resultRef = useRef<HTMLDivElement>(null);

  const passphraseProblem = checkPassphrase(passphrase, confirmation);
  const showProblem =
    passphrase !== '' && (confirmation !== '' || passphrase.length < minimumPassphraseLength);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (passphraseProblem || password === '') return;
    setBusy(true);
    setError(null);
    try {
      const response = await api.send(
        'POST',
        `/api/companies/${encodeURIComponent(overview.companyId)}/key-management/export`,
        { password, passphrase },
        { passwordInBody: true },
      );
      const fileName = fileNameFrom(response, overview.companyId);
      saveBlob(await response.blob(), fileName);
      setExportedFile(fileName);
      setPassword('');
      setPassphrase('');
      setConfirmation('');
      onExported();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
      resultRef.current?.focus();
    }
  }

  return (
    <section className="card" aria-labelledby="export-heading" data-testid="export">
      <h2 id="export-heading">Export the company key</h2>
      <div ref={resultRef} tabIndex={-1} aria-live="polite" className="result-region">
        {exportedFile && (
          <div className="notice notice-success" data-testid="export-done">
            <p className="notice-title">
              The company key was exported to <code>{exportedFile}</code>.
            </p>
            <p>
              Store the file and its passphrase safely and apart from each other: anyone who has both can
              decrypt your backups. CyberSentriq cannot recover a lost passphrase.
            </p>
          </div>
        )}
        <ErrorNotice error={error} testId="export-error" />
      </div>

      {overview.export.available && overview.canManage && !exportedFile ? (
        <form className="form" onSubmit={submit} data-testid="export-form">
          <p>
            You can export your company encryption key once now without verifying your tenants again. The file
            holds every version of the company key, encrypted under a passphrase you choose.
          </p>
          <div className="field">
            <label htmlFor="export-password">Your RedApp password</label>
            <span className="hint" id="export-password-hint">
              Enter the password you sign in with, to confirm it is you.
            </span>
            <input
              id="export-password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              aria-describedby="export-password-hint"
              onChange={(event) => setPassword(event.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="export-passphrase">Passphrase for the file</label>
            <span className="hint" id="export-passphrase-hint">
              At least {minimumPassphraseLength} characters. A sentence of several unrelated words is strong
              and easy to type.
            </span>
            <input
              id="export-passphrase"
              type="password"
              autoComplete="new-password"
              required
              minLength={minimumPassphraseLength}
              value={passphrase}
              aria-invalid={showProblem && passphrase.length < minimumPassphraseLength ? true : undefined}
              aria-describedby="export-passphrase-hint export-passphrase-problem"
              onChange={(event) => setPassphrase(event.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="export-passphrase-confirmation">Passphrase again</label>
            <input
              id="export-passphrase-confirmation"
              type="password"
              autoComplete="new-password"
              required
              value={confirmation}
              aria-invalid={
                showProblem && confirmation !== '' && confirmation !== passphrase ? true : undefined
              }
              aria-describedby="export-passphrase-problem"
              onChange={(event) => setConfirmation(event.target.value)}
            />
          </div>
          <span className="field-error" id="export-passphrase-problem" aria-live="polite">
            {showProblem ? passphraseProblem : ''}
          </span>
          <div className="actions">
            <button
              type="submit"
              disabled={busy || password === '' || passphraseProblem !== undefined}
              data-testid="export-submit"
            >
              {busy ? 'Exporting…' : 'Export and download'}
            </button>
          </div>
        </form>
      ) : (
        <p data-testid="export-unavailable">
          {exportedFile || !overview.export.available
            ? exportNotice(overview, exportedFile !== null)
            : 'Only an admin can export the company key.'}
        </p>
      )}
    </section>
  );
}

function exportNotice(overview: KeyManagementOverview, exportedNow: boolean): string {
  const reverify =
    'Another export needs every tenant to be verified again: use Verify for each tenant in the list above.';
  if (exportedNow) return `The one-time export has been used. ${reverify}`;
  return overview.export.reason ?? reverify;
}
