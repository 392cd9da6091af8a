import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { type AwsCli, awsJson, awsOutput, runAws } from './aws-cli.js';
import type { SandboxAws, SandboxCredentials } from './sandbox.js';
import type { PrintedValues } from './setup-script.js';

export const PERMISSIONS_POLICY_NAME = 'CyberSentriqKmsAccess';

interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Principal?: { AWS?: string | string[] };
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

/** AWS CLI calls as one principal, for checking what the script left behind. */
export class AwsChecker {
  constructor(
    readonly cli: AwsCli,
    readonly aws: SandboxAws,
    readonly credentials: SandboxCredentials,
    readonly home: string,
  ) {}

  /** Adds the sandbox's region unless the arguments name one. */
  private withRegion(args: string[]): string[] {
    return args.includes('--region') ? args : ['--region', this.aws.region, ...args];
  }

  output(args: string[]): Promise<string> {
    return awsOutput(this.cli, this.aws, this.credentials, this.home, this.withRegion(args));
  }

  json<T>(args: string[]): Promise<T> {
    return awsJson<T>(this.cli, this.aws, this.credentials, this.home, this.withRegion(args));
  }

  run(args: string[]) {
    return runAws(this.cli, this.aws, this.credentials, this.home, this.withRegion(args));
  }

  as(credentials: SandboxCredentials): AwsChecker {
    return new AwsChecker(this.cli, this.aws, credentials, this.home);
  }

  trustPolicy(roleName: string): Promise<PolicyDocument> {
    return this.json([
      'iam',
      'get-role',
      '--role-name',
      roleName,
      '--query',
      'Role.AssumeRolePolicyDocument',
    ]);
  }

  permissionsPolicy(roleName: string): Promise<PolicyDocument> {
    return this.json([
      'iam',
      'get-role-policy',
      '--role-name',
      roleName,
      '--policy-name',
      PERMISSIONS_POLICY_NAME,
      '--query',
      'PolicyDocument',
    ]);
  }

  /** Assumes the role as this principal and returns the session's keys. */
  async assumeRole(
    roleArn: string,
    externalId: string | undefined,
    sessionName = 'setup-test',
  ): Promise<SandboxCredentials> {
    const externalIdArgs = externalId === undefined ? [] : ['--external-id', externalId];
    const text = await this.output([
      'sts',
      'assume-role',
      '--role-arn',
      roleArn,
      '--role-session-name',
      sessionName,
      ...externalIdArgs,
      '--query',
      'Credentials.[AccessKeyId, SecretAccessKey, SessionToken]',
      '--output',
      'text',
    ]);
    const [accessKeyId, secretAccessKey, sessionToken] = text.split(/\s+/);
    if (!accessKeyId || !secretAccessKey || !sessionToken)
      throw new Error('assume-role returned no credentials');
    return { accessKeyId, secretAccessKey, sessionToken };
  }

  /** Encrypts and decrypts a value with the key as this principal and returns the decrypted text. */
  async roundTrip(keyArn: string, region: string, plaintext: string): Promise<string> {
    const plaintextFile = path.join(this.home, 'round-trip-plaintext.bin');
    const ciphertextFile = path.join(this.home, 'round-trip-ciphertext.bin');
    await writeFile(plaintextFile, plaintext);
    const ciphertext = await awsOutput(this.cli, this.aws, this.credentials, this.home, [
      '--region',
      region,
      'kms',
      'encrypt',
      '--key-id',
      keyArn,
      '--plaintext',
      `fileb://${plaintextFile}`,
      '--query',
      'CiphertextBlob',
      '--output',
      'text',
    ]);
    await writeFile(ciphertextFile, Buffer.from(ciphertext, 'base64'));
    const decrypted = await awsOutput(this.cli, this.aws, this.credentials, this.home, [
      '--region',
      region,
      'kms',
      'decrypt',
      '--ciphertext-blob',
      `fileb://${ciphertextFile}`,
      '--query',
      'Plaintext',
      '--output',
      'text',
    ]);
    return Buffer.from(decrypted, 'base64').toString();
  }
}

function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Checks that the trust policy lets only the platform principal assume the role, with the External ID. */
export function expectPlatformOnlyTrust(
  policy: PolicyDocument,
  platformPrincipalArn: string,
  externalId: string,
) {
  expect(policy.Statement).toHaveLength(1);
  const [statement] = policy.Statement;
  expect(statement?.Effect).toBe('Allow');
  expect(asList(statement?.Principal?.AWS)).toEqual([platformPrincipalArn]);
  expect(asList(statement?.Action)).toEqual(['sts:AssumeRole']);
  expect(statement?.Condition).toEqual({ StringEquals: { 'sts:ExternalId': externalId } });
}

/** Checks that the permissions policy allows exactly the seven KMS actions on the key, CreateGrant conditioned. */
export function expectMinimalPermissions(policy: PolicyDocument, keyArn: string, roleArn: string) {
  const allowed = policy.Statement.flatMap((statement) => {
    expect(statement.Effect).toBe('Allow');
    expect(asList(statement.Resource)).toEqual([keyArn]);
    return asList(statement.Action);
  });
  expect(allowed.sort()).toEqual(
    [
      'kms:CreateGrant',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:ListGrants',
      'kms:RetireGrant',
    ].sort(),
  );

  const createGrant = policy.Statement.find((statement) =>
    asList(statement.Action).includes('kms:CreateGrant'),
  );
  expect(asList(createGrant?.Action)).toEqual(['kms:CreateGrant']);
  expect(createGrant?.Condition).toEqual({
    StringEquals: { 'kms:GranteePrincipal': roleArn },
    'ForAllValues:StringEquals': { 'kms:GrantOperations': ['Encrypt', 'Decrypt', 'GenerateDataKey'] },
  });
  for (const statement of policy.Statement) {
    if (statement !== createGrant) expect(statement.Condition).toBeUndefined();
  }
}

/** Checks that the platform principal can use the printed values the way RedApp does. */
export async function expectPlatformCanUse(platform: AwsChecker, values: PrintedValues) {
  const session = await platform.assumeRole(values.roleArn, values.externalId);
  const decrypted = await platform
    .as(session)
    .roundTrip(values.keyArn, values.region, 'backup key material stand-in');
  expect(decrypted).toBe('backup key material stand-in');
}
