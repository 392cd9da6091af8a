import { PolicySyntaxError, parsePolicy, parseStoredPolicy } from '../../policy/policy-parse.js';
import type { PolicyDocument } from '../../policy/policy-types.js';
import { type AccessCheck, accessDeniedMessage, decide } from '../access.js';
import { kmsError } from '../aws-error.js';
import type { AwsRequestContext } from '../aws-service.js';
import { kmsKeyArn } from '../ids.js';
import type { GrantRecord, KeyRecord } from '../state/state-types.js';
import type { EncryptionContext } from './kms-crypto.js';

/** Key usages each key spec allows; the first is the default when CreateKey names none. */
export const KEY_SPEC_USAGES: Record<string, string[]> = {
  SYMMETRIC_DEFAULT: ['ENCRYPT_DECRYPT'],
  RSA_2048: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  RSA_3072: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  RSA_4096: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  ECC_NIST_P256: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_NIST_P384: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_NIST_P521: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_SECG_P256K1: ['SIGN_VERIFY'],
  HMAC_224: ['GENERATE_VERIFY_MAC'],
  HMAC_256: ['GENERATE_VERIFY_MAC'],
  HMAC_384: ['GENERATE_VERIFY_MAC'],
  HMAC_512: ['GENERATE_VERIFY_MAC'],
};

const RSA_SIGNING = [
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
];
const ECC_SIGNING: Record<string, string[]> = {
  ECC_NIST_P256: ['ECDSA_SHA_256'],
  ECC_NIST_P384: ['ECDSA_SHA_384'],
  ECC_NIST_P521: ['ECDSA_SHA_512'],
  ECC_SECG_P256K1: ['ECDSA_SHA_256'],
};

export function encryptionAlgorithms(key: KeyRecord): string[] | undefined {
  if (key.keyUsage !== 'ENCRYPT_DECRYPT') return undefined;
  return key.keySpec === 'SYMMETRIC_DEFAULT'
    ? ['SYMMETRIC_DEFAULT']
    : ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'];
}

function signingAlgorithms(key: KeyRecord): string[] | undefined {
  if (key.keyUsage !== 'SIGN_VERIFY') return undefined;
  return key.keySpec.startsWith('RSA_') ? RSA_SIGNING : ECC_SIGNING[key.keySpec];
}

/** KeyMetadata as DescribeKey and CreateKey return it; timestamps in epoch seconds, as JSON 1.1 sends them. */
export function keyMetadata(key: KeyRecord) {
  return {
    AWSAccountId: key.accountId,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: key.creationDate / 1000,
    Enabled: key.keyState === 'Enabled',
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: key.keyState,
    DeletionDate: key.deletionDate === undefined ? undefined : key.deletionDate / 1000,
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: key.keySpec,
    KeySpec: key.keySpec,
    EncryptionAlgorithms: encryptionAlgorithms(key),
    SigningAlgorithms: signingAlgorithms(key),
    MacAlgorithms:
      key.keyUsage === 'GENERATE_VERIFY_MAC' ? [`HMAC_SHA_${key.keySpec.slice('HMAC_'.length)}`] : undefined,
    KeyAgreementAlgorithms: key.keyUsage === 'KEY_AGREEMENT' ? ['ECDH'] : undefined,
    MultiRegion: key.multiRegion,
    MultiRegionConfiguration: key.multiRegion
      ? { MultiRegionKeyType: 'PRIMARY', PrimaryKey: { Arn: key.arn, Region: key.region }, ReplicaKeys: [] }
      : undefined,
  };
}

/** A resolved KeyId: the key (undefined if it does not exist) and the ARN the request named or implied. */
export interface KeyReference {
  key: KeyRecord | undefined;
  arn: string;
  accountId: string;
  viaAlias?: string;
}

const KEY_ARN_PATTERN = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):key\/([A-Za-z0-9-]+)$/;
const ALIAS_ARN_PATTERN = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):(alias\/.+)$/;

