import type { LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { insertCompany } from '../../src/companies/companies-dal.js';
import { loggerOptions } from '../../src/logging/logger.js';
import type { AwsKmsConfig } from '../../src/providers/aws-kms/aws-kms-config.js';
import { findSwitch } from '../../src/switch/switch-dal.js';
import { capturedLogger } from '../key-health/log-capture.js';
import { CustomerAccount } from '../support/customer-aws.js';
import { authHeaders, createFixture, type Fixture, type SignedIn, signIn } from '../support/fixtures.js';
import { type RunningSandbox, startSandbox } from '../support/sandbox-process.js';
import { FaultProxy } from './fault-proxy.js';

/** The key cache maximum age of these tests: the bound on how long a revoked key keeps working. */
export const cacheMaxAgeMs = 2_000;

/**
 * A running system for revocation tests: the sandbox behind a fault proxy, the API with a short key
 * cache maximum age and its pino output captured, and a Partner Admin session.
 */
export interface RevocationWorld {
  sandbox: RunningSandbox;
  proxy: FaultProxy;
  customer: CustomerAccount;
  fixture: Fixture;
  app: Awaited<ReturnType<typeof buildApp>>;
  admin: SignedIn;
  logOutput: () => string;
  externalIds: string[];
  close(): Promise<void>;
}

export async function startWorld(): Promise<RevocationWorld> {
  const sandbox = await startSandbox();
  const proxy = new FaultProxy(sandbox.config.aws.endpoint);
  await proxy.start();
  const platform = sandbox.config.aws.platform;
  const fixture = await createFixture({
    keyCacheMaxAgeSeconds: cacheMaxAgeMs / 1000,
    awsEndpoint: proxy.url,
    platformAwsCredentials: { accessKeyId: platform.accessKeyId, secretAccessKey: platform.secretAccessKey },
    platformPrincipalArn: platform.principalArn,
  });
  const logs = capturedLogger();
  const app = await buildApp({
    config: fixture.config,
    db: fixture.database.db,
    logger: { ...loggerOptions('debug'), stream: logs.stream } as ReturnType<typeof loggerOptions>,
  });
  const admin = await signIn(app.server, fixture.users.partnerAdmin);

  return {
    sandbox,
    proxy,
    customer: new CustomerAccount(sandbox.config),
    fixture,
    app,
    admin,
    logOutput: logs.output,
    externalIds: [],
    close: async () => {
      await app.server.close();
      await fixture.close();
      await proxy.stop();
      await sandbox.stop();
    },
  };
}

export interface CompanyOnAws {
  companyId: string;
  backupSetId: string;
  objectId: string;
  config: AwsKmsConfig;
  roleName: string;
}

let companyCount = 0;

/**
 * Creates a company and switches it to a fresh AWS KMS key through SwitchService (it has no backup
 * sets, so its switch finishes right after Save), then adds a backup set and one object through the API.
 */
export async function companyOnAws(world: RevocationWorld): Promise<CompanyOnAws> {
  const { customer, fixture, app } = world;
  const db = fixture.database.db;
  const label = `revocation-${++companyCount}-${process.pid}`;

  const externalId = crypto.randomUUID();
  world.externalIds.push(externalId);
  const keyArn = await customer.createKey();
  const roleName = `Role-${label}`;
  const roleArn = await customer.createRole(roleName, keyArn, { externalId });
  const config = { roleArn, externalId, region: world.sandbox.config.aws.region, keyArn };

  const companyId = await insertCompany(db, fixture.partners.a, `Company ${label}`);
  const started = await app.services.switches.start(
    companyId,
    { type: 'aws-kms', config: { ...config } },
    { userId: null, label: 'test:revocation' },
  );
  const deadline = Date.now() + 15_000;
  for (;;) {
    const state = (await findSwitch(db, started.id))?.state;
    if (state === 'finished') break;
    if (Date.now() > deadline) throw new Error(`The switch of ${companyId} is still ${state} after 15 s.`);
    await sleep(50);
  }

  const created = await app.server.inject({
    method: 'POST',
    url: `/api/companies/${companyId}/backup-sets`,
    headers: authHeaders(world.admin),
    payload: {
      kind: 'microsoft365',
      tenantId: crypto.randomUUID(),
      primaryDomain: `${label}.example`,
      name: `Backups of ${label}`,
    },
  });
  if (created.statusCode !== 201) throw new Error(`Creating a backup set failed: ${created.body}`);
  const backupSetId = created.json().id as string;

  const company = { companyId, backupSetId, objectId: '', config, roleName };
  const uploaded = await upload(world, company);
  if (uploaded.statusCode !== 201) throw new Error(`The first upload failed: ${uploaded.body}`);
  company.objectId = uploaded.json().id;
  return company;
}

export function upload(world: RevocationWorld, company: CompanyOnAws): Promise<LightMyRequestResponse> {
  return world.app.server.inject({
    method: 'POST',
    url: `/api/companies/${company.companyId}/backup-sets/${company.backupSetId}/objects?name=data`,
    headers: { ...authHeaders(world.admin), 'content-type': 'application/octet-stream' },
    payload: Buffer.from(`backup data of ${company.companyId}`),
  });
}

export function download(world: RevocationWorld, company: CompanyOnAws): Promise<LightMyRequestResponse> {
  return world.app.server.inject({
    method: 'GET',
    url: `/api/companies/${company.companyId}/backup-sets/${company.backupSetId}/objects/${company.objectId}/content`,
    headers: authHeaders(world.admin),
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Waits until the cached company key has expired, so the next call unwraps with AWS KMS. */
export function waitForCacheExpiry(since = Date.now()): Promise<void> {
  return sleep(since + cacheMaxAgeMs + 50 - Date.now());
}
