import { randomBytes } from 'node:crypto';
import { kmsError } from '../aws-error.js';
import type { AwsOperation } from '../aws-service.js';
import { grantId as newGrantId, rootArn } from '../ids.js';
import type { GrantRecord } from '../state/state-types.js';
import { requireKeyAccess, requireNotPendingDeletion, resolveKey } from './kms-keys.js';
import { type JsonParams, optionalString, requiredString, validationException } from './kms-params.js';

export const GRANT_OPERATIONS = [
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncryptFrom',
  'ReEncryptTo',
  'Sign',
  'Verify',
  'GetPublicKey',
  'CreateGrant',
  'RetireGrant',
  'DescribeKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateMac',
  'VerifyMac',
  'DeriveSharedSecret',
];

const PRINCIPAL_PATTERN = /^arn:aws:(iam::\d{12}:(root|user\/.+|role\/.+)|sts::\d{12}:assumed-role\/.+)$/;

function parseOperations(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw validationException(
      "1 validation error detected: Value null at 'operations' failed to satisfy constraint: Member must not be null",
    );
  }
  for (const operation of value) {
    if (typeof operation !== 'string' || !GRANT_OPERATIONS.includes(operation)) {
      throw validationException(
        `1 validation error detected: Value '[${String(operation)}]' at 'operations' failed to satisfy constraint: Member must satisfy enum value set: [${GRANT_OPERATIONS.join(', ')}]`,
      );
    }
  }
  return value as string[];
}

function parseConstraints(value: unknown): GrantRecord['constraints'] {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw kmsError('SerializationException', 'Constraints must be a structure.');
  const { EncryptionContextSubset, EncryptionContextEquals } = value as Record<string, unknown>;
  const constraints: NonNullable<GrantRecord['constraints']> = {};
  if (EncryptionContextSubset)
    constraints.EncryptionContextSubset = EncryptionContextSubset as Record<string, string>;
  if (EncryptionContextEquals)
    constraints.EncryptionContextEquals = EncryptionContextEquals as Record<string, string>;
  return constraints;
}

function grantOutput(grant: GrantRecord) {
  return {
    KeyId: grant.keyArn,
    GrantId: grant.grantId,
    Name: grant.name,
    CreationDate: grant.creationDate / 1000,
    GranteePrincipal: grant.granteePrincipal,
    RetiringPrincipal: grant.retiringPrincipal,
    IssuingAccount: rootArn(grant.issuingAccount),
    Operations: grant.operations,
    Constraints: grant.constraints,
  };
}

export const grantOperations: Record<string, AwsOperation<JsonParams>> = {
  CreateGrant: {
    changesState: true,
    handle(context, params) {
      const reference = resolveKey(context, requiredString(params, 'KeyId'), { allowAlias: false });
      const granteePrincipal = requiredString(params, 'GranteePrincipal');
      const retiringPrincipal = optionalString(params, 'RetiringPrincipal');
      const operations = parseOperations(params.Operations);
      for (const principal of [granteePrincipal, retiringPrincipal]) {
        if (principal !== undefined && !PRINCIPAL_PATTERN.test(principal)) {
          throw validationException(`Invalid principal ${principal}`);
        }
      }
      const extraKeys = new Map<string, string[]>([
        ['kms:grantoperations', operations],
        ['kms:granteeprincipal', [granteePrincipal]],
      ]);
      if (retiringPrincipal !== undefined) extraKeys.set('kms:retiringprincipal', [retiringPrincipal]);
      const constraints = parseConstraints(params.Constraints);
      if (constraints?.EncryptionContextEquals)
        extraKeys.set('kms:grantconstrainttype', ['EncryptionContextEquals']);
      if (constraints?.EncryptionContextSubset)
        extraKeys.set('kms:grantconstrainttype', ['EncryptionContextSubset']);
      const key = requireKeyAccess(context, reference, { operation: 'CreateGrant', extraKeys });
      requireNotPendingDeletion(key);

      const grant: GrantRecord = {
        grantId: newGrantId(),
        grantToken: randomBytes(48).toString('base64url'),
        keyArn: key.arn,
        name: optionalString(params, 'Name'),
        granteePrincipal,
        retiringPrincipal,
        issuingAccount: context.caller.accountId,
        operations,
        constraints,
        creationDate: context.now,
      };
      context.store.state.grants.push(grant);
      return { GrantToken: grant.grantToken, GrantId: grant.grantId };
    },
  },

  ListGrants: {
    handle(context, params) {
      const reference = resolveKey(context, requiredString(params, 'KeyId'), { allowAlias: false });
      const key = requireKeyAccess(context, reference, { operation: 'ListGrants' });
      const grantId = optionalString(params, 'GrantId');
      const grantee = optionalString(params, 'GranteePrincipal');
      const grants = context.store.state.grants.filter(
        (grant) =>
          grant.keyArn === key.arn &&
          (grantId === undefined || grant.grantId === grantId) &&
          (grantee === undefined || grant.granteePrincipal === grantee),
      );
      return { Grants: grants.map(grantOutput), Truncated: false };
    },
  },

  RetireGrant: {
    changesState: true,
    handle(context, params) {
      const token = optionalString(params, 'GrantToken');
      const keyIdParam = optionalString(params, 'KeyId');
      const grantIdParam = optionalString(params, 'GrantId');
      const { state } = context.store;
      let grant: GrantRecord | undefined;
      if (token !== undefined) {
        grant = state.grants.find((candidate) => candidate.grantToken === token);
        if (!grant) throw kmsError('InvalidGrantTokenException', 'Invalid grant token.');
      } else {
        if (keyIdParam === undefined || grantIdParam === undefined) {
          throw validationException('Either GrantToken, or both KeyId and GrantId, must be specified.');
        }
        const reference = resolveKey(context, keyIdParam, { allowAlias: false });
        grant = state.grants.find(
          (candidate) => candidate.keyArn === reference.arn && candidate.grantId === grantIdParam,
        );
        if (!grant) throw kmsError('NotFoundException', `Grant ID ${grantIdParam} not found`);
      }

      // The retiring principal, or a grantee whose grant includes RetireGrant, may retire a grant; anyone
      // else needs kms:RetireGrant from the key policy or IAM policies.
      const names = context.caller.identity.arns;
      const mayRetire =
        (grant.retiringPrincipal !== undefined && names.includes(grant.retiringPrincipal)) ||
        (names.includes(grant.granteePrincipal) && grant.operations.includes('RetireGrant'));
      if (!mayRetire) {
        const reference = resolveKey(context, grant.keyArn, { allowAlias: false });
        requireKeyAccess(context, reference, { operation: 'RetireGrant' });
      }
      const retired = grant;
      state.grants = state.grants.filter((candidate) => candidate !== retired);
      return undefined;
    },
  },

  RevokeGrant: {
    changesState: true,
    handle(context, params) {
      const reference = resolveKey(context, requiredString(params, 'KeyId'), { allowAlias: false });
      const grantIdParam = requiredString(params, 'GrantId');
      const key = requireKeyAccess(context, reference, { operation: 'RevokeGrant' });
      const { state } = context.store;
      const grant = state.grants.find(
        (candidate) => candidate.keyArn === key.arn && candidate.grantId === grantIdParam,
      );
      if (!grant) throw kmsError('NotFoundException', `Grant ID ${grantIdParam} not found`);
      state.grants = state.grants.filter((candidate) => candidate !== grant);
      return undefined;
    },
  },
};
