import { useEffect, useState } from 'react';
import { homePath, SignInPage } from '../auth/SignInPage';
import { roleLabels, useSession } from '../auth/session-context';
import { CompanyPickerPage } from '../companies/CompanyPickerPage';
import { ErrorNotice } from '../components/ErrorNotice';
import { KeyManagementPage } from '../key-management/KeyManagementPage';
import { followLink, matchRoute, navigate, useLocation } from './router';

export function App() {
  const { session, signOut } = useSession();
  const { pathname } = useLocation();
  const route = matchRoute(pathname);
  const [signOutError, setSignOutError] = useState<unknown>(null);

  const signedOutElsewhere = session === null && route.page !== 'sign-in';
  const signedInOnSignIn = session && (route.page === 'sign-in' || route.page === 'home');
  useEffect(() => {
    if (signedOutElsewhere) {
      const next =
        route.page === 'home' ? '' : `?next=${encodeURIComponent(pathname + window.location.search)}`;
      navigate(`/sign-in${next}`, { replace: true });
    } else if (signedInOnSignIn && route.page === 'home') {
      navigate(homePath(session), { replace: true });
    }
  }, [signedOutElsewhere, signedInOnSignIn, route.page, pathname, session]);

  if (session === undefined) {
    return (
      <main id="main" className="main">
        <p role="status">Loading…</p>
      </main>
    );
  }
  if (session === null || route.page === 'sign-in') {
    return (
      <main id="main" className="main main-narrow">
        <SignInPage />
      </main>
    );
  }

  async function handleSignOut() {
    setSignOutError(null);
    try {
      await signOut();
    } catch (error) {
      setSignOutError(error);
    }
  }

  const isPartnerAdmin = session.user.role === 'partner_admin';
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <span className="brand">RedApp</span>
        <nav aria-label="Main">
          {isPartnerAdmin && (
            <a href="/companies" onClick={(event) => followLink(event, '/companies')}>
              Companies
            </a>
          )}
        </nav>
        <div className="account">
          <span data-testid="signed-in-user">
            {session.user.email} ({roleLabels[session.user.role]})
          </span>
          <button type="button" className="button-secondary" onClick={handleSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        <ErrorNotice error={signOutError} />
        {route.page === 'companies' && <CompanyPickerPage />}
        {route.page === 'key-management' && (
          <KeyManagementPage key={route.companyId} companyId={route.companyId} />
        )}
        {route.page === 'home' && <p role="status">Loading…</p>}
        {route.page === 'not-found' && (
          <>
            <h1>Page not found</h1>
            <p>
              <a href={homePath(session)} onClick={(event) => followLink(event, homePath(session))}>
                Go to the start page
              </a>
            </p>
          </>
        )}
      </main>
    </>
  );
}
