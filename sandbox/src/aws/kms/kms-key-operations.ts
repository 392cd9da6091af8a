import { authorize } from '../../policy/authorize.js';
import { accountOfPrincipalValue } from '../../policy/policy-evaluate.js';
import type { PolicyDocument } from '../../policy/policy-types.js';
import { requireAccess } from '../access.js';
import { kmsError } from '../aws-error.js';
import type { AwsOperation, AwsRequestContext } from '../aws-service.js';
import { globalContextKeys, identityPoliciesOf } from '../caller.js';
import { principalExists } from '../iam/iam-service.js';
import { kmsKeyArn, keyId as newKeyId } from '../ids.js';
import type { KeyRecord } from '../state/state-types.js';
import { generateMaterial } from './kms-crypto.js';
import {
  KEY_SPEC_USAGES,
  keyMetadata,
  parseKeyPolicy,
  requireKeyAccess,
  requireNotPendingDeletion,
  resolveKey,
} from './kms-keys.js';
import {
  type JsonParams,
  oneOf,
  optionalBoolean,
  optionalInteger,
  optionalString,
  requiredString,
  validationException,
} from './kms-params.js';

const defaultKeyPolicy = (accountId: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  });

/**
 * Validates a key policy as KMS does on CreateKey and PutKeyPolicy: syntax, principals that exist, and
 * (unless bypassed) that the caller could still change the policy afterwards.
 */
function checkKeyPolicy(
  context: AwsRequestContext,
  text: string,
  keyArn: string,
  bypassLockoutCheck: boolean,
): PolicyDocument {
  if (text.length > 32_768)
    throw validationException('Key policy exceeds the maximum size of 32768 characters.');
  const document = parseKeyPolicy(text);
  for (const statement of document.statements) {
    const block = statement.principal ?? statement.notPrincipal;
    if (!block || block === '*') continue;
    for (const value of block.AWS ?? []) {
      if (value === '*' || accountOfPrincipalValue(value) !== undefined) continue;
      if (!principalExists(context.store, value)) {
        throw kmsError(
          'MalformedPolicyDocumentException',
          'Policy contains a statement with one or more invalid principals.',
        );
      }
    }
  }
  if (bypassLockoutCheck) return document;

  const decision = authorize({
    request: {
      action: 'kms:PutKeyPolicy',
      resource: keyArn,
      principal: context.caller.identity,
      contextKeys: globalContextKeys(context.caller, context.region, context.now, context.sourceIp),
    },
    resourceAccountId: context.caller.accountId,
    identityPolicies: identityPoliciesOf(context.caller, context.store),
    resourcePolicy: document,
  });
  if (!decision.allowed) {
    throw kmsError(
      'MalformedPolicyDocumentException',
      'The new key policy will not allow you to update the key policy in the future.',
    );
  }
  return document;
}

function keyArnOnly(
  context: AwsRequestContext,
  params: JsonParams,
  operation: string,
  allowAlias = false,
): KeyRecord {
  const reference = resolveKey(context, requiredString(params, 'KeyId'), { allowAlias });
  return requireKeyAccess(context, reference, { operation });
}

function parseTags(value: unknown): Array<{ TagKey: string; TagValue: string }> {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw kmsError('SerializationException', 'Tags must be a list.');
  return value.map((tag) => {
    if (typeof tag?.TagKey !== 'string' || typeof tag?.TagValue !== 'string') {
      throw kmsError('TagException', 'Each tag needs a TagKey and a TagValue string.');
    }
    return { TagKey: tag.TagKey, TagValue: tag.TagValue };
  });
}

