import { accountOfPrincipalValue } from '../../policy/policy-evaluate.js';
import { type PolicyKind, PolicySyntaxError, parsePolicy } from '../../policy/policy-parse.js';
import type { PolicyDocument } from '../../policy/policy-types.js';
import { requireAccess } from '../access.js';
import { AwsError, iamMalformedPolicy, iamNoSuchEntity, validationError } from '../aws-error.js';
import type { AwsOperation, AwsRequestContext, AwsService } from '../aws-service.js';
import { iamId, iamRoleArn } from '../ids.js';
import { listParam, type QueryParams, requiredParam } from '../protocol/query-xml.js';
import type { StateStore } from '../state/state-store.js';
import type { RoleRecord } from '../state/state-types.js';

const NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME_PATTERN = /^[\w+=,.@-]{1,128}$/;

function checkName(value: string, member: string, pattern = NAME_PATTERN): string {
  if (!pattern.test(value)) {
    throw validationError(
      `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
    );
  }
  return value;
}

/** Parses a policy as IAM does on write, including that every user or role it names as principal exists. */
export function parseIamPolicy(store: StateStore, text: string, kind: PolicyKind): PolicyDocument {
  let document: PolicyDocument;
  try {
    document = parsePolicy(text, kind);
  } catch (error) {
    if (error instanceof PolicySyntaxError) throw iamMalformedPolicy(error.message);
    throw error;
  }
  for (const statement of document.statements) {
    const block = statement.principal ?? statement.notPrincipal;
    if (!block || block === '*') continue;
    for (const value of block.AWS ?? []) {
      if (value === '*' || accountOfPrincipalValue(value) !== undefined) continue;
      if (!principalExists(store, value))
        throw iamMalformedPolicy(`Invalid principal in policy: "AWS":"${value}"`);
    }
  }
  return document;
}

/** Tells whether a principal ARN names a user or role that exists; assumed-role session ARNs are accepted as they are. */
export function principalExists(store: StateStore, arn: string): boolean {
  if (/^arn:aws:sts::\d{12}:assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+$/.test(arn)) return true;
  if (store.state.users.some((user) => user.arn === arn)) return true;
  return store.latestRole(arn) !== undefined;
}

function roleArnFor(context: AwsRequestContext, roleName: string): string | undefined {
  return store(context)
    .listLatestRoles(context.caller.accountId)
    .find((role) => role.roleName === roleName)?.arn;
}

/** Returns the ARN that authorization checks for a role name: the role's own ARN, or the default-path ARN if none exists. */
function roleResource(context: AwsRequestContext, roleName: string): string {
  return roleArnFor(context, roleName) ?? iamRoleArn(context.caller.accountId, '/', roleName);
}

function store(context: AwsRequestContext): StateStore {
  return context.store;
}

/** Finds a role of the caller's account by name, or throws NoSuchEntity as IAM does. */
function findRole(context: AwsRequestContext, roleName: string): RoleRecord {
  const arn = roleArnFor(context, roleName);
  const role = arn ? context.store.latestRole(arn) : undefined;
  if (!role) throw iamNoSuchEntity(`The role with name ${roleName} cannot be found.`);
  return role;
}

function requireIam(context: AwsRequestContext, action: string, resource: string): void {
  requireAccess(context, { action, resource, resourceAccountId: context.caller.accountId }, 'query');
}

function roleOutput(role: RoleRecord) {
  return {
    Path: role.path,
    RoleName: role.roleName,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: new Date(role.createDate),
    // IAM returns policy documents URL-encoded; AWS CLI decodes them, the SDK for JavaScript does not.
    AssumeRolePolicyDocument: encodeURIComponent(role.trustPolicy),
    Description: role.description,
    MaxSessionDuration: role.maxSessionDuration,
    Tags: role.tags.length > 0 ? role.tags : undefined,
  };
}

function maxSessionDuration(value: string | undefined): number {
  if (value === undefined) return 3600;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 3600 || seconds > 43_200) {
    throw validationError(
      `1 validation error detected: Value '${value}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200 and greater than or equal to 3600`,
    );
  }
  return seconds;
}

