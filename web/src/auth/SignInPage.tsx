import { type FormEvent, useState } from 'react';
import type { Session } from '../api/api-types';
import { keyManagementPath, navigate, useLocation } from '../app/router';
import { ErrorNotice } from '../components/ErrorNotice';
import { useFocusOnMount } from '../components/use-focus-on-mount';
import { useSession } from './session-context';

/** Returns the page a user lands on after sign-in: their company, or the company list for Partner Admins. */
export function homePath(session: Session): string {
  if (session.user.role !== 'partner_admin' && session.user.companyId) {
    return keyManagementPath(session.user.companyId);
  }
  return '/companies';
}

// Only same-site paths are followed after sign-in, so a crafted link cannot send the user elsewhere.
function safeNext(search: string): string | null {
  const next = new URLSearchParams(search).get('next');
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/sign-in')) return null;
  return next;
}

export function SignInPage() {
  const { signIn } = useSession();
  const { search } = useLocation();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const expired = new URLSearchParams(search).get('expired') === '1';

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await signIn(email.trim(), password);
      navigate(safeNext(search) ?? homePath(session), { replace: true });
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  }

  return (
    <div className="sign-in">
      <h1 ref={heading} tabIndex={-1}>
        Sign in to RedApp
      </h1>
      {expired && !error && (
        <p className="notice notice-info" role="status">
          Your session has ended. Sign in again to continue.
        </p>
      )}
      <form onSubmit={submit} className="form" aria-describedby={error ? 'sign-in-error' : undefined}>
        <div className="field">
          <label htmlFor="sign-in-email">Email address</label>
          <input
            id="sign-in-email"
            name="email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="sign-in-password">Password</label>
          <input
            id="sign-in-password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </div>
        <div id="sign-in-error">
          <ErrorNotice error={error} testId="sign-in-error" />
        </div>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
