import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsResponseRecord } from '../../src/aws/aws-endpoint.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox.js';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Every AWS response sent by any sandbox the tests started, checked against botocore models afterwards. */
export const recordedResponses: AwsResponseRecord[] = [];

export interface TestSandbox extends RunningSandbox {
  stateDir: string;
  /** Moves the sandbox's clock forward; clients made afterwards sign with the same offset. */
  advance(seconds: number): void;
  clockOffsetMs(): number;
  stop(): Promise<void>;
}

export async function startTestSandbox(
  options: { iamPropagationDelaySeconds?: number; stateDir?: string } = {},
): Promise<TestSandbox> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'redapp-sandbox-test-'));
  let offset = 0;
  const sandbox = await startSandbox({
    stateDir,
    iamPropagationDelaySeconds: options.iamPropagationDelaySeconds ?? 0,
    onAwsResponse: (record) => recordedResponses.push(record),
    clock: () => Date.now() + offset,
  });
  return {
    ...sandbox,
    stateDir,
    advance: (seconds) => {
      offset += seconds * 1000;
    },
    clockOffsetMs: () => offset,
    stop: async () => {
      await sandbox.close();
      if (!options.stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

function clientConfig(sandbox: TestSandbox, credentials: Credentials, region?: string) {
  return {
    endpoint: sandbox.url,
    region: region ?? sandbox.config.aws.region,
    credentials,
    maxAttempts: 1,
    systemClockOffset: sandbox.clockOffsetMs(),
  };
}

export const kmsClient = (sandbox: TestSandbox, credentials: Credentials, region?: string) =>
  new KMSClient(clientConfig(sandbox, credentials, region));
export const stsClient = (sandbox: TestSandbox, credentials: Credentials, region?: string) =>
  new STSClient(clientConfig(sandbox, credentials, region));
export const iamClient = (sandbox: TestSandbox, credentials: Credentials) =>
  new IAMClient(clientConfig(sandbox, credentials, 'us-east-1'));

export async function assumeRole(
  sandbox: TestSandbox,
  credentials: Credentials,
  roleArn: string,
  options: { externalId?: string; sessionName?: string; durationSeconds?: number } = {},
): Promise<Credentials> {
  const output = await stsClient(sandbox, credentials).send(
    new AssumeRoleCommand({
      RoleArn: roleArn,
      RoleSessionName: options.sessionName ?? 'test-session',
      ExternalId: options.externalId,
      DurationSeconds: options.durationSeconds,
    }),
  );
  const issued = output.Credentials!;
  return {
    accessKeyId: issued.AccessKeyId!,
    secretAccessKey: issued.SecretAccessKey!,
    sessionToken: issued.SessionToken!,
  };
}

/** Runs a call expected to fail and returns the error's name (the AWS error code) and message. */
export async function failure(
  call: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> {
  try {
    await call;
  } catch (error) {
    const failed = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: failed.name, message: failed.message, status: failed.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export const policyText = (statements: object[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });
