import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { generateKey } from '../../src/keys/aes-gcm.js';
import { insertWrappedCompanyKey, newestCompanyKeyVersion } from '../../src/keys/company-keys-dal.js';
import { CompanyKeyService } from '../../src/keys/company-keys-service.js';
import { CompanyKeyCache } from '../../src/keys/key-cache.js';
import {
  findActiveSwitch,
  startFinishingIfAllVerified,
  transitionSwitch,
} from '../../src/switch/switch-dal.js';
import { authHeaders, errorCode } from '../support/fixtures.js';
import { testDatabaseUrl } from '../support/test-database.js';
import { QueryPause } from './query-pause.js';
import {
  addBackupSet,
  auditActions,
  awsTarget,
  createCompany,
  expectAllWrappedBy,
  expectObjectsDownload,
  insertTenant,
  markRefused,
  markVerified,
  type SwitchWorld,
  silentLogger,
  sleep,
  startSwitch,
  startSwitchWorld,
  switchService,
  switchState,
} from './switch-world.js';

/**
 * Races around the provider switch on PostgreSQL, where row locks, conditional updates and the
 * company lease behave as in production. Races that real timing would rarely produce are forced
 * with QueryPause, which delays one query result of one side until the other side has acted.
 */
const actor = { userId: null, label: 'test:concurrency' };
let world: SwitchWorld;

