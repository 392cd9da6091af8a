// A stand-in for the key-management API, for looking at the console pages while the server's
// routes are being built. It keeps state in memory, has fixed demo users and talks to no provider.
// Start: node web/dev/mock-api.mjs [port]; then REDAPP_API_URL=http://127.0.0.1:PORT npx vite web.
// NOTE: its behaviour follows docs/api-key-management.md, not the server's code; the server wins.
import { randomUUID } from 'node:crypto';
import http from 'node:http';

const password = 'mock-password-123';
const partnerId = randomUUID();
const companies = [
  {
    id: randomUUID(),
    name: 'Contoso Ltd',
    partnerId,
    partnerName: 'Northwind MSP',
    createdAt: new Date().toISOString(),
  },
  {
    id: randomUUID(),
    name: 'Fabrikam Inc',
    partnerId,
    partnerName: 'Northwind MSP',
    createdAt: new Date().toISOString(),
  },
];
const users = [
  { email: 'partner@northwind.example', role: 'partner_admin', companyId: null },
  { email: 'admin@contoso.example', role: 'company_admin', companyId: companies[0].id },
  { email: 'viewer@contoso.example', role: 'company_viewer', companyId: companies[0].id },
];
const sessions = new Map();
const states = new Map(companies.map((company) => [company.id, newCompanyState()]));

function newCompanyState() {
  return {
    provider: {
      type: 'cybersentriq',
      label: 'CyberSentriq-Managed',
      config: null,
      activeSince: new Date().toISOString(),
    },
    switch: null,
    exportAvailable: false,
    exportReason: 'No switch has finished yet.',
    externalId: randomUUID(),
    events: [],
    tenants: [
      tenant('microsoft365', randomUUID(), 'contoso.example', [
        'Contoso mailboxes and OneDrive',
        'Contoso SharePoint',
      ]),
      tenant('microsoft365', randomUUID(), 'contoso-eu.example', ['Contoso EU mailboxes']),
      tenant('google_workspace', 'C03az79cb', 'contoso-mail.example', ['Contoso Google Workspace']),
    ],
  };
}

function tenant(kind, tenantId, primaryDomain, backupSets) {
  return {
    kind,
    tenantId,
    primaryDomain,
    backupSets,
    status: 'unverified',
    reason: null,
    verifiedBy: null,
    updatedAt: null,
  };
}

function audit(state, actor, action, summary, outcome = 'success') {
  state.events.unshift({
    sequence: state.events.length + 1,
    time: new Date().toISOString(),
    actor,
    action,
    outcome,
    summary,
  });
}

function fail(response, status, code, message, fix) {
  send(response, status, { error: { code, message, fix, requestId: randomUUID() } });
}

function send(response, status, body, headers = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(body === undefined ? undefined : JSON.stringify(body));
}

function readBody(request) {
  return new Promise((resolve) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => resolve(text ? JSON.parse(text) : {}));
  });
}

function overview(company, user, state) {
  const switchBody = state.switch && {
    ...state.switch,
    tenantsTotal: state.tenants.length,
    tenantsVerified: state.tenants.filter((t) => t.status === 'verified').length,
  };
  return {
    companyId: company.id,
    companyName: company.name,
    provider: state.provider,
    status: state.switch ? 'switching' : 'active',
    switch: switchBody,
    keyHealth:
      state.provider.type === 'aws-kms'
        ? { state: 'ok', checkedAt: new Date().toISOString(), message: 'The key is enabled and usable.' }
        : null,
    export: state.exportAvailable ? { available: true } : { available: false, reason: state.exportReason },
    canManage: user.role !== 'company_viewer',
  };
}

const steps = [
  'Input checks',
  'Platform credentials',
  'Assume role',
  'External ID enforced',
  'Describe key',
  'Encrypt and decrypt',
];

