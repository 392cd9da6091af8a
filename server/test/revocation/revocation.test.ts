import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CancelKeyDeletionCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findWrappedCompanyKey, newestCompanyKeyVersion } from '../../src/keys/company-keys-dal.js';
import { AwsKmsKeyProvider } from '../../src/providers/aws-kms/aws-kms-provider.js';
import { leakedSecrets, sandboxSecrets } from '../key-health/log-capture.js';
import { errorCode } from '../support/fixtures.js';
import {
  type CompanyOnAws,
  cacheMaxAgeMs,
  companyOnAws,
  download,
  type RevocationWorld,
  startWorld,
  upload,
  waitForCacheExpiry,
} from './company-on-aws.js';

let world: RevocationWorld;

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.close();
});

/**
 * Loads the company key into the cache with a download, then applies `revoke`. Returns when the
 * revocation was applied, after checking that the cached key still serves a download: that is the
 * window the cache maximum age bounds.
 */
async function revokeWithWarmCache(company: CompanyOnAws, revoke: () => Promise<unknown>): Promise<number> {
  await waitForCacheExpiry();
  expect((await download(world, company)).statusCode).toBe(200);
  await revoke();
  const revokedAt = Date.now();
  // Negative control: within the maximum age, the cached key still works, so the failures below
  // come from AWS, not from an empty cache.
  expect((await download(world, company)).statusCode).toBe(200);
  return revokedAt;
}

