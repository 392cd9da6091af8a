import {
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  type KeySpec,
  type KeyUsageType,
  KMSClient,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import type { SandboxAwsPrincipal, SandboxFile } from './sandbox-process.js';

/**
 * What a customer's AWS admin does in their account, through the sandbox's AWS API with the
 * customer admin's own credentials: create a key and a role the way the setup script does, or get
 * one detail wrong on purpose. There are no fault switches: every failure case is a real setup.
 */
export class CustomerAccount {
  readonly kms: KMSClient;
  readonly iam: IAMClient;
  readonly accountId: string;

  constructor(
    readonly sandbox: SandboxFile,
    principal: SandboxAwsPrincipal = sandbox.aws.customerAdmin,
  ) {
    const common = {
      region: sandbox.aws.region,
      endpoint: sandbox.aws.endpoint,
      credentials: { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey },
      maxAttempts: 1,
    };
    this.kms = new KMSClient(common);
    this.iam = new IAMClient(common);
    this.accountId = principal.accountId;
  }

  async createKey(
    options: { keySpec?: KeySpec; keyUsage?: KeyUsageType; policy?: object } = {},
  ): Promise<string> {
    const response = await this.kms.send(
      new CreateKeyCommand({
        KeySpec: options.keySpec ?? 'SYMMETRIC_DEFAULT',
        KeyUsage: options.keyUsage ?? 'ENCRYPT_DECRYPT',
        Description: 'test key',
        ...(options.policy ? { Policy: JSON.stringify(options.policy) } : {}),
      }),
    );
    return response.KeyMetadata!.Arn!;
  }

  async aliasKey(keyArn: string, alias: string): Promise<void> {
    await this.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyArn }));
  }

  trustPolicy(externalId: string | undefined, principalArn = this.sandbox.aws.platform.principalArn): object {
    return {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: principalArn },
          Action: 'sts:AssumeRole',
          ...(externalId ? { Condition: { StringEquals: { 'sts:ExternalId': externalId } } } : {}),
        },
      ],
    };
  }

  permissionsPolicy(
    keyArn: string,
    actions = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey', 'kms:ListGrants'],
  ): object {
    return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: keyArn }] };
  }

  /** Creates the role as the setup script would: trusted by the platform principal with the External ID. */
  async createRole(
    name: string,
    keyArn: string,
    options: { externalId?: string | undefined; actions?: string[]; trustPolicy?: object } = {},
  ): Promise<string> {
    const trust = options.trustPolicy ?? this.trustPolicy(options.externalId);
    const response = await this.iam.send(
      new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) }),
    );
    await this.iam.send(
      new PutRolePolicyCommand({
        RoleName: name,
        PolicyName: 'CyberSentriqKmsAccess',
        PolicyDocument: JSON.stringify(this.permissionsPolicy(keyArn, options.actions)),
      }),
    );
    return response.Role!.Arn!;
  }

  async setTrust(roleName: string, trust: object): Promise<void> {
    await this.iam.send(
      new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: JSON.stringify(trust) }),
    );
  }

  async removeRolePolicy(roleName: string): Promise<void> {
    await this.iam.send(
      new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: 'CyberSentriqKmsAccess' }),
    );
  }

  async putKeyPolicy(keyArn: string, policy: object): Promise<void> {
    await this.kms.send(
      new PutKeyPolicyCommand({
        KeyId: keyArn,
        PolicyName: 'default',
        Policy: JSON.stringify(policy),
        BypassPolicyLockoutSafetyCheck: true,
      }),
    );
  }

  disableKey(keyArn: string) {
    return this.kms.send(new DisableKeyCommand({ KeyId: keyArn }));
  }

  enableKey(keyArn: string) {
    return this.kms.send(new EnableKeyCommand({ KeyId: keyArn }));
  }

  scheduleDeletion(keyArn: string, days = 7) {
    return this.kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyArn, PendingWindowInDays: days }));
  }

  /** The default key policy AWS writes: the account root may do everything, so IAM policies take effect. */
  rootPolicy(): object {
    return {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Enable IAM User Permissions',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${this.accountId}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    };
  }
}
