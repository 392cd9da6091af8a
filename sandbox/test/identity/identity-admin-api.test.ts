import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntraTenantConfig, GoogleAccountConfig } from '../../src/identity/identity-config.js';
import { ENTRA_DIRECTORY_ROLES } from '../../src/identity/identity-types.js';
import {
  type IdentitySandbox,
  signInAndRedeem,
  startClientFlow,
  startIdentitySandbox,
} from './identity-fixture.js';

let sandbox: IdentitySandbox;
beforeAll(async () => {
  sandbox = await startIdentitySandbox();
});
afterAll(async () => {
  await sandbox?.stop();
});

async function addTenant(body: unknown) {
  return fetch(`${sandbox.url}/_sandbox/identity/tenants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('identity admin API', () => {
  it('adds an Entra tenant that users sign in to', async () => {
    const tenantId = randomUUID();
    const response = await addTenant({ kind: 'microsoft365', tenantId, domain: 'adatum.example' });
    const tenant = (await response.json()) as EntraTenantConfig & { kind: string };
    const admin = tenant.users.find((user) => user.role === 'global_admin');

    expect(response.status).toBe(201);
    expect(tenant.issuer).toBe(`${sandbox.url}/entra/${tenantId}/v2.0`);
    expect(tenant.users.map((user) => user.role).sort()).toEqual([
      'cloud_application_admin',
      'global_admin',
      'privileged_role_admin',
      'user',
    ]);
    expect(admin?.username).toBe('globaladmin@adatum.example');

    const { clientId, clientSecret } = sandbox.identity.entra.clients.withDirectoryRoles;
    const flow = await startClientFlow(tenant.issuer, clientId, clientSecret, 'openid profile');
    const tokens = await signInAndRedeem(flow, admin?.username ?? '', admin?.password ?? '');

    expect(tokens.claims()?.tid).toBe(tenantId);
    expect(tokens.claims()?.wids).toContain(ENTRA_DIRECTORY_ROLES.global_admin.roleTemplateId);
  });

  it('adds a Google account', async () => {
    const response = await addTenant({
      kind: 'google_workspace',
      customerId: 'C01test42',
      domain: 'adatum-mail.example',
    });
    const account = (await response.json()) as GoogleAccountConfig;

    expect(response.status).toBe(201);
    expect(account.customerId).toBe('C01test42');
    expect(account.users.map((user) => user.role).sort()).toEqual(['delegated_admin', 'super_admin', 'user']);

    const superAdmin = account.users.find((user) => user.role === 'super_admin');
    const { clientId, clientSecret } = sandbox.identity.google.clients.default;
    const flow = await startClientFlow(
      sandbox.identity.google.issuer,
      clientId,
      clientSecret,
      'openid email',
    );
    const tokens = await signInAndRedeem(flow, superAdmin?.username ?? '', superAdmin?.password ?? '');

    expect(tokens.claims()?.hd).toBe('adatum-mail.example');
  });

  it('returns the existing tenant when added again', async () => {
    const tenantId = randomUUID();
    const first = (await (
      await addTenant({ kind: 'microsoft365', tenantId, domain: 'again.example' })
    ).json()) as EntraTenantConfig;

    const response = await addTenant({ kind: 'microsoft365', tenantId, domain: 'again.example' });
    const second = (await response.json()) as EntraTenantConfig;

    expect(response.status).toBe(200);
    expect(second.users).toEqual(first.users);
  });

  it('rejects a tenant id reused with another domain', async () => {
    const tenantId = randomUUID();
    await addTenant({ kind: 'microsoft365', tenantId, domain: 'first.example' });

    const response = await addTenant({ kind: 'microsoft365', tenantId, domain: 'second.example' });

    expect(response.status).toBe(409);
  });

  it('rejects a Google domain of another account', async () => {
    const response = await addTenant({
      kind: 'google_workspace',
      customerId: 'C09other1',
      domain: 'contoso-mail.example',
    });

    expect(response.status).toBe(409);
  });

  it('rejects invalid input', async () => {
    const cases: unknown[] = [
      { kind: 'microsoft365', tenantId: 'not-a-guid', domain: 'x.example' },
      { kind: 'microsoft365', domain: 'x.example' },
      { kind: 'microsoft365', tenantId: randomUUID(), domain: 'not a domain' },
      { kind: 'google_workspace', customerId: '!!', domain: 'x.example' },
      { kind: 'aws', tenantId: randomUUID(), domain: 'x.example' },
      ['not', 'an', 'object'],
    ];
    for (const body of cases) {
      const response = await addTenant(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('lists added tenants in the config', async () => {
    const tenantId = randomUUID();
    await addTenant({ kind: 'microsoft365', tenantId, domain: 'listed.example' });

    const response = await fetch(`${sandbox.url}/_sandbox/identity/config`);
    const config = (await response.json()) as { entra: { tenants: EntraTenantConfig[] } };

    expect(config.entra.tenants.map((tenant) => tenant.tenantId)).toContain(tenantId);
  });

  it('keeps added tenants across restarts', async () => {
    const stateDir = sandbox.stateDir;
    const tenantId = randomUUID();
    const added = (await (
      await addTenant({ kind: 'microsoft365', tenantId, domain: 'kept.example' })
    ).json()) as EntraTenantConfig;

    const restarted = await startIdentitySandbox(stateDir);
    try {
      const reloaded = restarted.identity.entra.tenants.find((tenant) => tenant.tenantId === tenantId);
      expect(reloaded?.users).toEqual(added.users);
      expect(restarted.identity.entra.clients).toEqual(sandbox.identity.entra.clients);
    } finally {
      await restarted.stop();
    }
  });
});
