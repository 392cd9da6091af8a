import net from 'node:net';
import { CreateGrantCommand } from '@aws-sdk/client-kms';
import cookie from '@fastify/cookie';
import Fastify from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findCompany, insertCompany, insertPartner } from '../../src/companies/companies-dal.js';
import type { Principal } from '../../src/http/access.js';
import { installAccessControl } from '../../src/http/access-control.js';
import { installErrorHandler } from '../../src/http/error-handler.js';
import { awsKeyHealthProbe } from '../../src/key-health/aws-key-probe.js';
import { KeyHealthChecker } from '../../src/key-health/key-health-checker.js';
import { recordObservation } from '../../src/key-health/key-health-dal.js';
import { registerKeyHealthRoutes } from '../../src/key-health/key-health-routes.js';
import type { AwsPlatformSettings } from '../../src/providers/aws-kms/aws-clients.js';
import type { AwsKmsConfig } from '../../src/providers/aws-kms/aws-kms-config.js';
import { CustomerAccount } from '../support/customer-aws.js';
import { type RunningSandbox, startSandbox } from '../support/sandbox-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { capturedLogger, leakedSecrets, sandboxSecrets } from './log-capture.js';

let sandbox: RunningSandbox;
let customer: CustomerAccount;
let settings: AwsPlatformSettings;
let database: TestDatabase;
let partnerId: string;
const logs = capturedLogger();
const externalIds: string[] = [];
let roleCount = 0;

beforeAll(async () => {
  sandbox = await startSandbox();
  customer = new CustomerAccount(sandbox.config);
  const platform = sandbox.config.aws.platform;
  settings = {
    endpoint: sandbox.config.aws.endpoint,
    credentials: { accessKeyId: platform.accessKeyId, secretAccessKey: platform.secretAccessKey },
    maxAttempts: 1,
  };
  database = await createTestDatabase();
  partnerId = await insertPartner(database.db, 'Partner');
});
afterAll(async () => {
  await database?.close();
  await sandbox?.stop();
});

interface CompanyOnAws {
  companyId: string;
  config: AwsKmsConfig;
  roleName: string;
}

/** Creates a key and role as the setup script does, and a company already on that key. */
async function companyOnAws(): Promise<CompanyOnAws> {
  const externalId = crypto.randomUUID();
  externalIds.push(externalId);
  const keyArn = await customer.createKey();
  const roleName = `KeyHealthRole${++roleCount}`;
  const roleArn = await customer.createRole(roleName, keyArn, { externalId });
  const config = { roleArn, externalId, region: sandbox.config.aws.region, keyArn };

  const companyId = await insertCompany(database.db, partnerId, `Company ${roleCount}`);
  await database.db
    .updateTable('companies')
    .set({ provider_type: 'aws-kms', provider_config: JSON.stringify(config) })
    .where('id', '=', companyId)
    .execute();
  return { companyId, config, roleName };
}

function checker(overrides: Partial<AwsPlatformSettings> = {}): KeyHealthChecker {
  return new KeyHealthChecker({
    db: database.db,
    probes: new Map([['aws-kms', awsKeyHealthProbe({ ...settings, ...overrides })]]),
    intervalSeconds: 300,
    logger: logs.logger,
  });
}

/** Makes the company due now, as if its interval had passed. */
async function makeDue(companyId: string): Promise<void> {
  await database.db
    .updateTable('key_health')
    .set({ next_check_at: new Date(Date.now() - 1000) })
    .where('company_id', '=', companyId)
    .execute();
}

/** Runs a check of the company now and returns its stored row. */
async function check(companyId: string, healthChecker = checker()) {
  await makeDue(companyId);
  await healthChecker.checkDue();
  return database.db
    .selectFrom('key_health')
    .selectAll()
    .where('company_id', '=', companyId)
    .executeTakeFirstOrThrow();
}

