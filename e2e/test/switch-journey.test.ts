import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DisableKeyCommand, EnableKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInWithSandbox } from '../../sandbox/src/identity/sign-in-driver.js';
import { ApiClient } from '../support/api-client.js';
import { createCustomerKeyAndRole } from '../support/customer-setup.js';
import {
  demoCredentials,
  repositoryRoot,
  type Sandbox,
  type Server,
  startSandbox,
  startServer,
} from '../support/processes.js';

/**
 * The main job through the API, with the real server and sandbox as processes: Test connection and
 * Save, every tenant verified through the identity sandboxes (with refusals first), the switch
 * finishing by itself, backups restored byte for byte, revocation, and the one-time export.
 */
let sandbox: Sandbox;
let server: Server;
let admin: ApiClient;
const contoso = '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000101';
const base = `/api/companies/${contoso}`;

beforeAll(async () => {
  sandbox = await startSandbox();
  server = await startServer({ sandboxFile: sandbox.file, env: { REDAPP_KEY_CACHE_MAX_AGE_SECONDS: '2' } });
  const credentials = demoCredentials(server.dataDir).users.find(
    (user) => user.email === 'admin@contoso.example',
  )!;
  admin = new ApiClient(server.url);
  await admin.signIn(credentials.email, credentials.password);
});

afterAll(async () => {
  await server?.process.stop();
  await sandbox?.process.stop();
});

interface Tenant {
  kind: string;
  tenantId: string;
  status: string;
  reason: string | null;
}

async function tenants(): Promise<Tenant[]> {
  return (await admin.json<{ tenants: Tenant[] }>('GET', `${base}/key-management/tenants`)).body.tenants;
}

function entraUser(tenantId: string, role: string) {
  const tenant = sandbox.config.identity.entra.tenants.find((t) => t.tenantId === tenantId)!;
  return tenant.users.find((user) => user.role === role)!;
}

function googleUser(customerId: string, role: string) {
  const account = sandbox.config.identity.google.accounts.find((a) => a.customerId === customerId)!;
  return account.users.find((user) => user.role === role)!;
}

/** Clicks Verify, signs in at the identity sandbox as `user`, and follows the redirect back to RedApp. */
async function verify(
  kind: string,
  tenantId: string,
  user: { username: string; password: string },
  consent: 'accept' | 'cancel' = 'accept',
) {
  const start = await admin.json<{ authorizationUrl: string }>(
    'POST',
    `${base}/key-management/tenants/verify`,
    { kind, tenantId },
  );
  expect(start.status).toBe(200);
  const callback = await signInWithSandbox(start.body.authorizationUrl, { ...user, consent });
  const response = await admin.request('GET', `${callback.pathname}${callback.search}`);
  expect(response.status).toBe(303);
  return new URL(response.headers.get('location')!, server.url);
}

const objects: Array<{ id: string; backupSetId: string; data: Buffer }> = [];
let keyArn = '';
let customerKms: Awaited<ReturnType<typeof createCustomerKeyAndRole>>['kms'];

