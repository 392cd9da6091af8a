import { requireAccess } from '../access.js';
import { kmsError } from '../aws-error.js';
import type { AwsOperation, AwsRequestContext } from '../aws-service.js';
import { kmsAliasArn } from '../ids.js';
import type { AliasRecord } from '../state/state-types.js';
import { requireKeyAccess, requireNotPendingDeletion, resolveKey } from './kms-keys.js';
import { type JsonParams, optionalInteger, optionalString, requiredString } from './kms-params.js';

const ALIAS_NAME_PATTERN = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;

function aliasName(params: JsonParams): string {
  const name = requiredString(params, 'AliasName');
  if (!ALIAS_NAME_PATTERN.test(name)) {
    throw kmsError(
      'ValidationException',
      `Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html`,
    );
  }
  if (name.startsWith('alias/aws/'))
    throw kmsError(
      'NotAuthorizedException',
      'Cannot create, update or delete an alias with the prefix alias/aws/.',
    );
  return name;
}

function findAlias(context: AwsRequestContext, name: string): AliasRecord | undefined {
  return context.store.state.aliases.find(
    (alias) =>
      alias.aliasName === name &&
      alias.accountId === context.caller.accountId &&
      alias.region === context.region,
  );
}

/** Alias operations need permission on the alias (identity policies) and on the key (key policy). */
function requireAliasAccess(context: AwsRequestContext, action: string, name: string): void {
  const resource = kmsAliasArn(context.region, context.caller.accountId, name);
  requireAccess(context, { action, resource, resourceAccountId: context.caller.accountId }, 'kms');
}

function targetKey(context: AwsRequestContext, params: JsonParams, operation: string) {
  const reference = resolveKey(context, requiredString(params, 'TargetKeyId'), { allowAlias: false });
  if (reference.accountId !== context.caller.accountId) {
    throw kmsError('NotFoundException', `Key '${reference.arn}' does not exist`);
  }
  const key = requireKeyAccess(context, reference, { operation });
  requireNotPendingDeletion(key);
  return key;
}

export const aliasOperations: Record<string, AwsOperation<JsonParams>> = {
  CreateAlias: {
    changesState: true,
    handle(context, params) {
      const name = aliasName(params);
      requireAliasAccess(context, 'kms:CreateAlias', name);
      const key = targetKey(context, params, 'CreateAlias');
      if (findAlias(context, name)) {
        throw kmsError(
          'AlreadyExistsException',
          `An alias with the name ${kmsAliasArn(context.region, context.caller.accountId, name)} already exists`,
        );
      }
      context.store.state.aliases.push({
        aliasName: name,
        accountId: context.caller.accountId,
        region: context.region,
        targetKeyId: key.keyId,
        creationDate: context.now,
        lastUpdatedDate: context.now,
      });
      return undefined;
    },
  },

  UpdateAlias: {
    changesState: true,
    handle(context, params) {
      const name = aliasName(params);
      requireAliasAccess(context, 'kms:UpdateAlias', name);
      const alias = findAlias(context, name);
      if (!alias)
        throw kmsError(
          'NotFoundException',
          `Alias ${kmsAliasArn(context.region, context.caller.accountId, name)} is not found.`,
        );
      const key = targetKey(context, params, 'UpdateAlias');
      alias.targetKeyId = key.keyId;
      alias.lastUpdatedDate = context.now;
      return undefined;
    },
  },

  DeleteAlias: {
    changesState: true,
    handle(context, params) {
      const name = aliasName(params);
      requireAliasAccess(context, 'kms:DeleteAlias', name);
      const alias = findAlias(context, name);
      if (!alias)
        throw kmsError(
          'NotFoundException',
          `Alias ${kmsAliasArn(context.region, context.caller.accountId, name)} is not found.`,
        );
      const { state } = context.store;
      state.aliases = state.aliases.filter((candidate) => candidate !== alias);
      return undefined;
    },
  },

  ListAliases: {
    handle(context, params) {
      requireAccess(
        context,
        { action: 'kms:ListAliases', resource: '*', resourceAccountId: context.caller.accountId },
        'kms',
      );
      const limit = optionalInteger(params, 'Limit');
      if (limit !== undefined && (limit < 1 || limit > 100))
        throw kmsError('ValidationException', 'Limit must be between 1 and 100.');
      const keyIdFilter = optionalString(params, 'KeyId');
      const keyId =
        keyIdFilter === undefined
          ? undefined
          : resolveKey(context, keyIdFilter, { allowAlias: false }).key?.keyId;
      const aliases = context.store.state.aliases
        .filter((alias) => alias.accountId === context.caller.accountId && alias.region === context.region)
        .filter((alias) => keyId === undefined || alias.targetKeyId === keyId)
        .sort((a, b) => a.aliasName.localeCompare(b.aliasName));
      return {
        Aliases: aliases.map((alias) => ({
          AliasName: alias.aliasName,
          AliasArn: kmsAliasArn(alias.region, alias.accountId, alias.aliasName),
          TargetKeyId: alias.targetKeyId,
          CreationDate: alias.creationDate / 1000,
          LastUpdatedDate: alias.lastUpdatedDate / 1000,
        })),
        Truncated: false,
      };
    },
  },
};
