import type { Kysely } from 'kysely';
import pino from 'pino';
import { expect } from 'vitest';
import { appendAuditEvent } from '../../src/audit/audit-log.js';
import { insertBackupSet } from '../../src/backup-sets/backup-sets-dal.js';
import { insertCompany } from '../../src/companies/companies-dal.js';
import type { Database } from '../../src/db/schema.js';
import { listWrappedCompanyKeys } from '../../src/keys/company-keys-dal.js';
import { CompanyKeyCache } from '../../src/keys/key-cache.js';
import { findSwitch } from '../../src/switch/switch-dal.js';
import { SwitchService, type SwitchTarget } from '../../src/switch/switch-service.js';
import { CustomerAccount } from '../support/customer-aws.js';
import { authHeaders, createFixture, type Fixture, type SignedIn, signIn } from '../support/fixtures.js';
import { type RunningSandbox, startSandbox } from '../support/sandbox-process.js';

export const silentLogger = pino({ level: 'silent' });

/** The API and services on a test database, the AWS sandbox as the customer's account, and a Partner Admin session. */
export interface SwitchWorld {
  sandbox: RunningSandbox;
  customer: CustomerAccount;
  fixture: Fixture;
  admin: SignedIn;
  adminUserId: string;
  close(): Promise<void>;
}

export async function startSwitchWorld(): Promise<SwitchWorld> {
  const sandbox = await startSandbox();
  const platform = sandbox.config.aws.platform;
  const fixture = await createFixture({
    awsEndpoint: sandbox.config.aws.endpoint,
    platformAwsCredentials: { accessKeyId: platform.accessKeyId, secretAccessKey: platform.secretAccessKey },
    platformPrincipalArn: platform.principalArn,
  });
  const admin = await signIn(fixture.app, fixture.users.partnerAdmin);
  const user = await fixture.database.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', fixture.users.partnerAdmin)
    .executeTakeFirstOrThrow();
  return {
    sandbox,
    customer: new CustomerAccount(sandbox.config),
    fixture,
    admin,
    adminUserId: user.id,
    close: async () => {
      await fixture.close();
      await sandbox.stop();
    },
  };
}

export interface TestCompany {
  companyId: string;
  tenantIds: string[];
  objectIds: Array<{ backupSetId: string; objectId: string; data: Buffer }>;
}

let companyCount = 0;

/** Creates a company of partner A on the CyberSentriq-managed key with one backup set and one object per tenant. */
export async function createCompany(world: SwitchWorld, tenantCount: number): Promise<TestCompany> {
  const { db } = world.fixture.database;
  const label = `switch-${++companyCount}`;
  const companyId = await insertCompany(db, world.fixture.partners.a, `Company ${label}`);
  const company: TestCompany = { companyId, tenantIds: [], objectIds: [] };
  for (let index = 0; index < tenantCount; index++) {
    await addBackupSet(world, company, `${label}-${index}`);
  }
  return company;
}

/** Adds a backup set of a new Microsoft 365 tenant through the API, and stores one object in it. */
export async function addBackupSet(world: SwitchWorld, company: TestCompany, name: string): Promise<string> {
  const tenantId = crypto.randomUUID();
  const created = await world.fixture.app.inject({
    method: 'POST',
    url: `/api/companies/${company.companyId}/backup-sets`,
    headers: authHeaders(world.admin),
    payload: { kind: 'microsoft365', tenantId, primaryDomain: `${name}.example`, name },
  });
  if (created.statusCode !== 201) throw new Error(`Creating backup set ${name} failed: ${created.body}`);
  const backupSetId = created.json().id as string;
  company.tenantIds.push(tenantId);

  const data = Buffer.from(`backup data of ${name}`);
  const object = await world.fixture.services.backupObjects.upload(
    company.companyId,
    backupSetId,
    (async function* () {
      yield data;
    })(),
    'test',
  );
  company.objectIds.push({ backupSetId, objectId: object.id, data });
  return tenantId;
}

/** Inserts a backup set directly, without an object: the quickest way to add a tenant in a race. */
export async function insertTenant(db: Kysely<Database>, companyId: string): Promise<string> {
  const tenantId = crypto.randomUUID();
  await insertBackupSet(db, {
    companyId,
    kind: 'microsoft365',
    tenantId,
    primaryDomain: 'late.example',
    name: `Late ${tenantId}`,
  });
  return tenantId;
}

/** Creates a key and a role in the customer's account as the setup script does, trusting `externalId`. */
export async function awsTarget(
  world: SwitchWorld,
  externalId: string = crypto.randomUUID(),
): Promise<SwitchTarget> {
  const keyArn = await world.customer.createKey();
  const roleArn = await world.customer.createRole(`SwitchRole-${crypto.randomUUID().slice(0, 8)}`, keyArn, {
    externalId,
  });
  return {
    type: 'aws-kms',
    config: { roleArn, externalId, region: world.sandbox.config.aws.region, keyArn },
  };
}