export const keyOperations: Record<string, AwsOperation<JsonParams>> = {
  CreateKey: {
    changesState: true,
    handle(context, params) {
      const keySpec =
        oneOf(
          optionalString(params, 'KeySpec') ?? optionalString(params, 'CustomerMasterKeySpec'),
          'KeySpec',
          Object.keys(KEY_SPEC_USAGES),
        ) ?? 'SYMMETRIC_DEFAULT';
      const allowedUsages = KEY_SPEC_USAGES[keySpec]!;
      const keyUsage =
        oneOf(optionalString(params, 'KeyUsage'), 'KeyUsage', [
          'ENCRYPT_DECRYPT',
          'SIGN_VERIFY',
          'GENERATE_VERIFY_MAC',
          'KEY_AGREEMENT',
        ]) ?? 'ENCRYPT_DECRYPT';
      if (!allowedUsages.includes(keyUsage)) {
        throw validationException(`KeyUsage ${keyUsage} is not compatible with KeySpec ${keySpec}`);
      }
      const origin = optionalString(params, 'Origin') ?? 'AWS_KMS';
      if (origin !== 'AWS_KMS')
        throw kmsError(
          'UnsupportedOperationException',
          `The sandbox supports only Origin AWS_KMS, not ${origin}.`,
        );
      if (optionalString(params, 'CustomKeyStoreId') !== undefined) {
        throw kmsError('UnsupportedOperationException', 'The sandbox does not emulate custom key stores.');
      }
      const multiRegion = optionalBoolean(params, 'MultiRegion') ?? false;
      const description = optionalString(params, 'Description') ?? '';
      if (description.length > 8192) throw validationException('Description exceeds 8192 characters.');

      const { accountId } = context.caller;
      requireAccess(context, { action: 'kms:CreateKey', resource: '*', resourceAccountId: accountId }, 'kms');

      const id = multiRegion ? `mrk-${newKeyId().replace(/-/g, '')}` : newKeyId();
      const arn = kmsKeyArn(context.region, accountId, id);
      const policy = optionalString(params, 'Policy') ?? defaultKeyPolicy(accountId);
      checkKeyPolicy(
        context,
        policy,
        arn,
        optionalBoolean(params, 'BypassPolicyLockoutSafetyCheck') ?? false,
      );

      const key: KeyRecord = {
        keyId: id,
        arn,
        accountId,
        region: context.region,
        creationDate: context.now,
        description,
        keySpec,
        keyUsage,
        keyState: 'Enabled',
        policy,
        multiRegion,
        rotationEnabled: false,
        tags: parseTags(params.Tags),
        material: generateMaterial(keySpec),
      };
      context.store.state.keys.push(key);
      return { KeyMetadata: keyMetadata(key) };
    },
  },

  DescribeKey: {
    handle(context, params) {
      const reference = resolveKey(context, requiredString(params, 'KeyId'), { allowAlias: true });
      const key = requireKeyAccess(context, reference, { operation: 'DescribeKey' });
      return { KeyMetadata: keyMetadata(key) };
    },
  },

  ListKeys: {
    handle(context, params) {
      requireAccess(
        context,
        { action: 'kms:ListKeys', resource: '*', resourceAccountId: context.caller.accountId },
        'kms',
      );
      const limit = optionalInteger(params, 'Limit');
      if (limit !== undefined && (limit < 1 || limit > 1000))
        throw validationException('Limit must be between 1 and 1000.');
      const keys = context.store.state.keys.filter(
        (key) => key.accountId === context.caller.accountId && key.region === context.region,
      );
      return { Keys: keys.map((key) => ({ KeyId: key.keyId, KeyArn: key.arn })), Truncated: false };
    },
  },

  EnableKey: {
    changesState: true,
    handle(context, params) {
      const key = keyArnOnly(context, params, 'EnableKey');
      requireNotPendingDeletion(key);
      key.keyState = 'Enabled';
      return undefined;
    },
  },

  DisableKey: {
    changesState: true,
    handle(context, params) {
      const key = keyArnOnly(context, params, 'DisableKey');
      requireNotPendingDeletion(key);
      key.keyState = 'Disabled';
      return undefined;
    },
  },

  ScheduleKeyDeletion: {
    changesState: true,
    handle(context, params) {
      const key = keyArnOnly(context, params, 'ScheduleKeyDeletion');
      const days = optionalInteger(params, 'PendingWindowInDays') ?? 30;
      if (days < 7 || days > 30) {
        throw validationException(
          `1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 30 and greater than or equal to 7`,
        );
      }
      requireNotPendingDeletion(key);
      key.keyState = 'PendingDeletion';
      key.deletionDate = context.now + days * 24 * 3600 * 1000;
      key.pendingWindowInDays = days;
      return {
        KeyId: key.arn,
        DeletionDate: key.deletionDate / 1000,
        KeyState: key.keyState,
        PendingWindowInDays: days,
      };
    },
  },

  CancelKeyDeletion: {
    changesState: true,
    handle(context, params) {
      const key = keyArnOnly(context, params, 'CancelKeyDeletion');
      if (key.keyState !== 'PendingDeletion')
        throw kmsError('KMSInvalidStateException', `${key.arn} is not pending deletion.`);
      key.keyState = 'Disabled';
      key.deletionDate = undefined;
      key.pendingWindowInDays = undefined;
      return { KeyId: key.arn };
    },
  },

  EnableKeyRotation: {
    changesState: true,
    handle(context, params) {
      const key = keyArnOnly(context, params, 'EnableKeyRotation');
      const period = optionalInteger(params, 'RotationPeriodInDays') ?? 365;
      if (period < 90 || period > 2560) {
        throw validationException('RotationPeriodInDays must be between 90 and 2560.');
      }
      if (key.keySpec !== 'SYMMETRIC_DEFAULT') {
        throw kmsError('UnsupportedOperationException', `${key.arn} key type does not support key rotation.`);
      }
      if (key.keyState === 'Disabled') throw kmsError('DisabledException', `${key.arn} is disabled.`);
      requireNotPendingDeletion(key);
      key.rotationEnabled = true;
      key.rotationPeriodInDays = period;
      return undefined;
    },
  },

  DisableKeyRotation: {
    changesState: true,
    handle(context, params) {
      const key = keyArnOnly(context, params, 'DisableKeyRotation');
      if (key.keySpec !== 'SYMMETRIC_DEFAULT') {
        throw kmsError('UnsupportedOperationException', `${key.arn} key type does not support key rotation.`);
      }
      if (key.keyState === 'Disabled') throw kmsError('DisabledException', `${key.arn} is disabled.`);
      requireNotPendingDeletion(key);
      key.rotationEnabled = false;
      key.rotationPeriodInDays = undefined;
      return undefined;
    },
  },

  GetKeyRotationStatus: {
    handle(context, params) {
      const key = keyArnOnly(context, params, 'GetKeyRotationStatus');
      if (key.keySpec !== 'SYMMETRIC_DEFAULT') {
        throw kmsError('UnsupportedOperationException', `${key.arn} key type does not support key rotation.`);
      }
      // NOTE: rotation is recorded but never performed; one key material version serves every ciphertext.
      const nextRotation = key.rotationEnabled
        ? (key.creationDate + (key.rotationPeriodInDays ?? 365) * 24 * 3600 * 1000) / 1000
        : undefined;
      return {
        KeyRotationEnabled: key.rotationEnabled,
        KeyId: key.arn,
        RotationPeriodInDays: key.rotationEnabled ? key.rotationPeriodInDays : undefined,
        NextRotationDate: nextRotation,
      };
    },
  },

  GetKeyPolicy: {
    handle(context, params) {
      const key = keyArnOnly(context, params, 'GetKeyPolicy');
      const policyName = optionalString(params, 'PolicyName') ?? 'default';
      if (policyName !== 'default')
        throw kmsError('NotFoundException', `No such policy exists: ${policyName}`);
      return { Policy: key.policy, PolicyName: 'default' };
    },
  },

  ListKeyPolicies: {
    handle(context, params) {
      keyArnOnly(context, params, 'ListKeyPolicies');
      return { PolicyNames: ['default'], Truncated: false };
    },
  },

  PutKeyPolicy: {
    changesState: true,
    handle(context, params) {
      const key = keyArnOnly(context, params, 'PutKeyPolicy');
      const policyName = optionalString(params, 'PolicyName') ?? 'default';
      if (policyName !== 'default')
        throw validationException(`PolicyName must be default, not ${policyName}.`);
      const policy = requiredString(params, 'Policy');
      checkKeyPolicy(
        context,
        policy,
        key.arn,
        optionalBoolean(params, 'BypassPolicyLockoutSafetyCheck') ?? false,
      );
      requireNotPendingDeletion(key);
      key.policy = policy;
      return undefined;
    },
  },

  UpdateKeyDescription: {
    changesState: true,
    handle(context, params) {
      const key = keyArnOnly(context, params, 'UpdateKeyDescription');
      const description = requiredString(params, 'Description');
      requireNotPendingDeletion(key);
      key.description = description;
      return undefined;
    },
  },

  TagResource: {
    changesState: true,
    handle(context, params) {
      const key = keyArnOnly(context, params, 'TagResource');
      requireNotPendingDeletion(key);
      for (const tag of parseTags(params.Tags)) {
        key.tags = [...key.tags.filter((old) => old.TagKey !== tag.TagKey), tag];
      }
      return undefined;
    },
  },

  UntagResource: {
    changesState: true,
    handle(context, params) {
      const key = keyArnOnly(context, params, 'UntagResource');
      const names = params.TagKeys;
      if (!Array.isArray(names)) throw kmsError('SerializationException', 'TagKeys must be a list.');
      requireNotPendingDeletion(key);
      key.tags = key.tags.filter((tag) => !names.includes(tag.TagKey));
      return undefined;
    },
  },

  ListResourceTags: {
    handle(context, params) {
      const key = keyArnOnly(context, params, 'ListResourceTags');
      return { Tags: key.tags, Truncated: false };
    },
  },
};
