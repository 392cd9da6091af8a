import { randomBytes, randomInt, randomUUID } from 'node:crypto';

const UPPER_ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Returns an IAM-style unique id or access key id: a 4-letter prefix (AKIA, ASIA, AIDA, AROA) and 16 characters. */
export function iamId(prefix: string): string {
  let id = prefix;
  for (let i = 0; i < 16; i++) id += UPPER_ALPHANUMERIC[randomInt(UPPER_ALPHANUMERIC.length)];
  return id;
}

export function secretAccessKey(): string {
  return randomBytes(30)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 40);
}

/** Session tokens are opaque to clients; AWS issues several hundred characters of base64. */
export function sessionToken(): string {
  return `IQoJb3JpZ2luX2Vj${randomBytes(180).toString('base64')}`;
}

export function requestId(): string {
  return randomUUID();
}

export function keyId(): string {
  return randomUUID();
}

export function grantId(): string {
  return randomBytes(32).toString('hex');
}

export const iamUserArn = (accountId: string, path: string, name: string) =>
  `arn:aws:iam::${accountId}:user${path}${name}`;
export const iamRoleArn = (accountId: string, path: string, name: string) =>
  `arn:aws:iam::${accountId}:role${path}${name}`;
export const rootArn = (accountId: string) => `arn:aws:iam::${accountId}:root`;
export const assumedRoleArn = (accountId: string, roleName: string, sessionName: string) =>
  `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
export const kmsKeyArn = (region: string, accountId: string, id: string) =>
  `arn:aws:kms:${region}:${accountId}:key/${id}`;
export const kmsAliasArn = (region: string, accountId: string, aliasName: string) =>
  `arn:aws:kms:${region}:${accountId}:${aliasName}`;
