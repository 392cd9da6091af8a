import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findWrappedCompanyKey, newestCompanyKeyVersion } from '../../src/keys/company-keys-dal.js';
import { AwsKmsKeyProvider } from '../../src/providers/aws-kms/aws-kms-provider.js';
import { leakedSecrets, sandboxSecrets } from '../key-health/log-capture.js';
import { errorCode } from '../support/fixtures.js';
import {
  companyOnAws,
  download,
  type RevocationWorld,
  startWorld,
  upload,
  waitForCacheExpiry,
} from './company-on-aws.js';

/**
 * Transient AWS failures are retried by the AWS SDK and then reported as PROVIDER_UNREACHABLE, never
 * as a revocation code. There is no retry layer of our own on unwrap. The clients in aws-clients.ts
 * make 3 attempts in the SDK's standard retry mode (@smithy/core 3.41: exponential backoff with
 * jitter from 100 ms, 500 ms for throttling, and a quota of 500 retry tokens that stops retries
 * during a long outage), and these tests count those attempts. A second layer would multiply the
 * attempts and hold upload and download requests for seconds. The caller retries a 503 itself, and
 * the key cache limits unwraps to one per company key version per cache maximum age.
 */
let world: RevocationWorld;

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.close();
});

const revocationCodes = [
  'KEY_DISABLED',
  'KEY_PENDING_DELETION',
  'KEY_PERMISSION_MISSING',
  'ROLE_ACCESS_DENIED',
];

describe('transient AWS failures', () => {
  it('report an unreachable endpoint as PROVIDER_UNREACHABLE, then recover', async () => {
    const company = await companyOnAws(world);
    await world.proxy.stop();
    try {
      await waitForCacheExpiry();
      const downloaded = await download(world, company);
      expect(errorCode(downloaded)).toBe('PROVIDER_UNREACHABLE');
      expect(downloaded.statusCode).toBe(503);
      const uploaded = await upload(world, company);
      expect(errorCode(uploaded)).toBe('PROVIDER_UNREACHABLE');
      expect(revocationCodes).not.toContain(errorCode(uploaded));
    } finally {
      await world.proxy.start();
    }
    expect((await download(world, company)).statusCode).toBe(200);
  });

  it('report an unreachable STS as PROVIDER_UNREACHABLE', async () => {
    const company = await companyOnAws(world);
    const db = world.fixture.database.db;
    const version = (await newestCompanyKeyVersion(db, company.companyId))!;
    const wrapped = (await findWrappedCompanyKey(db, company.companyId, version))!;
    const platform = world.sandbox.config.aws.platform;
    // A provider without a session must call AssumeRole first, which is what fails here.
    const fresh = new AwsKmsKeyProvider(company.config, {
      endpoint: world.proxy.url,
      credentials: { accessKeyId: platform.accessKeyId, secretAccessKey: platform.secretAccessKey },
    });

    await world.proxy.stop();
    let error: { code?: string } | undefined;
    try {
      error = await fresh.unwrapKey(wrapped, wrapped.context).then(
        () => undefined,
        (caught: unknown) => caught as { code?: string },
      );
    } finally {
      await world.proxy.start();
    }
    expect(error?.code).toBe('PROVIDER_UNREACHABLE');

    // Negative control: the same provider unwraps once the endpoint is back.
    const key = await fresh.unwrapKey(wrapped, wrapped.context);
    expect(key.length).toBe(32);
    key.fill(0);
  });

  it('retry a 503 answer within the SDK attempts and succeed', async () => {
    const company = await companyOnAws(world);
    await waitForCacheExpiry();
    world.proxy.resetCalls();
    world.proxy.failNext('Decrypt', 2);

    expect((await download(world, company)).statusCode).toBe(200);
    expect(world.proxy.calls.get('Decrypt')).toBe(3);
  });

  it('report 503 answers past the SDK attempts as PROVIDER_UNREACHABLE', async () => {
    const company = await companyOnAws(world);
    await waitForCacheExpiry();
    world.proxy.resetCalls();
    world.proxy.failNext('Decrypt', 3);

    const downloaded = await download(world, company);
    expect(errorCode(downloaded)).toBe('PROVIDER_UNREACHABLE');
    expect(world.proxy.calls.get('Decrypt')).toBe(3);

    // Negative control: once AWS responds again, the download succeeds.
    expect((await download(world, company)).statusCode).toBe(200);
  });
});

describe('transient failure logs', () => {
  it('contain no secret, session token, External ID or key material', () => {
    const output = world.logOutput();
    expect(output).toContain('PROVIDER_UNREACHABLE');
    const secrets = sandboxSecrets(world.sandbox.stateDir);
    expect(leakedSecrets(output, secrets)).toEqual([]);
    expect(leakedSecrets(output, world.externalIds)).toEqual([]);
  });
});
