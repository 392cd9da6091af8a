import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityConfig, type RunningSandbox, startSandbox } from '../../src/index.js';
import { signInAndRedeem, startClientFlow } from './identity-fixture.js';

let sandbox: RunningSandbox;
let stateDir: string;
beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'redapp-identity-json-'));
  sandbox = await startSandbox({ stateDir, logger: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await sandbox?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

function readIdentity(): IdentityConfig {
  const written = JSON.parse(readFileSync(sandbox.configPath, 'utf8')) as { identity: IdentityConfig };
  return written.identity;
}

describe('sandbox.json identity section', () => {
  it('names the endpoints on the sandbox URL', () => {
    const identity = readIdentity();

    expect(identity.entra.authorityTemplate).toBe(`${sandbox.url}/entra/{tenantId}/v2.0`);
    expect(identity.entra.graphEndpoint).toBe(`${sandbox.url}/graph/v1.0`);
    expect(identity.google.issuer).toBe(`${sandbox.url}/google`);
    expect(identity.google.directoryEndpoint).toBe(`${sandbox.url}/google/admin/directory/v1`);
  });

  it('lists the clients', () => {
    const identity = readIdentity();

    expect(identity.entra.clients.withDirectoryRoles.clientId).toBe('redapp-entra');
    expect(identity.entra.clients.withoutDirectoryRoles.clientId).toBe('redapp-entra-nowids');
    expect(identity.google.clients.default.clientId).toBe('redapp-google');
    expect(identity.google.clients.default.clientSecret.length).toBeGreaterThan(20);
  });

  it('lists the seeded tenants and users', () => {
    const identity = readIdentity();

    expect(identity.entra.tenants.map((tenant) => [tenant.tenantId, tenant.domain])).toEqual([
      ['6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a01', 'contoso.example'],
      ['6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a02', 'research.contoso.example'],
      ['6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a03', 'fabrikam.example'],
      ['6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a04', 'tailspin.example'],
      ['6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a05', 'woodgrove.example'],
    ]);
    for (const tenant of identity.entra.tenants) {
      expect(
        tenant.users.map((user) => user.role),
        tenant.domain,
      ).toEqual(['global_admin', 'privileged_role_admin', 'cloud_application_admin', 'user']);
    }
    expect(identity.google.accounts.map((account) => [account.customerId, account.domain])).toEqual([
      ['C03az79cb', 'contoso-mail.example'],
    ]);
    expect(identity.google.accounts[0]?.users.map((user) => user.role)).toEqual([
      'super_admin',
      'delegated_admin',
      'user',
    ]);
  });

  it('matches the config startSandbox returns', () => {
    expect(sandbox.config.identity).toEqual(readIdentity());
  });

  it('signs in through the full sandbox', async () => {
    const identity = readIdentity();
    const tenant = identity.entra.tenants[1];
    const admin = tenant?.users[0];
    const { clientId, clientSecret } = identity.entra.clients.withDirectoryRoles;

    const flow = await startClientFlow(tenant?.issuer ?? '', clientId, clientSecret, 'openid profile');
    const tokens = await signInAndRedeem(flow, admin?.username ?? '', admin?.password ?? '');

    expect(tokens.claims()?.tid).toBe(tenant?.tenantId);
  });

  it('leaves AWS requests to the AWS endpoint', async () => {
    const response = await fetch(`${sandbox.url}/`, { method: 'POST', body: 'Action=GetCallerIdentity' });

    expect(response.status).toBe(403);
    expect(await response.text()).toContain('MissingAuthenticationToken');
  });
});