describe('switch to AWS KMS', () => {
  it('stores backup objects under the CyberSentriq-managed key first', async () => {
    const sets = (await admin.json<{ backupSets: Array<{ id: string }> }>('GET', `${base}/backup-sets`)).body
      .backupSets;
    for (const set of sets) {
      const data = randomBytes(150_000 + Math.floor(Math.random() * 1000));
      const response = await admin.request('POST', `${base}/backup-sets/${set.id}/objects?name=before`, data);
      expect(response.status).toBe(201);
      objects.push({ id: ((await response.json()) as { id: string }).id, backupSetId: set.id, data });
    }
    expect(objects.length).toBe(4);
  });

  it('refuses a verification with nothing to verify', async () => {
    const start = await admin.json<{ error: { code: string; message: string } }>(
      'POST',
      `${base}/key-management/tenants/verify`,
      { kind: 'microsoft365', tenantId: '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a01' },
    );
    expect(start.status).toBe(409);
    expect(start.body.error.code).toBe('CONFLICT');
    expect(start.body.error.message).toMatch(/^No tenant verification is needed now/);
  });

  it('tests and saves the four values', async () => {
    const setup = await admin.json<{
      externalId: string;
      platformPrincipalArn: string;
      setupCommand: string;
    }>('GET', `${base}/key-management/aws-kms/setup`);
    expect(setup.body.platformPrincipalArn).toBe(sandbox.config.aws.platform.principalArn);
    expect(setup.body.setupCommand).toContain(`--external-id ${setup.body.externalId}`);

    const customer = await createCustomerKeyAndRole(
      sandbox.config,
      setup.body.externalId,
      'CyberSentriqKmsRole',
    );
    keyArn = customer.keyArn;
    customerKms = customer.kms;
    const request = {
      providerType: 'aws-kms',
      config: { roleArn: customer.roleArn, externalId: setup.body.externalId, region: 'us-east-1', keyArn },
    };

    const wrongId = await admin.json<{ ok: boolean; error: { code: string; fix: string } }>(
      'POST',
      `${base}/key-management/test`,
      {
        ...request,
        config: { ...request.config, externalId: crypto.randomUUID() },
      },
    );
    expect(wrongId.body.ok).toBe(false);
    expect(wrongId.body.error.code).toBe('ROLE_ACCESS_DENIED');

    const test = await admin.json<{ ok: boolean; steps: Array<{ status: string }> }>(
      'POST',
      `${base}/key-management/test`,
      request,
    );
    expect(test.body.ok).toBe(true);
    expect(test.body.steps.every((step) => step.status === 'passed')).toBe(true);

    const save = await admin.json<{ ok: boolean; switch: { state: string; tenantsTotal: number } }>(
      'POST',
      `${base}/key-management/save`,
      request,
    );
    expect(save.body.ok).toBe(true);
    expect(save.body.switch).toMatchObject({ state: 'pending', tenantsTotal: 3, tenantsVerified: 0 });
  });

  it('refuses a plain user, a Cloud Application Administrator and a cancelled consent', async () => {
    const tenantId = '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a01';
    const plain = await verify('microsoft365', tenantId, entraUser(tenantId, 'user'));
    expect(plain.searchParams.get('result')).toBe('refused');
    expect((await tenants()).find((t) => t.tenantId === tenantId)).toMatchObject({
      status: 'refused',
      reason: 'not a Global Administrator or Privileged Role Administrator',
    });

    const appAdmin = await verify('microsoft365', tenantId, entraUser(tenantId, 'cloud_application_admin'));
    expect(appAdmin.searchParams.get('result')).toBe('refused');

    const cancelled = await verify('microsoft365', tenantId, entraUser(tenantId, 'global_admin'), 'cancel');
    expect(cancelled.searchParams.get('reason')).toBe('consent cancelled');
  });

  it('refuses an admin of another tenant', async () => {
    const tenantId = '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a02';
    const other = entraUser('6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a03', 'global_admin');
    // The other tenant's user is unknown at this tenant's sign-in page, as in Entra.
    await expect(verify('microsoft365', tenantId, other)).rejects.toThrow(/not found|AADSTS50034/i);
  });

  it('refuses a Google delegated admin', async () => {
    const refused = await verify('google_workspace', 'C03az79cb', googleUser('C03az79cb', 'delegated_admin'));
    expect(refused.searchParams.get('reason')).toBe('delegated admin, not super admin');
    const plain = await verify('google_workspace', 'C03az79cb', googleUser('C03az79cb', 'user'));
    expect(plain.searchParams.get('result')).toBe('refused');
  });

  it('finishes by itself once every tenant is verified by a qualified admin', async () => {
    await verify(
      'microsoft365',
      '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a01',
      entraUser('6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a01', 'global_admin'),
    );
    await verify(
      'microsoft365',
      '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a02',
      entraUser('6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a02', 'privileged_role_admin'),
    );
    const last = await verify('google_workspace', 'C03az79cb', googleUser('C03az79cb', 'super_admin'));
    expect(last.searchParams.get('result')).toBe('verified');

    let overview: { provider: { type: string }; status: string } | undefined;
    for (let i = 0; i < 100; i++) {
      overview = (await admin.json<typeof overview & object>('GET', `${base}/key-management`)).body;
      if (overview?.status === 'active') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(overview).toMatchObject({ status: 'active', provider: { type: 'aws-kms', label: 'AWS KMS' } });

    const keys = (
      await admin.json<{ versions: Array<{ providerType: string; providerKeyId: string }> }>(
        'GET',
        `${base}/keys`,
      )
    ).body;
    expect(
      keys.versions.every(
        (version) => version.providerType === 'aws-kms' && version.providerKeyId === keyArn,
      ),
    ).toBe(true);
  });

  it('restores every backup object byte for byte', async () => {
    for (const object of objects) {
      const response = await admin.request(
        'GET',
        `${base}/backup-sets/${object.backupSetId}/objects/${object.id}/content`,
      );
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(object.data)).toBe(true);
    }
  });

  it('stops downloads when the customer disables the key, and resumes when enabled', async () => {
    const object = objects[0]!;
    const download = () =>
      admin.request('GET', `${base}/backup-sets/${object.backupSetId}/objects/${object.id}/content`);
    await customerKms.send(new DisableKeyCommand({ KeyId: keyArn }));
    // The key cache keeps unwrapped keys for at most 2 s here.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const refused = await download();
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('KEY_DISABLED');

    await customerKms.send(new EnableKeyCommand({ KeyId: keyArn }));
    const restored = await download();
    expect(restored.status).toBe(200);
    expect(Buffer.from(await restored.arrayBuffer()).equals(object.data)).toBe(true);
  });

  it('exports the company key once, and the file decrypts to every version', async () => {
    const credentials = demoCredentials(server.dataDir).users.find(
      (user) => user.email === 'admin@contoso.example',
    )!;
    const passphrase = 'correct horse battery staple';
    const wrongPassword = await admin.json('POST', `${base}/key-management/export`, {
      password: 'nope',
      passphrase,
    });
    expect(wrongPassword.status).toBe(401);

    const response = await admin.request('POST', `${base}/key-management/export`, {
      password: credentials.password,
      passphrase,
    });
    expect(response.status).toBe(200);
    const file = path.join(server.dataDir, 'export.rkx');
    fs.writeFileSync(file, Buffer.from(await response.arrayBuffer()));

    const second = await admin.json<{ error: { code: string } }>('POST', `${base}/key-management/export`, {
      password: credentials.password,
      passphrase,
    });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('EXPORT_NOT_AVAILABLE');
    const afterExport = await admin.json<{ export: { available: boolean; reverify: boolean } }>(
      'GET',
      `${base}/key-management`,
    );
    expect(afterExport.body.export).toMatchObject({ available: false, reverify: true });

    const decrypted = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(repositoryRoot, 'server', 'src', 'cli.ts'),
        'export',
        'decrypt',
        file,
        '--passphrase-stdin',
      ],
      {
        input: `${passphrase}\n`,
        encoding: 'utf8',
        env: { ...process.env, REDAPP_DATA_DIR: server.dataDir },
      },
    );
    expect(decrypted.stderr).toBe('');
    const exported = JSON.parse(decrypted.stdout) as { companyId: string; keys: Array<{ version: number }> };
    expect(exported.companyId).toBe(contoso);
    expect(exported.keys.map((key) => key.version)).toEqual([1, 2]);
  });

  it('records the journey in a verifiable audit log', async () => {
    const events = (
      await admin.json<{ events: Array<{ action: string }> }>('GET', `${base}/audit-events?limit=100`)
    ).body.events;
    const actions = events.map((event) => event.action);
    for (const action of [
      'connection.tested',
      'switch.saved',
      'tenant.refused',
      'tenant.verified',
      'switch.finished',
      'company_key.exported',
    ]) {
      expect(actions).toContain(action);
    }
  });
});