/** Removes keys whose deletion date has passed, with their aliases and grants, as KMS does after the waiting period. */
export function purgeDeletedKeys(context: AwsRequestContext): void {
  const { state } = context.store;
  const expired = state.keys.filter(
    (key) => key.keyState === 'PendingDeletion' && (key.deletionDate ?? Infinity) <= context.now,
  );
  if (expired.length === 0) return;
  const arns = new Set(expired.map((key) => key.arn));
  const ids = new Set(expired.map((key) => key.keyId));
  state.keys = state.keys.filter((key) => !arns.has(key.arn));
  state.aliases = state.aliases.filter((alias) => !ids.has(alias.targetKeyId));
  state.grants = state.grants.filter((grant) => !arns.has(grant.keyArn));
  context.store.save();
}

/**
 * Resolves a KeyId (key id, key ARN, alias name, alias ARN) as KMS does. Key ids and alias names refer to
 * the caller's account in the request's region. ARNs may name another account, and an ARN of another
 * region names no key here.
 */
export function resolveKey(
  context: AwsRequestContext,
  keyId: string,
  options: { allowAlias: boolean },
): KeyReference {
  purgeDeletedKeys(context);
  const { state } = context.store;
  const { region } = context;
  const callerAccount = context.caller.accountId;

  let accountId = callerAccount;
  let aliasName: string | undefined;
  let id: string | undefined;
  const keyArnMatch = KEY_ARN_PATTERN.exec(keyId);
  const aliasArnMatch = ALIAS_ARN_PATTERN.exec(keyId);
  if (keyArnMatch) {
    if (keyArnMatch[1] !== region) throw kmsError('NotFoundException', `Invalid arn ${keyArnMatch[1]}`);
    accountId = keyArnMatch[2]!;
    id = keyArnMatch[3];
  } else if (aliasArnMatch) {
    if (aliasArnMatch[1] !== region) throw kmsError('NotFoundException', `Invalid arn ${aliasArnMatch[1]}`);
    accountId = aliasArnMatch[2]!;
    aliasName = aliasArnMatch[3];
  } else if (keyId.startsWith('alias/')) {
    aliasName = keyId;
  } else if (
    /^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.test(keyId)
  ) {
    id = keyId;
  } else {
    throw kmsError('NotFoundException', `Invalid keyId '${keyId}'`);
  }

  if (aliasName !== undefined) {
    if (!options.allowAlias) throw kmsError('NotFoundException', `Invalid keyId '${keyId}'`);
    const alias = state.aliases.find(
      (a) => a.aliasName === aliasName && a.accountId === accountId && a.region === region,
    );
    if (!alias) {
      if (accountId !== callerAccount) return { key: undefined, arn: keyId, accountId, viaAlias: aliasName };
      throw kmsError(
        'NotFoundException',
        `Alias arn:aws:kms:${region}:${accountId}:${aliasName} is not found.`,
      );
    }
    id = alias.targetKeyId;
  }

  const arn = kmsKeyArn(region, accountId, id!);
  const key = state.keys.find((candidate) => candidate.arn === arn);
  if (!key && accountId === callerAccount) throw kmsError('NotFoundException', `Key '${arn}' does not exist`);
  return { key, arn, accountId, viaAlias: aliasName };
}

export function parseKeyPolicy(text: string): PolicyDocument {
  try {
    return parsePolicy(text, 'key');
  } catch (error) {
    if (error instanceof PolicySyntaxError) throw kmsError('MalformedPolicyDocumentException', error.message);
    throw error;
  }
}

/** Condition keys that describe the key itself, present in every KMS request on a key. */
function keyContextKeys(
  context: AwsRequestContext,
  key: KeyRecord,
  reference: KeyReference,
): Map<string, string[]> {
  const aliases = context.store.state.aliases
    .filter(
      (alias) =>
        alias.targetKeyId === key.keyId && alias.accountId === key.accountId && alias.region === key.region,
    )
    .map((alias) => alias.aliasName);
  const keys = new Map<string, string[]>([
    ['kms:calleraccount', [context.caller.accountId]],
    ['kms:keyspec', [key.keySpec]],
    ['kms:keyusage', [key.keyUsage]],
    ['kms:keyorigin', ['AWS_KMS']],
    ['kms:multiregion', [String(key.multiRegion)]],
  ]);
  if (aliases.length > 0) keys.set('kms:resourcealiases', aliases);
  if (reference.viaAlias) keys.set('kms:requestalias', [reference.viaAlias]);
  return keys;
}