describe.skipIf(!testDatabaseUrl)('switch concurrency on PostgreSQL', () => {
  beforeAll(async () => {
    world = await startSwitchWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('two concurrent Saves leave one pending switch', async () => {
    const company = await createCompany(world, 1);
    const base = `/api/companies/${company.companyId}/key-management`;
    const setup = await world.fixture.app.inject({
      method: 'GET',
      url: `${base}/aws-kms/setup`,
      headers: authHeaders(world.admin),
    });
    const externalId = setup.json().externalId as string;
    const { db } = world.fixture.database;

    for (let round = 0; round < 3; round++) {
      const targets = [await awsTarget(world, externalId), await awsTarget(world, externalId)];
      const saves = await Promise.all(
        targets.map((target) =>
          world.fixture.app.inject({
            method: 'POST',
            url: `${base}/save`,
            headers: authHeaders(world.admin),
            payload: { providerType: 'aws-kms', config: target.config },
          }),
        ),
      );
      for (const save of saves) expect(save.statusCode, save.body).toBe(200);

      const active = await db
        .selectFrom('provider_switches')
        .select(['id', 'target_config'])
        .where('company_id', '=', company.companyId)
        .where('state', 'in', ['pending', 'finishing'])
        .execute();
      expect(active).toHaveLength(1);
      const savedKeys = targets.map((target) => target.config.keyArn);
      expect(savedKeys).toContain(active[0]!.target_config.keyArn);
    }

    const states = await db
      .selectFrom('provider_switches')
      .select('state')
      .where('company_id', '=', company.companyId)
      .execute();
    expect(states.filter((row) => row.state === 'pending')).toHaveLength(1);
    expect(states.filter((row) => row.state === 'replaced')).toHaveLength(5);
    expect(
      (await auditActions(world, company.companyId)).filter((a) => a === 'switch.replaced'),
    ).toHaveLength(5);
    await expectAllWrappedBy(world, company.companyId, 'cybersentriq');
  });

  it('a tenant added while the finish starts blocks it', async () => {
    const company = await createCompany(world, 1);
    const target = await awsTarget(world);
    const started = await startSwitch(world, company.companyId, target);
    await markVerified(world, company.companyId, started.id, company.tenantIds[0]!);

    // The finisher has read the pending switch when the new backup set arrives.
    const pause = new QueryPause('SelectQueryNode', 'provider_switches');
    const finishing = switchService(world, world.fixture.database.db.withPlugin(pause)).tryFinish(
      company.companyId,
    );
    await pause.reached;
    const lateTenant = await addBackupSet(world, company, `late-${company.companyId.slice(0, 8)}`);
    pause.release();

    expect(await finishing).toBe(false);
    expect((await switchState(world, started.id)).state).toBe('pending');
    const statuses = await world.fixture.services.switches.tenantStatuses(company.companyId, started.id);
    expect(statuses.find((tenant) => tenant.tenantId === lateTenant)?.status).toBe('unverified');
    await expectAllWrappedBy(world, company.companyId, 'cybersentriq');

    await markVerified(world, company.companyId, started.id, lateTenant);
    expect(await switchService(world).tryFinish(company.companyId)).toBe(true);
    await expectAllWrappedBy(world, company.companyId, 'aws-kms', target.config.keyArn as string);
    await expectObjectsDownload(world, company);
  });

  it('tenant gate counts only the newest verification per tenant', async () => {
    const company = await createCompany(world, 2);
    const started = await startSwitch(world, company.companyId, await awsTarget(world));
    const { db } = world.fixture.database;
    const [first, second] = company.tenantIds as [string, string];

    await markVerified(world, company.companyId, started.id, first);
    expect(await startFinishingIfAllVerified(db, started.id)).toBe(false);

    await markVerified(world, company.companyId, started.id, second);
    await sleep(5);
    await markRefused(world, company.companyId, started.id, second);
    expect(await startFinishingIfAllVerified(db, started.id)).toBe(false);

    // A verification made for another switch of the company does not count.
    const other = await db
      .insertInto('provider_switches')
      .values({
        id: crypto.randomUUID(),
        company_id: company.companyId,
        state: 'replaced',
        source_type: 'cybersentriq',
        source_config: '{}',
        target_type: 'aws-kms',
        target_config: '{}',
        created_by_user_id: null,
        created_by: 'test',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await sleep(5);
    await markVerified(world, company.companyId, other.id, second);
    expect(await startFinishingIfAllVerified(db, started.id)).toBe(false);

    await sleep(5);
    await markVerified(world, company.companyId, started.id, second);
    expect(await startFinishingIfAllVerified(db, started.id)).toBe(true);
    expect((await switchState(world, started.id)).state).toBe('finishing');
  });

  it('tenant gate passes a company without tenants', async () => {
    const company = await createCompany(world, 0);
    const started = await startSwitch(world, company.companyId, await awsTarget(world));
    expect(await startFinishingIfAllVerified(world.fixture.database.db, started.id)).toBe(true);
  });

  it('verification racing a new backup set', async () => {
    for (let round = 0; round < 5; round++) {
      const company = await createCompany(world, 1);
      const started = await startSwitch(world, company.companyId, await awsTarget(world));
      await markVerified(world, company.companyId, started.id, company.tenantIds[0]!);

      const service = switchService(world);
      const [finished, lateTenant] = await Promise.all([
        service.tryFinish(company.companyId),
        insertTenant(world.fixture.database.db, company.companyId),
      ]);

      const state = (await switchState(world, started.id)).state;
      if (finished) {
        // The finish won: the backup set arrived after the switch had left pending.
        expect(state).toBe('finished');
        await expectAllWrappedBy(world, company.companyId, 'aws-kms');
      } else {
        expect(state).toBe('pending');
        const statuses = await service.tenantStatuses(company.companyId, started.id);
        expect(statuses.find((tenant) => tenant.tenantId === lateTenant)?.status).toBe('unverified');
        await expectAllWrappedBy(world, company.companyId, 'cybersentriq');
      }
    }
  });

  it('a rotation holding the lease makes the finish retry', async () => {
    const company = await createCompany(world, 1);
    const target = await awsTarget(world);
    const service = switchService(world);
    const started = await startSwitch(world, company.companyId, target);
    await markVerified(world, company.companyId, started.id, company.tenantIds[0]!);

    // The rotation has taken the lease and not yet added its version when the finish starts.
    const pause = new QueryPause('InsertQueryNode', 'company_leases');
    const rotation = new CompanyKeyService({
      db: world.fixture.database.db.withPlugin(pause),
      providers: world.fixture.services.providers,
      cache: new CompanyKeyCache({ maxAgeMs: 0, maxEntries: 10 }),
      logger: silentLogger,
    }).rotate(company.companyId, actor);
    await pause.reached;

    expect(await service.tryFinish(company.companyId)).toBe(false);
    const waiting = await switchState(world, started.id);
    expect(waiting.state).toBe('finishing');
    expect(waiting.attempts).toBe(1);
    expect(waiting.nextAttemptAt).not.toBeNull();

    pause.release();
    const rotated = await rotation;
    await expectAllWrappedBy(world, company.companyId, 'cybersentriq');

    await service.resumeDue();
    expect((await switchState(world, started.id)).state).toBe('finished');
    const versions = await expectAllWrappedBy(
      world,
      company.companyId,
      'aws-kms',
      target.config.keyArn as string,
    );
    expect(versions).toContain(rotated.version);
    expect(versions.at(-1)).toBe(rotated.version + 1);
    await expectObjectsDownload(world, company);
  });

  it('a version added between re-wrap and commit makes the finish retry', async () => {
    const company = await createCompany(world, 1);
    const target = await awsTarget(world);
    const service = switchService(world);
    const started = await startSwitch(world, company.companyId, target);
    await markVerified(world, company.companyId, started.id, company.tenantIds[0]!);
    const { db } = world.fixture.database;

    // A writer that ignores the lease adds a version after the finisher listed the versions.
    const pause = new QueryPause('SelectQueryNode', 'company_keys');
    const finishing = switchService(world, db.withPlugin(pause)).tryFinish(company.companyId);
    await pause.reached;
    const strayVersion = (await newestCompanyKeyVersion(db, company.companyId))! + 1;
    const cybersentriq = await world.fixture.services.companyKeys.providerOf(company.companyId);
    const key = generateKey();
    const stray = await cybersentriq.wrapKey(key, {
      companyId: company.companyId,
      companyKeyVersion: strayVersion,
    });
    key.fill(0);
    expect(await insertWrappedCompanyKey(db, stray)).toBe(true);
    pause.release();

    expect(await finishing).toBe(false);
    const waiting = await switchState(world, started.id);
    expect(waiting.state).toBe('finishing');
    expect(waiting.attempts).toBe(1);
    await expectAllWrappedBy(world, company.companyId, 'cybersentriq');

    await service.resumeDue();
    expect((await switchState(world, started.id)).state).toBe('finished');
    const versions = await expectAllWrappedBy(
      world,
      company.companyId,
      'aws-kms',
      target.config.keyArn as string,
    );
    expect(versions).toContain(strayVersion);
    await expectObjectsDownload(world, company);
  });

  it('rotation racing the finish leaves every version wrapped', async () => {
    for (let round = 0; round < 3; round++) {
      const company = await createCompany(world, 1);
      const target = await awsTarget(world);
      const service = switchService(world);
      const started = await startSwitch(world, company.companyId, target);
      await markVerified(world, company.companyId, started.id, company.tenantIds[0]!);

      const [finish, rotation] = await Promise.allSettled([
        service.tryFinish(company.companyId),
        world.fixture.services.companyKeys.rotate(company.companyId, actor),
      ]);
      expect(finish.status).toBe('fulfilled');
      if (rotation.status === 'rejected') {
        expect((rotation.reason as { code?: string }).code).toBe('OPERATION_IN_PROGRESS');
      }

      for (let attempt = 0; attempt < 5; attempt++) {
        if ((await switchState(world, started.id)).state === 'finished') break;
        await service.resumeDue();
      }
      expect((await switchState(world, started.id)).state).toBe('finished');
      await expectAllWrappedBy(world, company.companyId, 'aws-kms', target.config.keyArn as string);
      await expectObjectsDownload(world, company);
    }
  });

  it('two replicas finishing one switch finish it once', async () => {
    const second = await openDatabase({ databaseUrl: world.fixture.database.url! });
    try {
      const company = await createCompany(world, 1);
      const target = await awsTarget(world);
      const started = await startSwitch(world, company.companyId, target);
      await markVerified(world, company.companyId, started.id, company.tenantIds[0]!);
      const before = (await newestCompanyKeyVersion(world.fixture.database.db, company.companyId))!;

      const results = await Promise.all([
        switchService(world).tryFinish(company.companyId),
        switchService(world, second.db).tryFinish(company.companyId),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await switchState(world, started.id)).state).toBe('finished');
      const versions = await expectAllWrappedBy(
        world,
        company.companyId,
        'aws-kms',
        target.config.keyArn as string,
      );
      expect(versions.at(-1)).toBe(before + 1);
      const actions = await auditActions(world, company.companyId);
      expect(actions.filter((action) => action === 'switch.finished')).toHaveLength(1);
      expect(actions).not.toContain('switch.finish_failed');
    } finally {
      await second.close();
    }
  });

  it('two replicas resuming one switch finish it once', async () => {
    const second = await openDatabase({ databaseUrl: world.fixture.database.url! });
    try {
      const company = await createCompany(world, 1);
      const target = await awsTarget(world);
      const started = await startSwitch(world, company.companyId, target);
      for (const tenantId of company.tenantIds)
        await markVerified(world, company.companyId, started.id, tenantId);
      const before = (await newestCompanyKeyVersion(world.fixture.database.db, company.companyId))!;
      // Left finishing, as after a crash: both replicas' workers pick it up at the same time.
      expect(await transitionSwitch(world.fixture.database.db, started.id, 'pending', 'finishing')).toBe(
        true,
      );

      const replicas = [switchService(world), switchService(world, second.db)];
      await Promise.all(replicas.map((replica) => replica.resumeDue()));
      // The replica that lost the lease scheduled a retry; it finds the switch finished.
      await Promise.all(replicas.map((replica) => replica.resumeDue()));

      expect((await switchState(world, started.id)).state).toBe('finished');
      const versions = await expectAllWrappedBy(
        world,
        company.companyId,
        'aws-kms',
        target.config.keyArn as string,
      );
      expect(versions.at(-1)).toBe(before + 1);
      const actions = await auditActions(world, company.companyId);
      expect(actions.filter((action) => action === 'switch.finished')).toHaveLength(1);
      expect(actions).not.toContain('switch.finish_failed');
      await expectObjectsDownload(world, company);
    } finally {
      await second.close();
    }
  });

  it('a replica resuming a switch another finished does nothing', async () => {
    const second = await openDatabase({ databaseUrl: world.fixture.database.url! });
    try {
      const company = await createCompany(world, 1);
      const target = await awsTarget(world);
      const started = await startSwitch(world, company.companyId, target);
      for (const tenantId of company.tenantIds)
        await markVerified(world, company.companyId, started.id, tenantId);
      // Left finishing, as after a crash.
      expect(await transitionSwitch(world.fixture.database.db, started.id, 'pending', 'finishing')).toBe(
        true,
      );

      // Replica B has read the switch as finishing; replica A then finishes it completely.
      const pause = new QueryPause('SelectQueryNode', 'provider_switches');
      const late = switchService(world, second.db.withPlugin(pause)).finish(started.id);
      await pause.reached;
      expect(await switchService(world).finish(started.id)).toBe(true);
      const after = await expectAllWrappedBy(
        world,
        company.companyId,
        'aws-kms',
        target.config.keyArn as string,
      );
      pause.release();
      await late;

      const finished = await switchState(world, started.id);
      expect(finished.state).toBe('finished');
      expect(finished.lastError).toBeNull();
      expect(
        await expectAllWrappedBy(world, company.companyId, 'aws-kms', target.config.keyArn as string),
      ).toEqual(after);
      const actions = await auditActions(world, company.companyId);
      expect(actions.filter((action) => action === 'switch.finished')).toHaveLength(1);
      expect(actions).not.toContain('switch.finish_failed');
      await expectObjectsDownload(world, company);
    } finally {
      await second.close();
    }
  });

  it('a disabled target key returns the switch to pending', async () => {
    const company = await createCompany(world, 1);
    const target = await awsTarget(world);
    const service = switchService(world);
    const started = await startSwitch(world, company.companyId, target);
    await world.customer.disableKey(target.config.keyArn as string);
    await markVerified(world, company.companyId, started.id, company.tenantIds[0]!);

    expect(await service.tryFinish(company.companyId)).toBe(false);
    const failed = await switchState(world, started.id);
    expect(failed.state).toBe('pending');
    expect(failed.lastError?.code).toBe('KEY_DISABLED');
    expect(await auditActions(world, company.companyId)).toContain('switch.finish_failed');
    await expectAllWrappedBy(world, company.companyId, 'cybersentriq');
    await expectObjectsDownload(world, company);

    const overview = await world.fixture.app.inject({
      method: 'GET',
      url: `/api/companies/${company.companyId}/key-management`,
      headers: authHeaders(world.admin),
    });
    expect(overview.body).toContain('KEY_DISABLED');

    const cancelled = await world.fixture.app.inject({
      method: 'POST',
      url: `/api/companies/${company.companyId}/key-management/switch/cancel`,
      headers: authHeaders(world.admin),
    });
    expect(cancelled.statusCode, cancelled.body).toBe(204);
    expect((await switchState(world, started.id)).state).toBe('cancelled');
    expect(await findActiveSwitch(world.fixture.database.db, company.companyId)).toBeUndefined();
    await expectAllWrappedBy(world, company.companyId, 'cybersentriq');
  });

  it('a switch back in pending finishes on retry once the key is enabled', async () => {
    const company = await createCompany(world, 1);
    const target = await awsTarget(world);
    const service = switchService(world);
    const started = await startSwitch(world, company.companyId, target);
    await world.customer.disableKey(target.config.keyArn as string);
    await markVerified(world, company.companyId, started.id, company.tenantIds[0]!);
    expect(await service.tryFinish(company.companyId)).toBe(false);
    expect((await switchState(world, started.id)).state).toBe('pending');

    await world.customer.enableKey(target.config.keyArn as string);
    const retried = await world.fixture.app.inject({
      method: 'POST',
      url: `/api/companies/${company.companyId}/key-management/switch/retry`,
      headers: authHeaders(world.admin),
    });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json().finished).toBe(true);
    expect((await switchState(world, started.id)).state).toBe('finished');
    await expectAllWrappedBy(world, company.companyId, 'aws-kms', target.config.keyArn as string);
    await expectObjectsDownload(world, company);
  });

  it('a tenant added while finishing sends the switch back to pending', async () => {
    const company = await createCompany(world, 1);
    const target = await awsTarget(world);
    const started = await startSwitch(world, company.companyId, target);
    for (const tenantId of company.tenantIds)
      await markVerified(world, company.companyId, started.id, tenantId);
    // The switch has passed its tenant gate; then a backup set of a new tenant arrives.
    expect(await transitionSwitch(world.fixture.database.db, started.id, 'pending', 'finishing')).toBe(true);
    const newTenant = await addBackupSet(world, company, 'late-tenant');

    expect(await switchService(world).finish(started.id)).toBe(false);
    expect((await switchState(world, started.id)).state).toBe('pending');
    expect(await auditActions(world, company.companyId)).not.toContain('switch.finish_failed');

    await markVerified(world, company.companyId, started.id, newTenant);
    expect(await switchService(world).tryFinish(company.companyId)).toBe(true);
    await expectAllWrappedBy(world, company.companyId, 'aws-kms', target.config.keyArn as string);
    await expectObjectsDownload(world, company);
  });

  it('cancel is refused while the switch is finishing', async () => {
    const company = await createCompany(world, 1);
    const started = await startSwitch(world, company.companyId, await awsTarget(world));
    expect(await transitionSwitch(world.fixture.database.db, started.id, 'pending', 'finishing')).toBe(true);
    const cancelled = await world.fixture.app.inject({
      method: 'POST',
      url: `/api/companies/${company.companyId}/key-management/switch/cancel`,
      headers: authHeaders(world.admin),
    });
    expect(cancelled.statusCode).toBe(409);
    expect(errorCode(cancelled)).toBe('OPERATION_IN_PROGRESS');
    expect((await switchState(world, started.id)).state).toBe('finishing');
  });
});

describe.skipIf(testDatabaseUrl)('switch concurrency', () => {
  it.skip('is skipped: needs PostgreSQL, set REDAPP_TEST_DATABASE_URL (.ci/run does)', () => {});
});