describe('switch again: to another AWS KMS key, then back to CyberSentriq-managed', () => {
  async function waitForProvider(type: string) {
    for (let i = 0; i < 100; i++) {
      const overview = (
        await admin.json<{ status: string; provider: { type: string } }>('GET', `${base}/key-management`)
      ).body;
      if (overview.status === 'active' && overview.provider.type === type) return overview;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`the company did not reach provider ${type}`);
  }

  async function verifyAll() {
    await verify(
      'microsoft365',
      '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a01',
      entraUser('6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a01', 'global_admin'),
    );
    await verify(
      'microsoft365',
      '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a02',
      entraUser('6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a02', 'global_admin'),
    );
    await verify('google_workspace', 'C03az79cb', googleUser('C03az79cb', 'super_admin'));
  }

  it('switches to a second key, gated by a new tenant', async () => {
    const setup = (await admin.json<{ externalId: string }>('GET', `${base}/key-management/aws-kms/setup`))
      .body;
    const second = await createCustomerKeyAndRole(sandbox.config, setup.externalId, 'CyberSentriqKmsRole2');
    const save = await admin.json<{ ok: boolean }>('POST', `${base}/key-management/save`, {
      providerType: 'aws-kms',
      config: {
        roleArn: second.roleArn,
        externalId: setup.externalId,
        region: 'us-east-1',
        keyArn: second.keyArn,
      },
    });
    expect(save.body.ok).toBe(true);

    // A new tenant appears through a new backup set while the switch is pending.
    const newTenant = crypto.randomUUID();
    const added = await fetch(`${sandbox.config.identity.adminEndpoint}/tenants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'microsoft365', tenantId: newTenant, domain: 'new.contoso.example' }),
    });
    const addedBody = (await added.json()) as {
      users: Array<{ username: string; password: string; role: string }>;
    };
    const created = await admin.json('POST', `${base}/backup-sets`, {
      kind: 'microsoft365',
      tenantId: newTenant,
      primaryDomain: 'new.contoso.example',
      name: 'New subsidiary',
    });
    expect(created.status).toBe(201);

    await verifyAll();
    expect((await tenants()).find((t) => t.tenantId === newTenant)?.status).toBe('unverified');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await admin.json<{ status: string }>('GET', `${base}/key-management`)).body.status).toBe(
      'switching',
    );

    const globalAdmin = addedBody.users.find((user) => user.role === 'global_admin')!;
    await verify('microsoft365', newTenant, globalAdmin);
    await waitForProvider('aws-kms');
    const keys = (await admin.json<{ versions: Array<{ providerKeyId: string }> }>('GET', `${base}/keys`))
      .body;
    expect(keys.versions.every((version) => version.providerKeyId === second.keyArn)).toBe(true);
  });

  it('switches back to CyberSentriq-managed', async () => {
    const save = await admin.json<{ ok: boolean; switch: { tenantsTotal: number } }>(
      'POST',
      `${base}/key-management/save`,
      {
        providerType: 'cybersentriq',
        config: {},
      },
    );
    expect(save.body.ok).toBe(true);
    expect(save.body.switch.tenantsTotal).toBe(4);
    expect((await admin.json<{ status: string }>('GET', `${base}/key-management`)).body.status).toBe(
      'switching',
    );

    await verifyAll();
    const newTenant = (await tenants()).find((t) => t.status === 'unverified')!;
    const tenantUsers = (await (await fetch(`${sandbox.config.identity.adminEndpoint}/tenants`)).json()) as {
      entra: Array<{ tenantId: string; users: Array<{ username: string; password: string; role: string }> }>;
    };
    const admin4 = tenantUsers.entra
      .find((t) => t.tenantId === newTenant.tenantId)!
      .users.find((u) => u.role === 'global_admin')!;
    await verify('microsoft365', newTenant.tenantId, admin4);
    await waitForProvider('cybersentriq');

    for (const object of objects) {
      const response = await admin.request(
        'GET',
        `${base}/backup-sets/${object.backupSetId}/objects/${object.id}/content`,
      );
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(object.data)).toBe(true);
    }
  });
});