const operations: Record<string, AwsOperation<QueryParams>> = {
  CreateRole: {
    changesState: true,
    handle(context, params) {
      const roleName = checkName(requiredParam(params, 'RoleName'), 'roleName');
      const path = params.Path ?? '/';
      if (!/^\/([\x21-\x7e]+\/)?$/.test(path) || path.length > 512) {
        throw validationError(
          `The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`,
        );
      }
      const arn = iamRoleArn(context.caller.accountId, path, roleName);
      requireIam(context, 'iam:CreateRole', arn);
      if (roleArnFor(context, roleName))
        throw new AwsError('EntityAlreadyExists', `Role with name ${roleName} already exists.`, 409);

      const trustPolicy = requiredParam(params, 'AssumeRolePolicyDocument');
      parseIamPolicy(context.store, trustPolicy, 'trust');
      const role: RoleRecord = {
        accountId: context.caller.accountId,
        roleName,
        roleId: iamId('AROA'),
        path,
        arn,
        createDate: context.now,
        description: params.Description,
        maxSessionDuration: maxSessionDuration(params.MaxSessionDuration),
        trustPolicy,
        policies: {},
        tags: listParam(params, 'Tags', ['Key', 'Value']).map((tag) => ({
          Key: tag.Key ?? '',
          Value: tag.Value ?? '',
        })),
      };
      context.store.putRole(arn, role);
      return { Role: roleOutput(role) };
    },
  },

  GetRole: {
    handle(context, params) {
      const roleName = checkName(requiredParam(params, 'RoleName'), 'roleName');
      requireIam(context, 'iam:GetRole', roleResource(context, roleName));
      return { Role: roleOutput(findRole(context, roleName)) };
    },
  },

  ListRoles: {
    handle(context, params) {
      requireIam(context, 'iam:ListRoles', `arn:aws:iam::${context.caller.accountId}:role/`);
      const prefix = params.PathPrefix ?? '/';
      const roles = context.store
        .listLatestRoles(context.caller.accountId)
        .filter((role) => role.path.startsWith(prefix))
        .sort((a, b) => a.roleName.localeCompare(b.roleName));
      return { Roles: roles.map((role) => ({ ...roleOutput(role), Tags: undefined })), IsTruncated: false };
    },
  },

  UpdateRole: {
    changesState: true,
    handle(context, params) {
      const roleName = checkName(requiredParam(params, 'RoleName'), 'roleName');
      requireIam(context, 'iam:UpdateRole', roleResource(context, roleName));
      const role = findRole(context, roleName);
      const updated = { ...role };
      if (params.Description !== undefined) updated.description = params.Description;
      if (params.MaxSessionDuration !== undefined)
        updated.maxSessionDuration = maxSessionDuration(params.MaxSessionDuration);
      context.store.putRole(role.arn, updated);
      return {};
    },
  },

  UpdateAssumeRolePolicy: {
    changesState: true,
    handle(context, params) {
      const roleName = checkName(requiredParam(params, 'RoleName'), 'roleName');
      requireIam(context, 'iam:UpdateAssumeRolePolicy', roleResource(context, roleName));
      const role = findRole(context, roleName);
      const trustPolicy = requiredParam(params, 'PolicyDocument');
      parseIamPolicy(context.store, trustPolicy, 'trust');
      context.store.putRole(role.arn, { ...role, trustPolicy });
      return undefined;
    },
  },

  DeleteRole: {
    changesState: true,
    handle(context, params) {
      const roleName = checkName(requiredParam(params, 'RoleName'), 'roleName');
      requireIam(context, 'iam:DeleteRole', roleResource(context, roleName));
      const role = findRole(context, roleName);
      if (Object.keys(role.policies).length > 0) {
        throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
      }
      context.store.putRole(role.arn, null);
      return undefined;
    },
  },

  PutRolePolicy: {
    changesState: true,
    handle(context, params) {
      const roleName = checkName(requiredParam(params, 'RoleName'), 'roleName');
      requireIam(context, 'iam:PutRolePolicy', roleResource(context, roleName));
      const role = findRole(context, roleName);
      const policyName = checkName(requiredParam(params, 'PolicyName'), 'policyName', POLICY_NAME_PATTERN);
      const document = requiredParam(params, 'PolicyDocument');
      parseIamPolicy(context.store, document, 'identity');
      context.store.putRole(role.arn, { ...role, policies: { ...role.policies, [policyName]: document } });
      return undefined;
    },
  },

  GetRolePolicy: {
    handle(context, params) {
      const roleName = checkName(requiredParam(params, 'RoleName'), 'roleName');
      requireIam(context, 'iam:GetRolePolicy', roleResource(context, roleName));
      const role = findRole(context, roleName);
      const policyName = checkName(requiredParam(params, 'PolicyName'), 'policyName', POLICY_NAME_PATTERN);
      const document = role.policies[policyName];
      if (document === undefined)
        throw iamNoSuchEntity(`The role policy with name ${policyName} cannot be found.`);
      return {
        RoleName: role.roleName,
        PolicyName: policyName,
        PolicyDocument: encodeURIComponent(document),
      };
    },
  },

  DeleteRolePolicy: {
    changesState: true,
    handle(context, params) {
      const roleName = checkName(requiredParam(params, 'RoleName'), 'roleName');
      requireIam(context, 'iam:DeleteRolePolicy', roleResource(context, roleName));
      const role = findRole(context, roleName);
      const policyName = checkName(requiredParam(params, 'PolicyName'), 'policyName', POLICY_NAME_PATTERN);
      if (role.policies[policyName] === undefined) {
        throw iamNoSuchEntity(`The role policy with name ${policyName} cannot be found.`);
      }
      const { [policyName]: _removed, ...policies } = role.policies;
      context.store.putRole(role.arn, { ...role, policies });
      return undefined;
    },
  },

  ListRolePolicies: {
    handle(context, params) {
      const roleName = checkName(requiredParam(params, 'RoleName'), 'roleName');
      requireIam(context, 'iam:ListRolePolicies', roleResource(context, roleName));
      const role = findRole(context, roleName);
      return { PolicyNames: Object.keys(role.policies).sort(), IsTruncated: false };
    },
  },

  // NOTE: managed policies are not emulated, so a role never has attached policies.
  ListAttachedRolePolicies: {
    handle(context, params) {
      const roleName = checkName(requiredParam(params, 'RoleName'), 'roleName');
      requireIam(context, 'iam:ListAttachedRolePolicies', roleResource(context, roleName));
      findRole(context, roleName);
      return { AttachedPolicies: [], IsTruncated: false };
    },
  },

  GetUser: {
    handle(context, params) {
      const userName = params.UserName ?? context.caller.user?.userName;
      const user = context.store.state.users.find(
        (candidate) =>
          candidate.accountId === context.caller.accountId &&
          candidate.userName === userName &&
          !candidate.isRoot,
      );
      if (!user) {
        if (userName === undefined)
          throw validationError('Must specify userName when calling with non-User credentials');
        throw iamNoSuchEntity(`The user with name ${userName} cannot be found.`);
      }
      requireIam(context, 'iam:GetUser', user.arn);
      return {
        User: {
          Path: user.path,
          UserName: user.userName,
          UserId: user.userId,
          Arn: user.arn,
          CreateDate: new Date(user.createDate),
        },
      };
    },
  },
};

export const iamService: AwsService<QueryParams> = { signingName: 'iam', protocol: 'query', operations };
