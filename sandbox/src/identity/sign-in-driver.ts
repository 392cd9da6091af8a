export interface SignInOptions {
  username: string;
  password: string;
  /** Button to press when the consent page appears; default `accept`. */
  consent?: 'accept' | 'cancel';
  /** Maximum number of requests before giving up, default 20. */
  maxRequests?: number;
  /**
   * Cookies kept between sign-ins, as one browser keeps them, so the identity provider's session of an
   * earlier sign-in applies. Default: a new, empty jar.
   */
  cookieJar?: SignInCookieJar;
}

/** The cookies of one simulated browser; create one with `[]` and pass it to every sign-in. */
export type SignInCookieJar = StoredCookie[];

/** Error raised when the sandbox's sign-in pages do not lead back to the redirect URI. */
export class SandboxSignInError extends Error {
  constructor(
    message: string,
    /** Text of the page's error paragraph (wrong password, user not found, invalid request), if any. */
    readonly pageError?: string,
  ) {
    super(message);
    this.name = 'SandboxSignInError';
  }
}

export interface StoredCookie {
  name: string;
  value: string;
  path: string;
}

/**
 * Signs in through the sandbox's login and consent pages with plain HTTP, as a person clicking them would.
 * It requests the authorization URL and follows redirects with a cookie jar, posts the login form, and presses
 * Accept or Cancel when the consent page appears. Returns the redirect to the client's `redirect_uri` (with `code` and `state`,
 * or `error`) without requesting it. Raises SandboxSignInError when a page shows an error instead, for
 * example a wrong password or a user not found in the tenant.
 */
export async function signInWithSandbox(
  authorizationUrl: string | URL,
  options: SignInOptions,
): Promise<URL> {
  const start = new URL(authorizationUrl);
  const redirectUri = start.searchParams.get('redirect_uri');
  if (!redirectUri)
    throw new SandboxSignInError(
      `The authorization URL ${start.origin}${start.pathname} has no redirect_uri.`,
    );
  const consent = options.consent ?? 'accept';
  const jar = options.cookieJar ?? [];
  let submittedLogin = false;

  let next: { url: URL; method: 'GET' | 'POST'; form?: URLSearchParams } = { url: start, method: 'GET' };
  for (let count = 0; count < (options.maxRequests ?? 20); count += 1) {
    const response = await fetch(next.url, {
      method: next.method,
      redirect: 'manual',
      headers: {
        accept: 'text/html',
        ...(next.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...cookieHeader(jar, next.url),
      },
      ...(next.form ? { body: next.form.toString() } : {}),
    });
    storeCookies(jar, response, next.url);

    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const target = new URL(location, next.url);
      if (isRedirectUriTarget(target, redirectUri)) return target;
      next = { url: target, method: 'GET' };
      continue;
    }

    const html = await response.text();
    const pageError = textOf(html, 'error_description') ?? textOf(html, 'error');
    const form = /<form id="(login|consent)" method="post" action="([^"]+)"/.exec(html);
    if (!form) {
      throw new SandboxSignInError(
        `Sign-in stopped at ${next.url.pathname} with HTTP ${response.status}: ${pageError ?? 'no sign-in form on the page'}`,
        pageError,
      );
    }
    const action = new URL(decodeEntities(form[2] ?? ''), next.url);

    if (form[1] === 'login') {
      if (submittedLogin)
        throw new SandboxSignInError(
          `Sign-in as ${options.username} failed: ${pageError ?? 'the login page was shown again'}`,
          pageError,
        );
      submittedLogin = true;
      next = {
        url: action,
        method: 'POST',
        form: new URLSearchParams({ username: options.username, password: options.password }),
      };
    } else {
      next = { url: action, method: 'POST', form: new URLSearchParams({ decision: consent }) };
    }
  }
  throw new SandboxSignInError(
    `Sign-in did not reach ${redirectUri} within ${options.maxRequests ?? 20} requests.`,
  );
}

function isRedirectUriTarget(target: URL, redirectUri: string): boolean {
  const expected = new URL(redirectUri);
  return target.origin === expected.origin && target.pathname === expected.pathname;
}

function cookieHeader(jar: StoredCookie[], url: URL): Record<string, string> {
  const matching = jar.filter(
    (cookie) =>
      url.pathname === cookie.path ||
      url.pathname.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`),
  );
  if (matching.length === 0) return {};
  return { cookie: matching.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ') };
}

/** Keeps cookies per name and path; every page is on one origin, so the domain is not tracked. */
function storeCookies(jar: StoredCookie[], response: Response, url: URL): void {
  for (const header of response.headers.getSetCookie()) {
    const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
    const separator = pair.indexOf('=');
    if (separator <= 0) continue;
    const name = pair.slice(0, separator);
    const value = pair.slice(separator + 1);
    let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
    let expired = value === '';
    for (const attribute of attributes) {
      const [key = '', attributeValue = ''] = attribute.split('=');
      if (key.toLowerCase() === 'path') path = attributeValue || '/';
      if (key.toLowerCase() === 'max-age' && Number(attributeValue) <= 0) expired = true;
      if (key.toLowerCase() === 'expires' && Date.parse(attributeValue) <= Date.now()) expired = true;
    }

    const index = jar.findIndex((cookie) => cookie.name === name && cookie.path === path);
    if (index >= 0) jar.splice(index, 1);
    if (!expired) jar.push({ name, value, path });
  }
}

function textOf(html: string, id: string): string | undefined {
  const match = new RegExp(`<p[^>]* id="${id}"[^>]*>([^<]*)</p>`).exec(html);
  return match?.[1] === undefined ? undefined : decodeEntities(match[1]);
}

function decodeEntities(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');
}
