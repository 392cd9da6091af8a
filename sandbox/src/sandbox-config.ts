import {
  CUSTOMER_ACCOUNT_ID,
  CUSTOMER_ADMIN_ROLE_NAME,
  CUSTOMER_ADMIN_USER_NAME,
  CUSTOMER_READ_ONLY_USER_NAME,
  PLATFORM_ACCOUNT_ID,
  PLATFORM_ADMIN_USER_NAME,
  PLATFORM_USER_NAME,
} from './aws/state/seed.js';
import type { StateStore } from './aws/state/state-store.js';
import type { UserRecord } from './aws/state/state-types.js';

export interface PrincipalCredentials {
  accountId: string;
  principalArn: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The `aws` section of sandbox.json. */
export interface AwsSandboxConfig {
  endpoint: string;
  region: string;
  platform: PrincipalCredentials;
  /** Administrator of the platform account; creates the platform KMS key for CyberSentriq-managed keys. */
  platformAdmin: PrincipalCredentials;
  customerAdmin: PrincipalCredentials;
  customerReadOnly: PrincipalCredentials;
  /** Root user of the customer account (it may not call AssumeRole, as on AWS). */
  customerRoot: PrincipalCredentials;
  customerAdminRole: { accountId: string; roleArn: string; roleName: string; assumableBy: string };
}

/** The content of DIR/sandbox.json, which other workspaces read to reach the sandbox. */
export interface SandboxConfig {
  aws: AwsSandboxConfig;
  /** Sections of the stand-ins mounted next to AWS, each under the stand-in's name. */
  [standIn: string]: unknown;
}

function credentialsOf(store: StateStore, accountId: string, userName: string): PrincipalCredentials {
  const user = store.state.users.find(
    (candidate: UserRecord) => candidate.accountId === accountId && candidate.userName === userName,
  );
  if (!user) throw new Error(`seeded user ${userName} missing from the sandbox state`);
  const key = user.accessKeys[0]!;
  return {
    accountId,
    principalArn: user.arn,
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
  };
}

export function buildSandboxConfig(store: StateStore, endpoint: string): SandboxConfig {
  const customerAdmin = credentialsOf(store, CUSTOMER_ACCOUNT_ID, CUSTOMER_ADMIN_USER_NAME);
  return {
    aws: {
      endpoint,
      region: 'us-east-1',
      platform: credentialsOf(store, PLATFORM_ACCOUNT_ID, PLATFORM_USER_NAME),
      platformAdmin: credentialsOf(store, PLATFORM_ACCOUNT_ID, PLATFORM_ADMIN_USER_NAME),
      customerAdmin,
      customerReadOnly: credentialsOf(store, CUSTOMER_ACCOUNT_ID, CUSTOMER_READ_ONLY_USER_NAME),
      customerRoot: credentialsOf(store, CUSTOMER_ACCOUNT_ID, 'root'),
      customerAdminRole: {
        accountId: CUSTOMER_ACCOUNT_ID,
        roleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT_ID}:role/${CUSTOMER_ADMIN_ROLE_NAME}`,
        roleName: CUSTOMER_ADMIN_ROLE_NAME,
        assumableBy: customerAdmin.principalArn,
      },
    },
  };
}