function healthAuditEvents(companyId: string) {
  return database.db
    .selectFrom('audit_events')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('action', '=', 'key_health.changed')
    .orderBy('sequence')
    .execute();
}

/** Returns a port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeEach(async () => {
  // Every test starts from companies that are not due, so one test's pass checks only its company.
  await database.db
    .updateTable('key_health')
    .set({ next_check_at: new Date(Date.now() + 3_600_000) })
    .execute();
});

describe('key health check', () => {
  it('reports ok and stores a test ciphertext', async () => {
    const { companyId } = await companyOnAws();
    const row = await check(companyId);
    expect(row.state).toBe('ok');
    expect(row.unknown_grants).toBe(0);
    expect(row.next_check_at.getTime()).toBeGreaterThan(Date.now() + 250_000);

    const company = await database.db
      .selectFrom('companies')
      .select('health_ciphertext')
      .where('id', '=', companyId)
      .executeTakeFirstOrThrow();
    expect(company.health_ciphertext?.length).toBeGreaterThan(0);

    // The second check decrypts the stored ciphertext instead of making a new one.
    expect((await check(companyId)).state).toBe('ok');
    const after = await database.db
      .selectFrom('companies')
      .select('health_ciphertext')
      .where('id', '=', companyId)
      .executeTakeFirstOrThrow();
    expect(Buffer.from(after.health_ciphertext!).equals(Buffer.from(company.health_ciphertext!))).toBe(true);
  });

  it('reports a disabled key as key_disabled', async () => {
    const { companyId, config } = await companyOnAws();
    await customer.disableKey(config.keyArn);
    const row = await check(companyId);
    expect(row.state).toBe('key_disabled');
    expect(row.message).toMatch(/^The KMS key is disabled/);
  });

  it('reports a key pending deletion with its date', async () => {
    const { companyId, config } = await companyOnAws();
    await customer.scheduleDeletion(config.keyArn, 7);
    const row = await check(companyId);
    expect(row.state).toBe('key_pending_deletion');
    const expected = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    expect(row.deletion_date?.toISOString().slice(0, 10)).toBe(expected);
    expect(row.message).toContain(expected);
  });

  it('reports a trust policy without the platform as access_denied', async () => {
    const { companyId, roleName, config } = await companyOnAws();
    expect((await check(companyId)).state).toBe('ok');

    await customer.setTrust(
      roleName,
      customer.trustPolicy(config.externalId, sandbox.config.aws.customerAdmin.principalArn),
    );
    const row = await check(companyId);
    expect(row.state).toBe('access_denied');
    expect(row.message).toMatch(/^Access denied/);
  });

  it('reports a removed role policy as access_denied', async () => {
    const { companyId, roleName } = await companyOnAws();
    await customer.removeRolePolicy(roleName);
    const row = await check(companyId);
    expect(row.state).toBe('access_denied');
    expect(row.message).toContain('kms:DescribeKey');
  });

  it('reports an endpoint that refuses connections as unreachable', async () => {
    const { companyId } = await companyOnAws();
    const row = await check(companyId, checker({ endpoint: `http://127.0.0.1:${await closedPort()}` }));
    expect(row.state).toBe('unreachable');
  });

  it('replaces a test ciphertext of another key', async () => {
    const first = await companyOnAws();
    const second = await companyOnAws();
    await check(first.companyId);
    const foreign = await database.db
      .selectFrom('companies')
      .select('health_ciphertext')
      .where('id', '=', first.companyId)
      .executeTakeFirstOrThrow();
    await database.db
      .updateTable('companies')
      .set({ health_ciphertext: Buffer.from(foreign.health_ciphertext!) })
      .where('id', '=', second.companyId)
      .execute();

    expect((await check(second.companyId)).state).toBe('ok');
    const replaced = await database.db
      .selectFrom('companies')
      .select('health_ciphertext')
      .where('id', '=', second.companyId)
      .executeTakeFirstOrThrow();
    expect(Buffer.from(replaced.health_ciphertext!).equals(Buffer.from(foreign.health_ciphertext!))).toBe(
      false,
    );
  });

  it('counts grants to other principals', async () => {
    const { companyId, config } = await companyOnAws();
    expect((await check(companyId)).unknown_grants).toBe(0);

    await customer.kms.send(
      new CreateGrantCommand({
        KeyId: config.keyArn,
        GranteePrincipal: sandbox.config.aws.customerReadOnly.principalArn,
        Operations: ['Decrypt'],
      }),
    );
    const row = await check(companyId);
    expect(row.state).toBe('ok');
    expect(row.unknown_grants).toBe(1);
  });
});

describe('key health claim', () => {
  it('lets one of two checkers check a due company', async () => {
    const { companyId } = await companyOnAws();
    const counts = await Promise.all([checker().checkDue(), checker().checkDue()]);
    expect(counts.sort()).toEqual([0, 1]);

    // Not due again within the interval.
    expect(await checker().checkDue()).toBe(0);

    // Negative control: once due, it is checked again.
    await makeDue(companyId);
    expect(await checker().checkDue()).toBe(1);
  });

  it('skips companies not on AWS KMS', async () => {
    const companyId = await insertCompany(database.db, partnerId, 'Company on CyberSentriq');
    expect(await checker().checkDue()).toBe(0);
    const row = await database.db
      .selectFrom('key_health')
      .select('state')
      .where('company_id', '=', companyId)
      .executeTakeFirst();
    expect(row).toBeUndefined();
  });
});

describe('key health record', () => {
  it('drops a result for a company that switched during the check', async () => {
    const { companyId, config } = await companyOnAws();
    await check(companyId);
    const before = await healthAuditEvents(companyId);

    const outcome = await recordObservation(database.db, {
      companyId,
      providerSince: new Date(Date.now() - 86_400_000),
      providerType: 'aws-kms',
      providerKeyId: config.keyArn,
      storedCiphertext: null,
      observation: { state: 'key_disabled', message: 'stale', deletionDate: null, unknownGrants: undefined },
      intervalSeconds: 300,
    });
    expect(outcome.recorded).toBe(false);
    const row = await database.db
      .selectFrom('key_health')
      .select('state')
      .where('company_id', '=', companyId)
      .executeTakeFirstOrThrow();
    expect(row.state).toBe('ok');
    expect(await healthAuditEvents(companyId)).toHaveLength(before.length);
  });
});

describe('key health audit', () => {
  it('records an event only when the state changes', async () => {
    const { companyId, config } = await companyOnAws();
    await check(companyId);
    const first = await healthAuditEvents(companyId);
    expect(first).toHaveLength(1);
    expect(first[0]!.details).toMatchObject({ previousState: 'unknown', state: 'ok' });
    expect(first[0]!.actor).toBe('system:key-health');

    await check(companyId);
    expect(await healthAuditEvents(companyId)).toHaveLength(1);

    await customer.disableKey(config.keyArn);
    await check(companyId);
    await check(companyId);
    const events = await healthAuditEvents(companyId);
    expect(events).toHaveLength(2);
    expect(events[1]!.details).toMatchObject({
      previousState: 'ok',
      state: 'key_disabled',
      code: 'KEY_DISABLED',
    });
    expect(events[1]!.outcome).toBe('failure');

    await customer.enableKey(config.keyArn);
    await check(companyId);
    expect(await healthAuditEvents(companyId)).toHaveLength(3);
  });

  it('keeps the External ID out of audit details', async () => {
    const { companyId, config } = await companyOnAws();
    await check(companyId);
    const events = await healthAuditEvents(companyId);
    expect(JSON.stringify(events)).not.toContain(config.externalId);
  });
});

describe('key health checker timer', () => {
  it('brings checks forward to a shorter interval', async () => {
    const { companyId } = await companyOnAws();
    await check(companyId);
    const nextCheck = async () =>
      new Date(
        (
          await database.db
            .selectFrom('key_health')
            .select('next_check_at')
            .where('company_id', '=', companyId)
            .executeTakeFirstOrThrow()
        ).next_check_at,
      ).getTime();
    expect(await nextCheck()).toBeGreaterThan(Date.now() + 250_000);

    const shorter = new KeyHealthChecker({
      db: database.db,
      probes: new Map(),
      intervalSeconds: 60,
      logger: logs.logger,
    });
    shorter.start();
    await shorter.stop();
    // The database clock sets the new time, so the bound allows for a little skew; the old one was 300 s.
    await expect.poll(nextCheck).toBeLessThan(Date.now() + 90_000);
  });

  it('checks due companies after start and stops', async () => {
    const { companyId } = await companyOnAws();
    const timed = new KeyHealthChecker({
      db: database.db,
      probes: new Map([['aws-kms', awsKeyHealthProbe(settings)]]),
      intervalSeconds: 1,
      logger: logs.logger,
    });
    timed.start();
    const deadline = Date.now() + 10_000;
    let state: string | undefined;
    while (Date.now() < deadline && state !== 'ok') {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = (
        await database.db
          .selectFrom('key_health')
          .select('state')
          .where('company_id', '=', companyId)
          .executeTakeFirst()
      )?.state;
    }
    await timed.stop();
    expect(state).toBe('ok');
  });
});

describe('key health route', () => {
  it('returns the recorded state to a reader of the company', async () => {
    const { companyId, config } = await companyOnAws();
    await customer.disableKey(config.keyArn);
    await check(companyId);

    const viewer: Principal = {
      userId: crypto.randomUUID(),
      email: 'viewer@example.com',
      displayName: '',
      role: 'company_viewer',
      partnerId,
      companyId,
      sessionIdHash: 'hash',
      csrfToken: 'csrf',
    };
    const partnerAdmin: Principal = { ...viewer, role: 'partner_admin', companyId: null };
    const sessions: Record<string, Principal> = { viewer, partnerAdmin };
    const app = Fastify({ logger: false });
    installErrorHandler(app);
    await app.register(cookie);
    installAccessControl(app, {
      findSession: async (value) => sessions[value],
      findCompany: async (id) => {
        const company = await findCompany(database.db, id);
        return company && { id: company.id, partnerId: company.partnerId };
      },
    });
    registerKeyHealthRoutes(app, database.db);
    await app.ready();
    const read = (id: string, session?: string) =>
      app.inject({
        method: 'GET',
        url: `/api/companies/${id}/key-health`,
        ...(session ? { cookies: { redapp_session: session } } : {}),
      });

    const response = await read(companyId, 'viewer');
    expect(response.statusCode).toBe(200);
    expect(response.json().keyHealth).toMatchObject({ state: 'key_disabled', unknownGrants: 0 });

    expect((await read(companyId)).statusCode).toBe(401);

    const unchecked = await insertCompany(database.db, partnerId, 'Unchecked');
    // Another company is not found for a Company Viewer, so its existence is not revealed.
    expect((await read(unchecked, 'viewer')).statusCode).toBe(404);

    const beforeFirstCheck = await read(unchecked, 'partnerAdmin');
    expect(beforeFirstCheck.statusCode).toBe(200);
    expect(beforeFirstCheck.json()).toEqual({ companyId: unchecked, keyHealth: null });
    await app.close();
  });
});

describe('key health logs', () => {
  it('contain no secret, session token, External ID or key material', () => {
    const output = logs.output();
    // Negative control: the checks above did log, including their caught errors.
    expect(output).toContain('key health changed');
    expect(output).toContain('"err"');

    const secrets = sandboxSecrets(sandbox.stateDir);
    expect(secrets.length).toBeGreaterThan(10);
    expect(leakedSecrets(output, secrets)).toEqual([]);
    expect(leakedSecrets(output, externalIds)).toEqual([]);
  });
});
