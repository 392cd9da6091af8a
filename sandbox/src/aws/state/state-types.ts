/** Persistent state of the AWS stand-in, stored as JSON in the state directory. Times are epoch milliseconds. */
export interface AwsState {
  formatVersion: 1;
  users: UserRecord[];
  /** Roles by ARN, each with its versions so that changes can take effect after the IAM propagation delay. */
  roles: Record<string, Versioned<RoleRecord>>;
  sessions: SessionRecord[];
  keys: KeyRecord[];
  aliases: AliasRecord[];
  grants: GrantRecord[];
}

/** Successive values of an IAM entity; `value: null` records a deletion. */
export interface Versioned<T> {
  versions: Array<{ effectiveFrom: number; value: T | null }>;
}

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface UserRecord {
  accountId: string;
  userName: string;
  userId: string;
  path: string;
  arn: string;
  createDate: number;
  accessKeys: AccessKey[];
  /** Inline identity policies: name to JSON text. */
  policies: Record<string, string>;
  /** True for the account's root user, which has every permission inside its own account. */
  isRoot?: boolean;
}

export interface RoleRecord {
  accountId: string;
  roleName: string;
  roleId: string;
  path: string;
  arn: string;
  createDate: number;
  description?: string;
  maxSessionDuration: number;
  trustPolicy: string;
  policies: Record<string, string>;
  tags: Array<{ Key: string; Value: string }>;
}

export interface SessionRecord extends AccessKey {
  sessionToken: string;
  accountId: string;
  roleArn: string;
  roleId: string;
  roleName: string;
  sessionName: string;
  expiration: number;
  /** True when the session was obtained with another role session's credentials (role chaining). */
  chained: boolean;
}

export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

export interface KeyRecord {
  keyId: string;
  arn: string;
  accountId: string;
  region: string;
  creationDate: number;
  description: string;
  keySpec: string;
  keyUsage: string;
  keyState: KeyState;
  deletionDate?: number;
  pendingWindowInDays?: number;
  policy: string;
  multiRegion: boolean;
  rotationEnabled: boolean;
  rotationPeriodInDays?: number;
  tags: Array<{ TagKey: string; TagValue: string }>;
  /** Secret material: 32 random bytes (base64) for SYMMETRIC_DEFAULT and HMAC keys, a PKCS#8 PEM otherwise. */
  material: string;
}

export interface AliasRecord {
  aliasName: string;
  accountId: string;
  region: string;
  targetKeyId: string;
  creationDate: number;
  lastUpdatedDate: number;
}

export interface GrantRecord {
  grantId: string;
  grantToken: string;
  keyArn: string;
  name?: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  issuingAccount: string;
  operations: string[];
  constraints?: {
    EncryptionContextSubset?: Record<string, string>;
    EncryptionContextEquals?: Record<string, string>;
  };
  creationDate: number;
}