/** Stores a successful verification of `tenantId` for the switch, as the verification callback does. */
export function markVerified(world: SwitchWorld, companyId: string, switchId: string, tenantId: string) {
  return storeVerification(world, companyId, switchId, tenantId, 'verified');
}

/** Stores a refused verification of `tenantId` for the switch (for example a plain user signed in). */
export function markRefused(world: SwitchWorld, companyId: string, switchId: string, tenantId: string) {
  return storeVerification(world, companyId, switchId, tenantId, 'refused');
}

async function storeVerification(
  world: SwitchWorld,
  companyId: string,
  switchId: string,
  tenantId: string,
  outcome: 'verified' | 'refused',
): Promise<void> {
  const { db } = world.fixture.database;
  await db
    .insertInto('tenant_verifications')
    .values({
      id: crypto.randomUUID(),
      company_id: companyId,
      switch_id: switchId,
      purpose: 'switch',
      kind: 'microsoft365',
      tenant_id: tenantId,
      outcome,
      reason: outcome === 'refused' ? 'not a Global Administrator or Privileged Role Administrator' : null,
      identity: 'admin@tenant.example',
      user_id: world.adminUserId,
    })
    .execute();
  await appendAuditEvent(db, {
    companyId,
    actor: { userId: world.adminUserId, label: 'test' },
    action: `tenant.${outcome}`,
    outcome: outcome === 'verified' ? 'success' : 'failure',
    summary: `Tenant ${tenantId} ${outcome}`,
    details: { switchId, tenantId },
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Builds another SwitchService on `db`, as another replica would run it, that retries transient failures at once. */
export function switchService(
  world: SwitchWorld,
  db: Kysely<Database> = world.fixture.database.db,
): SwitchService {
  return new SwitchService({
    db,
    providers: world.fixture.services.providers,
    cache: new CompanyKeyCache({ maxAgeMs: 0, maxEntries: 10 }),
    logger: silentLogger,
    retryDelayMs: () => 0,
  });
}

/**
 * Creates the pending switch as Save does, without the background finish attempt that Save starts:
 * that attempt would race the test's own steps.
 */
export function startSwitch(world: SwitchWorld, companyId: string, target: SwitchTarget) {
  return new SwitchServiceWithoutKick({
    db: world.fixture.database.db,
    providers: world.fixture.services.providers,
    cache: new CompanyKeyCache({ maxAgeMs: 0, maxEntries: 10 }),
    logger: silentLogger,
  }).start(companyId, target, { userId: null, label: 'test:switch' });
}

class SwitchServiceWithoutKick extends SwitchService {
  override kick(): void {}
}

export async function switchState(world: SwitchWorld, switchId: string) {
  return (await findSwitch(world.fixture.database.db, switchId))!;
}

export async function auditActions(world: SwitchWorld, companyId: string): Promise<string[]> {
  const rows = await world.fixture.database.db
    .selectFrom('audit_events')
    .select('action')
    .where('company_id', '=', companyId)
    .orderBy('sequence')
    .execute();
  return rows.map((row) => row.action);
}

/**
 * Checks the invariant of every switch: each backup key's company key version exists, and every
 * version is wrapped by `providerType` (under `providerKeyId` when given).
 */
export async function expectAllWrappedBy(
  world: SwitchWorld,
  companyId: string,
  providerType: string,
  providerKeyId?: string,
): Promise<number[]> {
  const { db } = world.fixture.database;
  const keys = await listWrappedCompanyKeys(db, companyId);
  const versions = keys.map((key) => key.context.companyKeyVersion);
  expect(keys.map((key) => key.providerType)).toEqual(keys.map(() => providerType));
  if (providerKeyId) expect(keys.map((key) => key.providerKeyId)).toEqual(keys.map(() => providerKeyId));

  const needed = await db
    .selectFrom('backup_keys')
    .select('company_key_version')
    .distinct()
    .where('company_id', '=', companyId)
    .execute();
  for (const { company_key_version } of needed) expect(versions).toContain(company_key_version);
  return versions;
}

/** Downloads every object of the company through the API and compares it byte for byte. */
export async function expectObjectsDownload(world: SwitchWorld, company: TestCompany): Promise<void> {
  world.fixture.services.keyCache.invalidateCompany(company.companyId);
  for (const object of company.objectIds) {
    const response = await world.fixture.app.inject({
      method: 'GET',
      url: `/api/companies/${company.companyId}/backup-sets/${object.backupSetId}/objects/${object.objectId}/content`,
      headers: authHeaders(world.admin),
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.rawPayload.equals(object.data)).toBe(true);
  }
}