export function encryptionContextKeys(
  encryptionContext: EncryptionContext | undefined,
): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  const entries = Object.entries(encryptionContext ?? {});
  for (const [name, value] of entries) keys.set(`kms:encryptioncontext:${name.toLowerCase()}`, [value]);
  if (entries.length > 0)
    keys.set(
      'kms:encryptioncontextkeys',
      entries.map(([name]) => name),
    );
  return keys;
}

function lowerCaseKeys(pairs: EncryptionContext): Map<string, string> {
  return new Map(Object.entries(pairs).map(([name, value]) => [name.toLowerCase(), value]));
}

function grantAllows(
  context: AwsRequestContext,
  grant: GrantRecord,
  operation: string,
  encryptionContext?: EncryptionContext,
): boolean {
  if (!grant.operations.includes(operation)) return false;
  if (!context.caller.identity.arns.includes(grant.granteePrincipal)) return false;
  const constraints = grant.constraints;
  if (!constraints || encryptionContext === undefined) return true;

  // Grant constraints compare context keys case-insensitively and values case-sensitively, as KMS documents.
  const actual = lowerCaseKeys(encryptionContext);
  if (constraints.EncryptionContextEquals) {
    const expected = lowerCaseKeys(constraints.EncryptionContextEquals);
    if (actual.size !== expected.size) return false;
    return [...expected].every(([name, value]) => actual.get(name) === value);
  }
  if (constraints.EncryptionContextSubset) {
    return [...lowerCaseKeys(constraints.EncryptionContextSubset)].every(
      ([name, value]) => actual.get(name) === value,
    );
  }
  return true;
}

/** Operations whose `DryRun` parameter KMS honours (grant operations and cryptographic operations). */
const DRY_RUN_OPERATIONS = new Set([
  'Encrypt',
  'Decrypt',
  'ReEncryptTo',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'CreateGrant',
  'RetireGrant',
  'RevokeGrant',
]);

export interface KeyAccess {
  /** The KMS operation, which is also the grant operation name (for example Decrypt, ReEncryptFrom). */
  operation: string;
  encryptionContext?: EncryptionContext;
  extraKeys?: Map<string, string[]>;
}

/**
 * Requires the caller to be allowed `kms:<operation>` on the key by its key policy, the caller's IAM
 * policies (when the key policy delegates to the account) or a grant. A key of another account that does
 * not exist is reported as AccessDeniedException, because KMS does not reveal keys to other accounts.
 */
export function requireKeyAccess(
  context: AwsRequestContext,
  reference: KeyReference,
  access: KeyAccess,
): KeyRecord {
  const action = `kms:${access.operation}`;
  const check: AccessCheck = { action, resource: reference.arn, resourceAccountId: reference.accountId };
  const key = reference.key;
  if (!key) throw kmsError('AccessDeniedException', accessDeniedMessage(context, check, 'no-resource-allow'));

  const contextKeys = keyContextKeys(context, key, reference);
  for (const [name, values] of encryptionContextKeys(access.encryptionContext)) contextKeys.set(name, values);
  for (const [name, values] of access.extraKeys ?? []) contextKeys.set(name, values);
  check.contextKeys = contextKeys;
  check.resourcePolicy = parseStoredPolicy(key.policy, 'key');
  check.grantAllows = context.store.state.grants.some(
    (grant) =>
      grant.keyArn === key.arn && grantAllows(context, grant, access.operation, access.encryptionContext),
  );

  const decision = decide(context, check);
  if (!decision.allowed)
    throw kmsError('AccessDeniedException', accessDeniedMessage(context, check, decision.reason));
  // ReEncrypt checks its destination key after the source, so its dry run ends at ReEncryptTo.
  if (context.dryRun && DRY_RUN_OPERATIONS.has(access.operation)) {
    throw kmsError(
      'DryRunOperationException',
      'The request would have succeeded, but the DryRun option is set.',
    );
  }
  return key;
}

/** Cryptographic operations need an enabled key: DisabledException or KMSInvalidStateException otherwise. */
export function requireUsable(key: KeyRecord): void {
  if (key.keyState === 'Disabled') throw kmsError('DisabledException', `${key.arn} is disabled.`);
  if (key.keyState === 'PendingDeletion')
    throw kmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
}

export function requireNotPendingDeletion(key: KeyRecord): void {
  if (key.keyState === 'PendingDeletion')
    throw kmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
}
