import type { CatalogueError } from './api-types';

/** An error response of the API, carrying the catalogue code, message and fix. */
export class ApiError extends Error implements CatalogueError {
  readonly status: number;
  readonly code: string;
  readonly fix: string;
  readonly requestId: string | undefined;

  constructor(status: number, body: Partial<CatalogueError> & { requestId?: string }) {
    super(body.message ?? `The request failed with HTTP status ${status}.`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code ?? 'UNKNOWN';
    this.fix = body.fix ?? 'Try again. If the problem persists, contact CyberSentriq support.';
    this.requestId = body.requestId;
  }
}

type UnauthorizedListener = () => void;

const changingMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Sends requests to the RedApp API with the session cookie and, on changing requests, the CSRF
 * token. A 401 calls the unauthorized listener, which returns to sign-in, unless the options of send()
 * exclude that response.
 */
export class ApiClient {
  private csrfToken: string | null = null;
  private unauthorizedListener: UnauthorizedListener | null = null;

  constructor(private readonly fetchImpl: typeof fetch = (...args) => globalThis.fetch(...args)) {}

  setCsrfToken(token: string | null): void {
    this.csrfToken = token;
  }

  onUnauthorized(listener: UnauthorizedListener | null): void {
    this.unauthorizedListener = listener;
  }

  async get<T>(path: string): Promise<T> {
    return (await this.send('GET', path)).json() as Promise<T>;
  }

  async post<T>(path: string, body?: unknown): Promise<T> {
    const response = await this.send('POST', path, body);
    if (response.status === 204) return undefined as T;
    return response.json() as Promise<T>;
  }

  async delete(path: string): Promise<void> {
    await this.send('DELETE', path);
  }

  /**
   * Sends a request and returns the raw response, for bodies that are not JSON such as file downloads.
   * `quiet401` keeps every 401 from the unauthorized listener, for sign-in and the first session check.
   * `passwordInBody` keeps only INVALID_CREDENTIALS from it, because that code then means the password
   * in the body was wrong, not that the session ended.
   */
  async send(
    method: string,
    path: string,
    body?: unknown,
    options: { quiet401?: boolean; passwordInBody?: boolean } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (changingMethods.has(method) && this.csrfToken) headers['x-csrf-token'] = this.csrfToken;

    let response: Response;
    try {
      response = await this.fetchImpl(path, {
        method,
        headers,
        credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, {
        code: 'NETWORK_ERROR',
        message: 'RedApp could not be reached.',
        fix: 'Check your network connection and try again.',
      });
    }
    if (response.ok) return response;

    const error = await readError(response);
    const wrongPassword = options.passwordInBody && error.code === 'INVALID_CREDENTIALS';
    if (response.status === 401 && !options.quiet401 && !wrongPassword) this.unauthorizedListener?.();
    throw error;
  }
}

async function readError(response: Response): Promise<ApiError> {
  try {
    const parsed = (await response.json()) as { error?: Partial<CatalogueError> & { requestId?: string } };
    if (parsed.error) return new ApiError(response.status, parsed.error);
  } catch {
    // The body was not JSON, e.g. a proxy's error page: fall through to the generic error.
  }
  return new ApiError(response.status, {});
}

export const api = new ApiClient();