describe('revocation', () => {
  it('stops a disabled key within max age', async () => {
    const company = await companyOnAws(world);
    const revokedAt = await revokeWithWarmCache(company, () =>
      world.customer.disableKey(company.config.keyArn),
    );

    await waitForCacheExpiry(revokedAt);
    const downloaded = await download(world, company);
    expect(Date.now() - revokedAt).toBeLessThan(cacheMaxAgeMs + 2_000);
    expect(errorCode(downloaded)).toBe('KEY_DISABLED');
    expect(downloaded.statusCode).toBe(422);
    expect(downloaded.json().error.message).toMatch(/^The KMS key is disabled/);
    expect(errorCode(await upload(world, company))).toBe('KEY_DISABLED');

    await world.customer.enableKey(company.config.keyArn);
    expect((await download(world, company)).statusCode).toBe(200);
    expect((await upload(world, company)).statusCode).toBe(201);
  });

  it('makes the key health check due after a refused download', async () => {
    const company = await companyOnAws(world);
    const { db } = world.fixture.database;
    const later = new Date(Date.now() + 3_600_000);
    await db
      .insertInto('key_health')
      .values({
        company_id: company.companyId,
        state: 'ok',
        message: 'Checked.',
        deletion_date: null,
        unknown_grants: 0,
        checked_at: new Date(),
        changed_at: new Date(),
        next_check_at: later,
      })
      .execute();
    const nextCheck = async () =>
      (
        await db
          .selectFrom('key_health')
          .select('next_check_at')
          .where('company_id', '=', company.companyId)
          .executeTakeFirstOrThrow()
      ).next_check_at;

    // Negative control: a download that works leaves the schedule alone.
    await waitForCacheExpiry();
    expect((await download(world, company)).statusCode).toBe(200);
    expect(new Date(await nextCheck()).getTime()).toBe(later.getTime());

    await world.customer.disableKey(company.config.keyArn);
    await waitForCacheExpiry();
    expect(errorCode(await download(world, company))).toBe('KEY_DISABLED');
    expect(new Date(await nextCheck()).getTime()).toBeLessThanOrEqual(Date.now());
    await world.customer.enableKey(company.config.keyArn);
  });

  it('stops a key pending deletion until re-enabled', async () => {
    const company = await companyOnAws(world);
    const revokedAt = await revokeWithWarmCache(company, () =>
      world.customer.scheduleDeletion(company.config.keyArn, 7),
    );

    await waitForCacheExpiry(revokedAt);
    expect(errorCode(await download(world, company))).toBe('KEY_PENDING_DELETION');
    expect(errorCode(await upload(world, company))).toBe('KEY_PENDING_DELETION');

    // AWS leaves a key whose deletion was cancelled disabled, so it still fails until enabled.
    await world.customer.kms.send(new CancelKeyDeletionCommand({ KeyId: company.config.keyArn }));
    expect(errorCode(await download(world, company))).toBe('KEY_DISABLED');

    await world.customer.enableKey(company.config.keyArn);
    expect((await download(world, company)).statusCode).toBe(200);
    expect((await upload(world, company)).statusCode).toBe(201);
  });

  it('stops access after role policy deletion', async () => {
    const company = await companyOnAws(world);
    const revokedAt = await revokeWithWarmCache(company, () =>
      world.customer.removeRolePolicy(company.roleName),
    );

    await waitForCacheExpiry(revokedAt);
    const downloaded = await download(world, company);
    expect(errorCode(downloaded)).toBe('KEY_PERMISSION_MISSING');
    expect(downloaded.json().error.message).toContain('kms:Decrypt');
    expect(errorCode(await upload(world, company))).toBe('KEY_PERMISSION_MISSING');

    await world.customer.iam.send(
      new PutRolePolicyCommand({
        RoleName: company.roleName,
        PolicyName: 'CyberSentriqKmsAccess',
        PolicyDocument: JSON.stringify(world.customer.permissionsPolicy(company.config.keyArn)),
      }),
    );
    expect((await download(world, company)).statusCode).toBe(200);
    expect((await upload(world, company)).statusCode).toBe(201);
  });

  it('keeps the issued session after a trust policy edit', async () => {
    const company = await companyOnAws(world);
    const revokedAt = await revokeWithWarmCache(company, () => excludePlatformFromTrust(company));

    // The provider's assumed-role session stays valid for up to 15 minutes, as in AWS: access ends
    // within the session length plus the cache maximum age, not within the cache age alone.
    await waitForCacheExpiry(revokedAt);
    expect((await download(world, company)).statusCode).toBe(200);
  });

  // NOTE: translateAwsError reads the AccessDenied of the AssumeRole that fromTemporaryCredentials
  // makes inside a kms:Decrypt call as a missing kms:Decrypt permission (KEY_PERMISSION_MISSING).
  // Drop `.fails` once it recognises "sts:AssumeRole" in that message as ROLE_ACCESS_DENIED.
  it('denies a new session after a trust policy edit', async () => {
    const company = await companyOnAws(world);
    await excludePlatformFromTrust(company);

    // A provider without a session, as in a restarted replica, must assume the role again.
    const db = world.fixture.database.db;
    const version = (await newestCompanyKeyVersion(db, company.companyId))!;
    const wrapped = (await findWrappedCompanyKey(db, company.companyId, version))!;
    const platform = world.sandbox.config.aws.platform;
    const fresh = new AwsKmsKeyProvider(company.config, {
      endpoint: world.proxy.url,
      credentials: { accessKeyId: platform.accessKeyId, secretAccessKey: platform.secretAccessKey },
      maxAttempts: 1,
    });
    const error = await fresh.unwrapKey(wrapped, wrapped.context).then(
      () => undefined,
      (caught: unknown) => caught as { code?: string },
    );
    expect(error?.code).toBe('ROLE_ACCESS_DENIED');
  });
});

/** Trusts another principal than the platform, as a customer revoking CyberSentriq might. */
function excludePlatformFromTrust(company: CompanyOnAws): Promise<void> {
  return world.customer.setTrust(
    company.roleName,
    world.customer.trustPolicy(
      company.config.externalId,
      world.sandbox.config.aws.customerAdmin.principalArn,
    ),
  );
}

describe('revocation logs', () => {
  it('contain no secret, session token, External ID or key material', () => {
    const output = world.logOutput();
    // Negative control: the requests above were logged, including the rejected ones.
    expect(output).toContain('KEY_DISABLED');

    const secrets = sandboxSecrets(world.sandbox.stateDir);
    expect(secrets.length).toBeGreaterThan(5);
    expect(leakedSecrets(output, secrets)).toEqual([]);
    expect(leakedSecrets(output, world.externalIds)).toEqual([]);
  });
});