function runTest(body) {
  const config = body.config ?? {};
  let failAt = -1;
  let error;
  if (String(config.roleArn).includes('Wrong')) {
    failAt = 2;
    error = {
      code: 'ROLE_ACCESS_DENIED',
      message: `Access denied when assuming ${config.roleArn} with the External ID you entered.`,
      fix: 'Ask your AWS admin to confirm the principal in the trust policy is the CyberSentriq platform account, and that the External ID matches character-for-character.',
    };
  } else if (String(config.keyArn).includes('0000dead')) {
    failAt = 4;
    error = {
      code: 'KEY_DISABLED',
      message: 'The KMS key is disabled.',
      fix: 'Ask your AWS admin to re-enable the key, then retry.',
    };
  }
  return {
    ok: failAt === -1,
    steps: steps.map((name, index) => ({
      name,
      status: stepStatus(failAt, index),
      message: stepMessage(failAt, index, name, error),
    })),
    ...(error ? { error } : {}),
  };
}

function stepStatus(failAt, index) {
  if (failAt === -1 || index < failAt) return 'passed';
  if (index === failAt) return 'failed';
  return 'not run';
}

function stepMessage(failAt, index, name, error) {
  const status = stepStatus(failAt, index);
  if (status === 'failed') return error.message;
  if (status === 'not run') return '';
  return `${name} passed.`;
}

function maybeFinish(state) {
  if (!state.switch || state.tenants.some((t) => t.status !== 'verified')) return;
  state.provider = { ...state.switch.target, activeSince: new Date().toISOString() };
  state.switch = null;
  state.exportAvailable = true;
  audit(state, 'system', 'switch.finished', `Switched to ${state.provider.label}`);
}

