import { type MouseEvent, useSyncExternalStore } from 'react';

// A small History API router: the console has four pages, which does not justify a router package.

const changeEvent = 'redapp:navigate';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(changeEvent, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(changeEvent, onChange);
  };
}

function currentLocation(): string {
  return window.location.pathname + window.location.search;
}

/** Returns the current path and query string, re-rendering the caller when either changes. */
export function useLocation(): { pathname: string; search: string } {
  const location = useSyncExternalStore(subscribe, currentLocation);
  const queryStart = location.indexOf('?');
  return queryStart === -1
    ? { pathname: location, search: '' }
    : { pathname: location.slice(0, queryStart), search: location.slice(queryStart) };
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(changeEvent));
}

/** Handles a click on a same-origin link without reloading, leaving modified clicks to the browser. */
export function followLink(event: MouseEvent<HTMLAnchorElement>, to: string): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(to);
}

export type Route =
  | { page: 'sign-in' }
  | { page: 'home' }
  | { page: 'companies' }
  | { page: 'key-management'; companyId: string }
  | { page: 'not-found' };

export function matchRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { page: 'home' };
  if (path === '/sign-in') return { page: 'sign-in' };
  if (path === '/companies') return { page: 'companies' };

  const keyManagement = /^\/companies\/([^/]+)\/key-management$/.exec(path);
  if (keyManagement) return { page: 'key-management', companyId: decodeURIComponent(keyManagement[1]!) };
  return { page: 'not-found' };
}

export function keyManagementPath(companyId: string): string {
  return `/companies/${encodeURIComponent(companyId)}/key-management`;
}
