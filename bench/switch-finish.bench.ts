/**
 * Benchmark: finishing a provider switch for a company with 10 backup sets and for one with 100,000.
 * Finishing re-wraps each company key version once, so its cost should not grow with backup sets.
 * The target is a ratio of at most 1.2 between the two.
 *
 * Both companies have the same 3 company key versions and the same 5 Microsoft 365 tenants (all
 * verified); only the number of backup sets (and one backup key per set) differs. Each round runs
 * what the server runs when the last tenant is verified: the tenant check and the move to
 * 'finishing' in one statement, and `SwitchService.finish` (re-test the target, re-wrap every version, add a version,
 * commit). The switch goes from the CyberSentriq-managed key (local master key file) to an AWS KMS
 * key in the local AWS sandbox, started as a process. After each round the company's keys and
 * provider are restored from a snapshot, so every round does the same work.
 *
 * Run: npx tsx bench/switch-finish.bench.ts [--rounds N] [--backup-sets N]
 * The database is in-memory PGlite, or a fresh database on the PostgreSQL server at
 * REDAPP_BENCH_DATABASE_URL when that is set (dropped afterwards).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { insertCompany, insertPartner } from '../server/src/companies/companies-dal.js';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../server/src/db/database.js';
import type { Database } from '../server/src/db/schema.js';
import { CompanyKeyService } from '../server/src/keys/company-keys-service.js';
import { CompanyKeyCache } from '../server/src/keys/key-cache.js';
import { awsKmsProviderFactory } from '../server/src/providers/aws-kms/aws-kms-factory.js';
import { cybersentriqProviderFactory } from '../server/src/providers/cybersentriq/cybersentriq-provider.js';
import { ProviderRegistry } from '../server/src/providers/provider-registry.js';
import { findActiveSwitch, startFinishingIfAllVerified } from '../server/src/switch/switch-dal.js';
import { SwitchService, type SwitchTarget } from '../server/src/switch/switch-service.js';
import { CustomerAccount } from '../server/test/support/customer-aws.js';
import { startSandbox } from '../server/test/support/sandbox-process.js';

const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    'backup-sets': { type: 'string', default: '100000' },
  },
});
const rounds = Number(options.rounds);
const largeSetCount = Number(options['backup-sets']);
const smallSetCount = 10;
const tenantCount = 5;
const companyKeyVersions = 3;
const actor = { userId: null, label: 'bench' };
const logger = pino({ level: 'silent' });

/** Starts no background finish on Save, so each round times only the finish it starts itself. */
class SwitchServiceWithoutKick extends SwitchService {
  override kick(): void {}
}

interface BenchCompany {
  label: string;
  companyId: string;
  backupSets: number;
  tenantIds: string[];
  snapshot: {
    keys: Array<Record<string, unknown> & { context: unknown }>;
    providerType: string;
    providerConfig: unknown;
  };
  timings: Array<{ tenantList: number; move: number; finish: number; total: number }>;
}