async function handle(request, response) {
  const url = new URL(request.url, 'http://mock');
  const route = `${request.method} ${url.pathname}`;
  const cookie = /mock_session=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
  const user = cookie ? sessions.get(cookie) : undefined;

  if (route === 'POST /api/session') {
    const body = await readBody(request);
    const found = users.find((candidate) => candidate.email === body.email);
    if (!found || body.password !== password) {
      return fail(
        response,
        401,
        'INVALID_CREDENTIALS',
        'The email address or password is incorrect.',
        'Check both and try again.',
      );
    }
    const id = randomUUID();
    sessions.set(id, found);
    return send(response, 200, sessionBody(found), {
      'set-cookie': `mock_session=${id}; Path=/; HttpOnly; SameSite=Strict`,
    });
  }
  if (route.startsWith('GET /api/mock-idp')) {
    const state = states.get(url.searchParams.get('company'));
    const target = state?.tenants.find((t) => t.tenantId === url.searchParams.get('tenant'));
    const refused =
      target.kind === 'microsoft365' &&
      target.status === 'unverified' &&
      target.primaryDomain === 'contoso.example';
    Object.assign(
      target,
      refused
        ? {
            status: 'refused',
            reason: 'not a Global Administrator or Privileged Role Administrator',
            updatedAt: new Date().toISOString(),
          }
        : {
            status: 'verified',
            reason: null,
            verifiedBy: `admin@${target.primaryDomain}`,
            updatedAt: new Date().toISOString(),
          },
    );
    // Finish a moment later, as the server's background work would.
    setTimeout(() => maybeFinish(state), 4000);
    response.writeHead(302, {
      location: `/companies/${url.searchParams.get('company')}/key-management?tenant=${target.tenantId}&result=${refused ? 'refused' : 'verified'}`,
    });
    return response.end();
  }
  if (!user) return fail(response, 401, 'UNAUTHENTICATED', 'Sign in to continue.', 'Sign in again.');

  if (route === 'GET /api/session') return send(response, 200, sessionBody(user));
  if (route === 'DELETE /api/session') {
    sessions.delete(cookie);
    return send(response, 204);
  }
  if (route === 'GET /api/companies') {
    return send(response, 200, {
      companies: user.companyId ? companies.filter((c) => c.id === user.companyId) : companies,
    });
  }

  const match = /^\/api\/companies\/([^/]+)(\/.*)?$/.exec(url.pathname);
  const company = companies.find((candidate) => candidate.id === match?.[1]);
  if (!company || (user.companyId && user.companyId !== company.id)) {
    return fail(response, 404, 'NOT_FOUND', 'Company not found.', 'Check the id.');
  }
  const state = states.get(company.id);
  const rest = `${request.method} ${match[2] ?? ''}`;
  const changing = request.method !== 'GET';
  if (changing && user.role === 'company_viewer')
    return fail(response, 403, 'FORBIDDEN', 'Viewers cannot change this.', 'Ask an admin.');

  switch (rest) {
    case 'GET ':
      return send(response, 200, company);
    case 'GET /key-management':
      return send(response, 200, overview(company, user, state));
    case 'GET /key-management/tenants':
      return send(response, 200, { tenants: state.tenants });
    case 'GET /audit-events':
      return send(response, 200, { events: state.events });
    case 'GET /key-management/aws-kms/setup':
      return send(response, 200, {
        platformPrincipalArn: 'arn:aws:iam::156214480941:user/cybersentriq-kms-connector',
        externalId: state.externalId,
        setupCommand: `./cybersentriq-byok-setup.sh --platform-principal-arn arn:aws:iam::156214480941:user/cybersentriq-kms-connector --external-id ${state.externalId} --region us-east-1`,
        script: {
          fileName: 'cybersentriq-byok-setup.sh',
          sha256: '3f1c0a7e9b2d4c6f8a0e1b3d5c7f9a2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d0f2a',
          downloadUrl: '/api/setup-script/cybersentriq-byok-setup.sh',
        },
      });
    case 'POST /key-management/test': {
      const result = runTest(await readBody(request));
      audit(state, user.email, 'provider.tested', 'Tested the connection', result.ok ? 'success' : 'failure');
      return send(response, 200, result);
    }
    case 'POST /key-management/save': {
      const body = await readBody(request);
      const result = runTest(body);
      if (!result.ok) return send(response, 200, result);
      const label = body.providerType === 'aws-kms' ? 'AWS KMS' : 'CyberSentriq-Managed';
      for (const t of state.tenants)
        Object.assign(t, { status: 'unverified', reason: null, verifiedBy: null, updatedAt: null });
      state.switch = {
        id: randomUUID(),
        state: 'pending',
        target: { type: body.providerType, label, config: body.config },
        createdAt: new Date().toISOString(),
        createdBy: user.email,
        lastError: null,
      };
      audit(state, user.email, 'switch.saved', `Saved ${label} and started the switch`);
      return send(response, 200, { ...result, switch: overview(company, user, state).switch });
    }
    case 'POST /key-management/switch/cancel':
      if (!state.switch)
        return fail(response, 409, 'CONFLICT', 'No switch is pending.', 'Nothing to cancel.');
      state.switch = null;
      audit(state, user.email, 'switch.cancelled', 'Cancelled the switch');
      return send(response, 200, {});
    case 'POST /key-management/tenants/verify': {
      const body = await readBody(request);
      return send(response, 200, {
        authorizationUrl: `/api/mock-idp?company=${company.id}&tenant=${encodeURIComponent(body.tenantId)}`,
      });
    }
    case 'POST /key-management/export': {
      const body = await readBody(request);
      if (body.password !== password)
        return fail(
          response,
          401,
          'INVALID_CREDENTIALS',
          'The password is incorrect.',
          'Enter the password you sign in with.',
        );
      if (!state.exportAvailable) {
        return fail(
          response,
          409,
          'EXPORT_NOT_AVAILABLE',
          'The one-time export has been used.',
          'Verify every tenant again to export once more.',
        );
      }
      state.exportAvailable = false;
      state.exportReason =
        'The one-time export has been used. Verify every tenant again to export once more.';
      audit(state, user.email, 'key.exported', 'Exported the company key');
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename="redapp-company-key-${company.id}.rkx"`,
      });
      return response.end(Buffer.from('RKX1 mock export'));
    }
    default:
      return fail(response, 404, 'ROUTE_NOT_FOUND', `No mock for ${route}.`, 'Check the path.');
  }
}

function sessionBody(user) {
  return {
    user: {
      id: randomUUID(),
      email: user.email,
      displayName: user.email,
      role: user.role,
      partnerId,
      companyId: user.companyId,
    },
    csrfToken: 'mock-csrf',
  };
}

const server = http.createServer((request, response) => {
  handle(request, response).catch((error) => {
    console.error(error);
    fail(response, 500, 'INTERNAL', 'Mock failure.', 'See the mock output.');
  });
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`mock API on http://127.0.0.1:${server.address().port}, password ${password}`);
});
