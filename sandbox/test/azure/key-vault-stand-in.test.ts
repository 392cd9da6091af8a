import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CryptographyClient, KeyClient } from '@azure/keyvault-keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AzureSandbox, httpsJson, sandboxCredential, startAzureSandbox } from './azure-fixture.js';

let sandbox: AzureSandbox;

beforeAll(async () => {
  sandbox = await startAzureSandbox();
});

afterAll(async () => {
  await sandbox?.stop();
});

function cryptoClient(
  keyId: string,
  clientId = sandbox.azure.app.clientId,
  secret = sandbox.azure.app.clientSecret,
  target: AzureSandbox = sandbox,
) {
  return new CryptographyClient(keyId, sandboxCredential(target.azure, target.ca, clientId, secret), {
    disableChallengeResourceVerification: true,
    tlsOptions: { ca: target.ca },
    retryOptions: { maxRetries: 0 },
  });
}

async function token(clientId: string, secret: string) {
  return httpsJson(`${sandbox.azure.authorityHost}/${sandbox.azure.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    ca: sandbox.ca,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      scope: 'https://vault.azure.net/.default',
    }).toString(),
  });
}

/** Calls the vault REST API as the app, with a token from the token endpoint. */
async function vault(method: string, path: string, clientId: string, secret: string, body?: object) {
  const issued = await token(clientId, secret);
  return httpsJson(`${sandbox.azure.vaultUrl}${path}?api-version=7.6`, {
    method,
    ca: sandbox.ca,
    headers: { authorization: `Bearer ${issued.body.access_token}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

async function newApp() {
  const { body } = await sandbox.admin('POST', '/apps', { displayName: 'test app' });
  return body as { clientId: string; clientSecret: string };
}

describe('azure stand-in', () => {
  it('sandbox.json lists vault, tenant, app and CA', () => {
    const { azure } = sandbox;
    expect(azure.vaultUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(azure.authorityHost).toBe(`${azure.vaultUrl}/azure`);
    expect(azure.tenantId).toMatch(/^[0-9a-f-]{36}$/);
    expect(azure.app.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(azure.key.keyId).toMatch(
      new RegExp(`^${azure.vaultUrl}/keys/cybersentriq-company-key/[0-9a-f]{32}$`),
    );
    expect(existsSync(azure.caCertPath)).toBe(true);
  });

  it('demo app wraps with the demo key only', async () => {
    const { demo, key } = sandbox.azure;
    expect(demo.key.keyId).toMatch(
      new RegExp(`^${sandbox.azure.vaultUrl}/keys/woodgrove-company-key/[0-9a-f]{32}$`),
    );
    expect(demo.app.clientId).not.toBe(sandbox.azure.app.clientId);

    const plaintext = randomBytes(32);
    const demoClient = cryptoClient(demo.key.keyId, demo.app.clientId, demo.app.clientSecret);
    const wrapped = await demoClient.wrapKey('RSA-OAEP-256', plaintext);
    expect(Buffer.from((await demoClient.unwrapKey('RSA-OAEP-256', wrapped.result)).result)).toEqual(
      plaintext,
    );

    // Negative control: the demo app has no role on the seeded key that tests change.
    const seededKey = cryptoClient(key.keyId, demo.app.clientId, demo.app.clientSecret);
    await expect(seededKey.wrapKey('RSA-OAEP-256', plaintext)).rejects.toThrow(/wrap/);
  });

  it('https rejects clients without the sandbox CA', async () => {
    await expect(httpsJson(`${sandbox.azure.vaultUrl}/keys/x`, {})).rejects.toThrow(/certificate/);
  });

  it('SDK wraps and unwraps with RSA-OAEP-256', async () => {
    const client = cryptoClient(sandbox.azure.key.keyId);
    const plaintext = randomBytes(32);

    const wrapped = await client.wrapKey('RSA-OAEP-256', plaintext);
    expect(wrapped.keyID).toBe(sandbox.azure.key.keyId);
    expect(wrapped.result.length).toBe(256);
    const unwrapped = await client.unwrapKey('RSA-OAEP-256', wrapped.result);
    expect(Buffer.from(unwrapped.result).equals(plaintext)).toBe(true);
  });

  it('token endpoint rejects a wrong secret', async () => {
    const response = await token(sandbox.azure.app.clientId, 'not-the-secret');
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_client');
    expect(response.body.error_codes).toEqual([7000215]);
    expect(response.body.error_description).toMatch(/^AADSTS7000215: Invalid client secret provided/);
  });

  it('token endpoint rejects an unknown client', async () => {
    const response = await token('00000000-0000-0000-0000-000000000001', 'x');
    expect(response.status).toBe(400);
    expect(response.body.error_codes).toEqual([700016]);
  });

  it('vault answers 401 with a challenge without a token', async () => {
    const response = await httpsJson(
      `${sandbox.azure.vaultUrl}/keys/cybersentriq-company-key?api-version=7.6`,
      {
        ca: sandbox.ca,
      },
    );
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain(
      `authorization="${sandbox.azure.vaultUrl}/${sandbox.azure.tenantId}"`,
    );
  });

  it('role with get only refuses wrapKey', async () => {
    const app = await newApp();
    const key = sandbox.azure.key.name;
    const grant = await sandbox.admin('POST', '/role-assignments', {
      clientId: app.clientId,
      keyName: key,
      actions: ['get'],
    });
    expect(grant.status).toBe(201);

    const get = await vault('GET', `/keys/${key}`, app.clientId, app.clientSecret);
    expect(get.status).toBe(200);
    const wrap = await vault(
      'POST',
      `/keys/${key}/${get.body.key.kid.split('/').at(-1)}/wrapkey`,
      app.clientId,
      app.clientSecret,
      {
        alg: 'RSA-OAEP-256',
        value: randomBytes(32).toString('base64url'),
      },
    );
    expect(wrap.status).toBe(403);
    expect(wrap.body.error.code).toBe('Forbidden');
    expect(wrap.body.error.innererror.code).toBe('ForbiddenByRbac');
    expect(wrap.body.error.message).toContain("Action: 'Microsoft.KeyVault/vaults/keys/wrap/action'");
  });

  it('removed role assignment ends access', async () => {
    const app = await newApp();
    const key = sandbox.azure.key.name;
    const grant = await sandbox.admin('POST', '/role-assignments', {
      clientId: app.clientId,
      keyName: key,
      role: 'Key Vault Crypto User',
    });
    expect((await vault('GET', `/keys/${key}`, app.clientId, app.clientSecret)).status).toBe(200);

    expect((await sandbox.admin('DELETE', `/role-assignments/${grant.body.id}`)).status).toBe(204);
    expect((await vault('GET', `/keys/${key}`, app.clientId, app.clientSecret)).status).toBe(403);
  });

  it('missing key is 404 with a vault role and 403 without', async () => {
    const app = await newApp();
    expect((await vault('GET', '/keys/no-such-key', app.clientId, app.clientSecret)).status).toBe(403);

    await sandbox.admin('POST', '/role-assignments', {
      clientId: app.clientId,
      role: 'Key Vault Crypto User',
    });
    const response = await vault('GET', '/keys/no-such-key', app.clientId, app.clientSecret);
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('KeyNotFound');
  });

  it('disabled key refuses get', async () => {
    const created = await sandbox.admin('POST', '/keys', { name: 'disabled-key', kty: 'RSA' });
    expect(created.status).toBe(201);
    const { clientId, clientSecret } = sandbox.azure.app;
    await sandbox.admin('POST', '/role-assignments', {
      clientId,
      keyName: 'disabled-key',
      role: 'Key Vault Crypto User',
    });
    expect((await vault('GET', '/keys/disabled-key', clientId, clientSecret)).status).toBe(200);

    const patched = await sandbox.admin('PATCH', '/keys/disabled-key', { enabled: false });
    expect(patched.body.enabled).toBe(false);
    const response = await vault('GET', '/keys/disabled-key', clientId, clientSecret);
    expect(response.status).toBe(403);
    expect(response.body.error.message).toBe('Operation get is not allowed on a disabled key.');
    expect(response.body.error.innererror.code).toBe('KeyDisabled');
  });

  it('expired key refuses wrapKey', async () => {
    const created = await sandbox.admin('POST', '/keys', {
      name: 'expired-key',
      kty: 'RSA',
      exp: '2020-01-01T00:00:00Z',
    });
    const { clientId, clientSecret } = sandbox.azure.app;
    await sandbox.admin('POST', '/role-assignments', {
      clientId,
      keyName: 'expired-key',
      role: 'Key Vault Crypto User',
    });

    const get = await vault('GET', '/keys/expired-key', clientId, clientSecret);
    expect(get.body.attributes.exp).toBe(Date.parse('2020-01-01T00:00:00Z') / 1000);
    const wrap = await vault(
      'POST',
      `/keys/expired-key/${created.body.version}/wrapkey`,
      clientId,
      clientSecret,
      {
        alg: 'RSA-OAEP-256',
        value: randomBytes(32).toString('base64url'),
      },
    );
    expect(wrap.status).toBe(403);
    expect(wrap.body.error.innererror.code).toBe('KeyExpired');
  });

  it('EC key cannot wrap', async () => {
    const created = await sandbox.admin('POST', '/keys', { name: 'ec-key', kty: 'EC' });
    const { clientId, clientSecret } = sandbox.azure.app;
    await sandbox.admin('POST', '/role-assignments', {
      clientId,
      keyName: 'ec-key',
      role: 'Key Vault Crypto User',
    });

    const get = await vault('GET', '/keys/ec-key', clientId, clientSecret);
    expect(get.body.key.kty).toBe('EC');
    const wrap = await vault('POST', `/keys/ec-key/${created.body.version}/wrapkey`, clientId, clientSecret, {
      alg: 'RSA-OAEP-256',
      value: randomBytes(32).toString('base64url'),
    });
    expect(wrap.status).toBe(403);
    expect(wrap.body.error.innererror.code).toBe('KeyOperationForbidden');
  });

  it('KeyClient creates and updates keys', async () => {
    const officer = await newApp();
    await sandbox.admin('POST', '/role-assignments', {
      clientId: officer.clientId,
      role: 'Key Vault Crypto Officer',
    });
    const client = new KeyClient(
      sandbox.azure.vaultUrl,
      sandboxCredential(sandbox.azure, sandbox.ca, officer.clientId, officer.clientSecret),
      {
        disableChallengeResourceVerification: true,
        tlsOptions: { ca: sandbox.ca },
        retryOptions: { maxRetries: 0 },
      },
    );

    const key = await client.createRsaKey('sdk-created', { keySize: 3072 });
    expect(key.keyType).toBe('RSA');
    expect(key.id).toBe(`${sandbox.azure.vaultUrl}/keys/sdk-created/${key.properties.version}`);
    const updated = await client.updateKeyProperties('sdk-created', key.properties.version!, {
      enabled: false,
    });
    expect(updated.properties.enabled).toBe(false);
  });
});

describe('azure stand-in restart', () => {
  it('restart keeps port, tenant and keys', async () => {
    const first = await startAzureSandbox();
    const before = first.azure;
    await first.stop({ keepState: true });

    const second = await startAzureSandbox(first.stateDir);
    try {
      expect(second.azure.vaultUrl).toBe(before.vaultUrl);
      expect(second.azure.tenantId).toBe(before.tenantId);
      expect(second.azure.key.keyId).toBe(before.key.keyId);
      expect(second.azure.app.clientSecret).toBe(before.app.clientSecret);
      expect(second.azure.demo).toEqual(before.demo);
    } finally {
      await second.stop();
    }
  });

  it('restart adds a missing demo customer', async () => {
    const first = await startAzureSandbox();
    const seededApp = first.azure.app;
    await first.stop({ keepState: true });
    // A state saved before the demo customer existed.
    const statePath = join(first.stateDir, 'azure-state.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    delete state.demo;
    state.apps = state.apps.filter((app: { clientId: string }) => app.clientId === seededApp.clientId);
    state.keys = state.keys.filter((key: { name: string }) => key.name !== 'woodgrove-company-key');
    state.roleAssignments = state.roleAssignments.filter(
      (assignment: { clientId: string }) => assignment.clientId === seededApp.clientId,
    );
    writeFileSync(statePath, JSON.stringify(state));

    const second = await startAzureSandbox(first.stateDir);
    try {
      expect(second.azure.app).toEqual(seededApp);
      expect(second.azure.demo.key.keyId).toMatch(/\/keys\/woodgrove-company-key\/[0-9a-f]{32}$/);
      const demoClient = cryptoClient(
        second.azure.demo.key.keyId,
        second.azure.demo.app.clientId,
        second.azure.demo.app.clientSecret,
        second,
      );
      await expect(demoClient.wrapKey('RSA-OAEP-256', randomBytes(32))).resolves.toBeDefined();
    } finally {
      await second.stop();
    }
  });

  it('restart keeps a removed demo assignment removed', async () => {
    const first = await startAzureSandbox();
    const { demo } = first.azure;
    const listed = await first.admin('GET', '/role-assignments');
    const assignment = (listed.body as Array<{ id: string; clientId: string }>).find(
      (candidate) => candidate.clientId === demo.app.clientId,
    );
    expect(assignment).toBeDefined();
    await first.admin('DELETE', `/role-assignments/${assignment!.id}`);
    await first.stop({ keepState: true });

    const second = await startAzureSandbox(first.stateDir);
    try {
      const after = await second.admin('GET', '/role-assignments');
      const demoAssignments = (after.body as Array<{ clientId: string }>).filter(
        (candidate) => candidate.clientId === demo.app.clientId,
      );
      expect(demoAssignments).toEqual([]);
      expect(second.azure.demo).toEqual(demo);
    } finally {
      await second.stop();
    }
  });
});