async function openBenchDatabase(): Promise<DatabaseHandle & { description: string }> {
  const serverUrl = process.env.REDAPP_BENCH_DATABASE_URL;
  if (!serverUrl) {
    const handle = await openDatabase({});
    await migrateToLatest(handle.db);
    return { ...handle, description: 'PGlite in memory' };
  }

  const name = `redapp_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const version = (await admin.query('show server_version')).rows[0].server_version as string;
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: url.toString() });
  await migrateToLatest(handle.db);
  return {
    ...handle,
    description: `PostgreSQL ${version} at ${url.host}`,
    close: async () => {
      await handle.close();
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

/**
 * Creates a company with `backupSets` backup sets spread over the same tenants and one backup key
 * per set (random bytes: finishing never reads backup keys), inserted in bulk with SQL.
 */
async function createBenchCompany(
  db: Kysely<Database>,
  companyKeys: CompanyKeyService,
  partnerId: string,
  backupSets: number,
): Promise<BenchCompany> {
  const label = `${backupSets.toLocaleString('en-US')} backup sets`;
  const companyId = await insertCompany(db, partnerId, label);
  const tenantIds = Array.from({ length: tenantCount }, () => crypto.randomUUID());

  await sql`
    insert into backup_sets (id, company_id, kind, tenant_id, primary_domain, name)
    select gen_random_uuid(), ${companyId}, 'microsoft365',
           (${sql.val(tenantIds)}::text[])[1 + i % ${tenantCount}],
           'tenant' || (i % ${tenantCount}) || '.example', 'Backup set ' || i
    from generate_series(1, ${backupSets}) as i`.execute(db);

  // A rotation deletes older versions that no backup key needs, so each version gets its share of
  // backup keys before the next one is added.
  await companyKeys.ensureCompanyKey(companyId);
  for (let version = 1; version <= companyKeyVersions; version++) {
    if (version > 1) await companyKeys.rotate(companyId, actor);
    await sql`
      insert into backup_keys (backup_set_id, version, company_id, company_key_version, wrapped_key)
      select id, 1, company_id, ${version},
             decode(md5(id::text) || md5(name) || md5(id::text || name) || md5(name || id::text), 'hex')
      from (select id, company_id, name, row_number() over (order by id) as n
            from backup_sets where company_id = ${companyId}) as numbered
      where n % ${companyKeyVersions} = ${version - 1}`.execute(db);
  }
  await sql`analyze`.execute(db);

  const keys = await db.selectFrom('company_keys').selectAll().where('company_id', '=', companyId).execute();
  const company = await db
    .selectFrom('companies')
    .select(['provider_type', 'provider_config'])
    .where('id', '=', companyId)
    .executeTakeFirstOrThrow();
  return {
    label,
    companyId,
    backupSets,
    tenantIds,
    snapshot: { keys, providerType: company.provider_type, providerConfig: company.provider_config },
    timings: [],
  };
}

/** Restores the company to the CyberSentriq-managed key with its original versions and Saves a new switch. */
async function prepareRound(
  db: Kysely<Database>,
  service: SwitchService,
  company: BenchCompany,
  target: SwitchTarget,
) {
  await db.transaction().execute(async (trx) => {
    // Backup keys reference the versions, so the original rows are updated back, not re-inserted.
    const versions = company.snapshot.keys.map((key) => key.version as number);
    await trx
      .deleteFrom('company_keys')
      .where('company_id', '=', company.companyId)
      .where('version', 'not in', versions)
      .execute();
    for (const key of company.snapshot.keys) {
      await trx
        .updateTable('company_keys')
        .set({
          provider_type: key.provider_type as string,
          provider_key_id: key.provider_key_id as string,
          mechanism: key.mechanism as string,
          format_version: key.format_version as number,
          ciphertext: key.ciphertext as Buffer,
          context: JSON.stringify(key.context),
        })
        .where('company_id', '=', company.companyId)
        .where('version', '=', key.version as number)
        .execute();
    }
    await trx
      .updateTable('companies')
      .set({
        provider_type: company.snapshot.providerType,
        provider_config: JSON.stringify(company.snapshot.providerConfig),
      })
      .where('id', '=', company.companyId)
      .execute();
  });

  const started = await service.start(company.companyId, target, actor);
  for (const tenantId of company.tenantIds) {
    await db
      .insertInto('tenant_verifications')
      .values({
        id: crypto.randomUUID(),
        company_id: company.companyId,
        switch_id: started.id,
        purpose: 'switch',
        kind: 'microsoft365',
        tenant_id: tenantId,
        outcome: 'verified',
        reason: null,
        identity: 'admin@tenant.example',
        user_id: crypto.randomUUID(),
      })
      .execute();
  }
  return started.id;
}

/**
 * Runs the steps of SwitchService.tryFinish once the last tenant is verified (find the pending
 * switch, check the tenants and move it to finishing in one statement, finish), timing each. The
 * tenant list the console shows is timed on its own, outside the total: finishing does not read it.
 */
async function timeFinish(
  db: Kysely<Database>,
  service: SwitchService,
  company: BenchCompany,
  switchId: string,
) {
  const listStart = performance.now();
  const tenants = await service.tenantStatuses(company.companyId, switchId);
  const tenantList = performance.now() - listStart;
  if (tenants.length !== tenantCount || tenants.some((tenant) => tenant.status !== 'verified')) {
    throw new Error(`${company.label}: expected ${tenantCount} verified tenants, got ${tenants.length}`);
  }

  const start = performance.now();
  const active = await findActiveSwitch(db, company.companyId);
  if (active?.id !== switchId) throw new Error(`${company.label}: the pending switch is not ${switchId}`);
  if (!(await startFinishingIfAllVerified(db, switchId))) {
    throw new Error(`${company.label}: switch did not start finishing`);
  }
  const moved = performance.now();
  if (!(await service.finish(switchId))) throw new Error(`${company.label}: finish failed`);
  const end = performance.now();

  const versions = await db
    .selectFrom('company_keys')
    .select(['provider_type'])
    .where('company_id', '=', company.companyId)
    .execute();
  if (versions.length !== companyKeyVersions + 1 || versions.some((row) => row.provider_type !== 'aws-kms')) {
    throw new Error(`${company.label}: unexpected company keys after finish: ${JSON.stringify(versions)}`);
  }
  return { tenantList, move: moved - start, finish: end - moved, total: end - start };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const keysDir = fs.mkdtempSync(path.join(tmpdir(), 'redapp-bench-keys-'));
  const sandbox = await startSandbox();
  const database = await openBenchDatabase();
  try {
    const { db } = database;
    const platform = sandbox.config.aws.platform;
    const providers = new ProviderRegistry()
      .register('cybersentriq', cybersentriqProviderFactory({ backend: 'local-file', directory: keysDir }))
      .register(
        'aws-kms',
        awsKmsProviderFactory({
          endpoint: sandbox.config.aws.endpoint,
          credentials: { accessKeyId: platform.accessKeyId, secretAccessKey: platform.secretAccessKey },
        }),
      );
    const cache = new CompanyKeyCache({ maxAgeMs: 0, maxEntries: 10 });
    const companyKeys = new CompanyKeyService({ db, providers, cache, logger });
    const service = new SwitchServiceWithoutKick({ db, providers, cache, logger });

    const customer = new CustomerAccount(sandbox.config);
    const externalId = crypto.randomUUID();
    const keyArn = await customer.createKey();
    const roleArn = await customer.createRole('CyberSentriqKmsRole', keyArn, { externalId });
    const target: SwitchTarget = {
      type: 'aws-kms',
      config: { roleArn, externalId, region: sandbox.config.aws.region, keyArn },
    };

    const partnerId = await insertPartner(db, 'Bench partner');
    const loadStart = performance.now();
    const small = await createBenchCompany(db, companyKeys, partnerId, smallSetCount);
    const large = await createBenchCompany(db, companyKeys, partnerId, largeSetCount);
    const loadSeconds = (performance.now() - loadStart) / 1000;

    // One warm-up round each (module loading, JIT, the first STS and KMS connections), then
    // alternating rounds so drift in machine load affects both companies alike.
    for (const company of [small, large]) {
      await timeFinish(db, service, company, await prepareRound(db, service, company, target));
    }
    for (let round = 0; round < rounds; round++) {
      for (const company of [small, large]) {
        const switchId = await prepareRound(db, service, company, target);
        company.timings.push(await timeFinish(db, service, company, switchId));
      }
    }

    const report = (company: BenchCompany) => ({
      tenantList: median(company.timings.map((t) => t.tenantList)),
      move: median(company.timings.map((t) => t.move)),
      finish: median(company.timings.map((t) => t.finish)),
      total: median(company.timings.map((t) => t.total)),
    });
    const smallReport = report(small);
    const largeReport = report(large);
    const ratio = largeReport.total / smallReport.total;

    const cpu = cpus();
    console.log(`switch finish benchmark, started ${startedAt}`);
    console.log(
      `machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    );
    console.log(
      `database: ${database.description}; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    console.log(
      `${companyKeyVersions} company key versions and ${tenantCount} tenants per company; ` +
        `bulk load of both companies ${loadSeconds.toFixed(1)} s; median of ${rounds} rounds after 1 warm-up`,
    );
    console.log('');
    console.log(
      '| backup sets | find + tenant check + move to finishing (ms) | finish (ms) | total (ms) | console tenant list, not in total (ms) |',
    );
    console.log(
      '| ----------: | ------------------------------------------: | ----------: | ---------: | -------------------------------------: |',
    );
    for (const [company, figures] of [
      [small, smallReport],
      [large, largeReport],
    ] as const) {
      console.log(
        `| ${company.backupSets.toLocaleString('en-US')} | ${figures.move.toFixed(1)} | ${figures.finish.toFixed(1)} | ${figures.total.toFixed(1)} | ${figures.tenantList.toFixed(1)} |`,
      );
    }
    console.log('');
    console.log(
      `ratio total ${largeSetCount.toLocaleString('en-US')} / ${smallSetCount}: ${ratio.toFixed(2)} (target <= 1.2: ${ratio <= 1.2 ? 'met' : 'missed'})`,
    );
    console.log(`ratio finish only: ${(largeReport.finish / smallReport.finish).toFixed(2)}`);
  } finally {
    await database.close();
    await sandbox.stop();
    fs.rmSync(keysDir, { recursive: true, force: true });
  }
}

await main();
