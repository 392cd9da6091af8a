import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { type ApiClient, ApiError } from '../api/api-client';
import type { Session } from '../api/api-types';
import { navigate } from '../app/router';

interface SessionContextValue {
  /** undefined while the first GET /api/session is in flight; null when signed out. */
  session: Session | null | undefined;
  signIn(email: string, password: string): Promise<Session>;
  signOut(): Promise<void>;
  api: ApiClient;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ api, children }: { api: ApiClient; children: ReactNode }) {
  const [session, setSession] = useState<Session | null | undefined>(undefined);

  const expire = useCallback(() => {
    api.setCsrfToken(null);
    setSession(null);
    const currentPath = window.location.pathname + window.location.search;
    if (window.location.pathname !== '/sign-in') {
      navigate(`/sign-in?next=${encodeURIComponent(currentPath)}&expired=1`, { replace: true });
    }
  }, [api]);

  useEffect(() => {
    api.onUnauthorized(expire);
    let cancelled = false;
    api
      .send('GET', '/api/session', undefined, { quiet401: true })
      .then((response) => response.json() as Promise<Session>)
      .then((loaded) => {
        if (cancelled) return;
        api.setCsrfToken(loaded.csrfToken);
        setSession(loaded);
      })
      .catch(() => {
        if (!cancelled) setSession(null);
      });
    return () => {
      cancelled = true;
      api.onUnauthorized(null);
    };
  }, [api, expire]);

  const signIn = useCallback(
    async (email: string, password: string) => {
      const response = await api.send('POST', '/api/session', { email, password }, { quiet401: true });
      const created = (await response.json()) as Session;
      api.setCsrfToken(created.csrfToken);
      setSession(created);
      return created;
    },
    [api],
  );

  const signOut = useCallback(async () => {
    try {
      await api.delete('/api/session');
    } catch (error) {
      // An expired session is already signed out; anything else is shown by the caller.
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
    }
    api.setCsrfToken(null);
    setSession(null);
    navigate('/sign-in', { replace: true });
  }, [api]);

  const value = useMemo(() => ({ session, signIn, signOut, api }), [session, signIn, signOut, api]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession must be used inside a SessionProvider.');
  return value;
}

export const roleLabels: Record<Session['user']['role'], string> = {
  partner_admin: 'Partner Admin',
  company_admin: 'Company Admin',
  company_viewer: 'Company Viewer',
};
