import { iamId, iamRoleArn, iamUserArn, rootArn, secretAccessKey } from '../ids.js';
import type { AwsState, RoleRecord, UserRecord } from './state-types.js';

/** The platform's own account and connector user, fixed because the product's configuration defaults to them. */
export const PLATFORM_ACCOUNT_ID = '156214480941';
export const PLATFORM_USER_NAME = 'cybersentriq-kms-connector';
/** An administrator of the platform account, who creates the platform's own KMS key (not the connector). */
export const PLATFORM_ADMIN_USER_NAME = 'platform-admin';
/** A customer account; any 12 digits would do. */
export const CUSTOMER_ACCOUNT_ID = '402871635098';
export const CUSTOMER_ADMIN_USER_NAME = 'customer-admin';
export const CUSTOMER_READ_ONLY_USER_NAME = 'customer-read-only';
export const CUSTOMER_ADMIN_ROLE_NAME = 'CustomerAdministrator';

const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

/** Identity policies of the seeded principals, described in docs/sandbox.md. */
const ADMIN_POLICY = policy([{ Effect: 'Allow', Action: ['iam:*', 'kms:*', 'sts:*'], Resource: '*' }]);
const READ_ONLY_POLICY = policy([
  {
    Effect: 'Allow',
    Action: ['iam:Get*', 'iam:List*', 'kms:Describe*', 'kms:Get*', 'kms:List*', 'sts:GetCallerIdentity'],
    Resource: '*',
  },
]);
// The connector may assume roles in any account (each customer's trust policy decides) and use keys of its
// own account for the CyberSentriq-managed provider.
const PLATFORM_POLICY = policy([
  { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/*' },
  { Effect: 'Allow', Action: 'kms:*', Resource: `arn:aws:kms:*:${PLATFORM_ACCOUNT_ID}:*` },
]);

function seedUser(
  accountId: string,
  userName: string,
  policies: Record<string, string>,
  now: number,
): UserRecord {
  return {
    accountId,
    userName,
    userId: iamId('AIDA'),
    path: '/',
    arn: iamUserArn(accountId, '/', userName),
    createDate: now,
    accessKeys: [{ accessKeyId: iamId('AKIA'), secretAccessKey: secretAccessKey() }],
    policies,
  };
}

function seedRoot(accountId: string, now: number): UserRecord {
  return {
    accountId,
    userName: 'root',
    userId: accountId,
    path: '/',
    arn: rootArn(accountId),
    createDate: now,
    accessKeys: [{ accessKeyId: iamId('AKIA'), secretAccessKey: secretAccessKey() }],
    policies: {},
    isRoot: true,
  };
}

/** Creates the state of a fresh sandbox: the platform user, the customer account's principals and its admin role. */
export function seedState(now: number): AwsState {
  const adminRoleArn = iamRoleArn(CUSTOMER_ACCOUNT_ID, '/', CUSTOMER_ADMIN_ROLE_NAME);
  const adminRole: RoleRecord = {
    accountId: CUSTOMER_ACCOUNT_ID,
    roleName: CUSTOMER_ADMIN_ROLE_NAME,
    roleId: iamId('AROA'),
    path: '/',
    arn: adminRoleArn,
    createDate: now,
    description: 'Administrator role of the customer account, as a CloudShell or SSO user would hold',
    maxSessionDuration: 43_200,
    trustPolicy: policy([
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${CUSTOMER_ACCOUNT_ID}:root` },
        Action: 'sts:AssumeRole',
      },
    ]),
    policies: { AdministratorAccess: ADMIN_POLICY },
    tags: [],
  };

  return {
    formatVersion: 1,
    users: [
      seedUser(PLATFORM_ACCOUNT_ID, PLATFORM_USER_NAME, { ConnectorAccess: PLATFORM_POLICY }, now),
      seedUser(PLATFORM_ACCOUNT_ID, PLATFORM_ADMIN_USER_NAME, { AdministratorAccess: ADMIN_POLICY }, now),
      seedUser(CUSTOMER_ACCOUNT_ID, CUSTOMER_ADMIN_USER_NAME, { AdministratorAccess: ADMIN_POLICY }, now),
      seedUser(CUSTOMER_ACCOUNT_ID, CUSTOMER_READ_ONLY_USER_NAME, { ReadOnlyAccess: READ_ONLY_POLICY }, now),
      seedRoot(CUSTOMER_ACCOUNT_ID, now),
    ],
    roles: { [adminRoleArn]: { versions: [{ effectiveFrom: now, value: adminRole }] } },
    sessions: [],
    keys: [],
    aliases: [],
    grants: [],
  };
}
