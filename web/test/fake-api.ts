import { ApiClient } from '../src/api/api-client';
import type { KeyManagementOverview, Session } from '../src/api/api-types';

export type Handler = (body: unknown, url: URL) => { status?: number; body?: unknown } | undefined;

export interface FakeApi {
  client: ApiClient;
  /** Requests in the order received, as "METHOD /path" with the parsed JSON body. */
  requests: { route: string; body: unknown; csrf: string | null }[];
  on(route: string, handler: Handler): void;
}

/** Returns an ApiClient whose fetch calls handlers keyed by "METHOD /path" instead of the network. */
export function createFakeApi(session: Session): FakeApi {
  const handlers = new Map<string, Handler>();
  const requests: FakeApi['requests'] = [];
  handlers.set('GET /api/session', () => ({ body: session }));

  const fakeFetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input), 'http://console.test');
    const method = init?.method ?? 'GET';
    const route = `${method} ${url.pathname}`;
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const headers = (init?.headers ?? {}) as Record<string, string>;
    requests.push({ route, body, csrf: headers['x-csrf-token'] ?? null });

    const answer = handlers.get(route)?.(body, url);
    if (!answer) {
      return json(404, { error: { code: 'ROUTE_NOT_FOUND', message: `No fake for ${route}`, fix: '' } });
    }
    return json(answer.status ?? 200, answer.body ?? {});
  };

  return {
    client: new ApiClient(fakeFetch),
    requests,
    on: (route, handler) => handlers.set(route, handler),
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export const companyId = '0b7c1f2e-4d5a-4b6c-8d9e-0f1a2b3c4d5e';

export function sessionFor(role: Session['user']['role']): Session {
  return {
    user: {
      id: 'a1e4c2b0-0000-4000-8000-000000000001',
      email: role === 'company_viewer' ? 'viewer@contoso.example' : 'admin@contoso.example',
      displayName: 'Test user',
      role,
      partnerId: 'a1e4c2b0-0000-4000-8000-000000000002',
      companyId,
    },
    csrfToken: 'csrf-token-1',
  };
}

export function overviewFor(
  canManage: boolean,
  patch: Partial<KeyManagementOverview> = {},
): KeyManagementOverview {
  return {
    companyId,
    companyName: 'Contoso Ltd',
    provider: {
      type: 'cybersentriq',
      label: 'CyberSentriq-Managed',
      config: null,
      activeSince: '2026-12-01T10:00:00.000Z',
    },
    status: 'active',
    switch: null,
    keyHealth: null,
    export: { available: false, reason: 'No switch has finished yet.' },
    canManage,
    ...patch,
  };
}

export const awsSetup = {
  platformPrincipalArn: 'arn:aws:iam::156214480941:user/cybersentriq-kms-connector',
  externalId: '8f1e4c2b-7a3d-4e9f-b8c1-2d5e6f7a8b9c',
  setupCommand:
    './cybersentriq-byok-setup.sh --platform-principal-arn arn:aws:iam::156214480941:user/cybersentriq-kms-connector --external-id 8f1e4c2b-7a3d-4e9f-b8c1-2d5e6f7a8b9c --region us-east-1',
  script: {
    fileName: 'cybersentriq-byok-setup.sh',
    sha256: 'a'.repeat(64),
    downloadUrl: '/api/setup-script/cybersentriq-byok-setup.sh',
  },
};
