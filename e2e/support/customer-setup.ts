import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { SandboxJson } from './processes.js';

/**
 * What the customer's AWS admin ends up with after the setup script: a symmetric key and a role that
 * trusts the platform principal with the External ID and may use that key. Done with the SDK here;
 * the browser journey runs the real script.
 */
export async function createCustomerKeyAndRole(sandbox: SandboxJson, externalId: string, roleName: string) {
  const common = {
    region: sandbox.aws.region,
    endpoint: sandbox.aws.endpoint,
    credentials: {
      accessKeyId: sandbox.aws.customerAdmin.accessKeyId,
      secretAccessKey: sandbox.aws.customerAdmin.secretAccessKey,
    },
  };
  const kms = new KMSClient(common);
  const iam = new IAMClient(common);
  const key = await kms.send(new CreateKeyCommand({ Description: 'CyberSentriq BYOK customer-managed key' }));
  const keyArn = key.KeyMetadata!.Arn!;
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: sandbox.aws.platform.principalArn },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': externalId } },
          },
        ],
      }),
    }),
  );
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: 'CyberSentriqKmsAccess',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'kms:Encrypt',
              'kms:Decrypt',
              'kms:GenerateDataKey',
              'kms:DescribeKey',
              'kms:ListGrants',
              'kms:RetireGrant',
            ],
            Resource: keyArn,
          },
        ],
      }),
    }),
  );
  return { keyArn, roleArn: role.Role!.Arn!, kms };
}
