import { PolicySyntaxError, parsePolicy } from '../../policy/policy-parse.js';
import { type AccessCheck, accessDeniedMessage, decide } from '../access.js';
import { queryAccessDenied, validationError } from '../aws-error.js';
import type { AwsOperation, AwsService } from '../aws-service.js';
import { assumedRoleArn, iamId, secretAccessKey, sessionToken } from '../ids.js';
import { type QueryParams, requiredParam } from '../protocol/query-xml.js';
import type { SessionRecord } from '../state/state-types.js';

const ROLE_ARN_PATTERN = /^arn:aws:iam::(\d{12}):role\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/;
const SESSION_NAME_PATTERN = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;
/** Role chaining limits a session to one hour, whatever the role's maximum. */
const CHAINED_MAX_SECONDS = 3600;
/** Expired sessions are kept a day, so their use is reported as expired rather than unknown, then dropped. */
const EXPIRED_SESSION_RETENTION_MS = 24 * 3600 * 1000;

const operations: Record<string, AwsOperation<QueryParams>> = {
  // GetCallerIdentity needs no permission on AWS: even an explicit deny does not block it.
  GetCallerIdentity: {
    handle(context) {
      return { UserId: context.caller.userId, Account: context.caller.accountId, Arn: context.caller.arn };
    },
  },

  AssumeRole: {
    changesState: true,
    handle(context, params) {
      const roleArn = requiredParam(params, 'RoleArn');
      const sessionName = requiredParam(params, 'RoleSessionName');
      const externalId = params.ExternalId;
      const roleMatch = ROLE_ARN_PATTERN.exec(roleArn);
      if (!roleMatch) throw validationError(`${roleArn} is invalid`);
      if (!SESSION_NAME_PATTERN.test(sessionName)) {
        throw validationError(
          `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
        );
      }
      if (externalId !== undefined && !EXTERNAL_ID_PATTERN.test(externalId)) {
        throw validationError(
          `1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]* and have length between 2 and 1224`,
        );
      }
      const duration = params.DurationSeconds === undefined ? 3600 : Number(params.DurationSeconds);
      if (!Number.isInteger(duration) || duration < 900 || duration > 43_200) {
        throw validationError(
          `1 validation error detected: Value '${params.DurationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900 and less than or equal to 43200`,
        );
      }
      if (
        Object.keys(params).some(
          (name) => name === 'Policy' || name.startsWith('PolicyArns.') || name.startsWith('Tags.'),
        )
      ) {
        throw validationError(
          'The sandbox does not emulate session policies or session tags (Policy, PolicyArns, Tags).',
        );
      }
      if (context.caller.kind === 'root')
        throw queryAccessDenied('Roles may not be assumed by root accounts.');

      // A role that does not exist yet, or not yet for authorization, is denied like a role that does not trust
      // the caller, as on AWS.
      const role = context.store.effectiveRole(roleArn);
      const check: AccessCheck = {
        action: 'sts:AssumeRole',
        resource: roleArn,
        resourceAccountId: roleMatch[1]!,
        omitReason: true,
        contextKeys: new Map([
          ['sts:rolesessionname', [sessionName]],
          ...(externalId === undefined
            ? []
            : ([['sts:externalid', [externalId]]] as Array<[string, string[]]>)),
        ]),
      };
      if (!role) throw queryAccessDenied(accessDeniedMessage(context, check, 'no-resource-allow'));
      try {
        check.resourcePolicy = parsePolicy(role.trustPolicy, 'trust');
      } catch (error) {
        if (!(error instanceof PolicySyntaxError)) throw error;
        context.log.error({ requestId: context.requestId, roleArn }, 'stored trust policy is invalid');
        throw queryAccessDenied(accessDeniedMessage(context, check, 'undecidable'));
      }
      const decision = decide(context, check);
      if (!decision.allowed) throw queryAccessDenied(accessDeniedMessage(context, check, decision.reason));

      const chained = context.caller.kind === 'assumed-role';
      if (chained && duration > CHAINED_MAX_SECONDS) {
        throw validationError(
          'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
        );
      }
      if (duration > role.maxSessionDuration) {
        throw validationError(
          'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
        );
      }

      const session: SessionRecord = {
        accessKeyId: iamId('ASIA'),
        secretAccessKey: secretAccessKey(),
        sessionToken: sessionToken(),
        accountId: role.accountId,
        roleArn: role.arn,
        roleId: role.roleId,
        roleName: role.roleName,
        sessionName,
        // AWS reports expirations to the second.
        expiration: Math.floor((context.now + duration * 1000) / 1000) * 1000,
        chained,
      };
      const { state } = context.store;
      state.sessions = state.sessions.filter(
        (old) => old.expiration + EXPIRED_SESSION_RETENTION_MS > context.now,
      );
      state.sessions.push(session);

      return {
        Credentials: {
          AccessKeyId: session.accessKeyId,
          SecretAccessKey: session.secretAccessKey,
          SessionToken: session.sessionToken,
          Expiration: new Date(session.expiration),
        },
        AssumedRoleUser: {
          AssumedRoleId: `${role.roleId}:${sessionName}`,
          Arn: assumedRoleArn(role.accountId, role.roleName, sessionName),
        },
      };
    },
  },
};

export const stsService: AwsService<QueryParams> = { signingName: 'sts', protocol: 'query', operations };
