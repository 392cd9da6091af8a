import { parseStoredPolicy } from '../policy/policy-parse.js';
import type { PolicyDocument, PrincipalIdentity } from '../policy/policy-types.js';
import type { StateStore } from './state/state-store.js';
import type { SessionRecord, UserRecord } from './state/state-types.js';

/** The authenticated principal of a request. */
export interface Caller {
  kind: 'user' | 'root' | 'assumed-role';
  accountId: string;
  /** The ARN AWS reports for the caller (GetCallerIdentity, error messages). */
  arn: string;
  /** The value of `aws:PrincipalArn`: the user ARN, or the role ARN for a role session. */
  principalArn: string;
  /** The value of `aws:userid`: the user id, or `ROLEID:session-name`. */
  userId: string;
  identity: PrincipalIdentity;
  user?: UserRecord;
  session?: SessionRecord;
}

export function callerFromUser(user: UserRecord): Caller {
  return {
    kind: user.isRoot ? 'root' : 'user',
    accountId: user.accountId,
    arn: user.arn,
    principalArn: user.arn,
    userId: user.userId,
    identity: { accountId: user.accountId, arns: [user.arn], isRoot: user.isRoot === true },
    user,
  };
}

export function callerFromSession(session: SessionRecord): Caller {
  const arn = `arn:aws:sts::${session.accountId}:assumed-role/${session.roleName}/${session.sessionName}`;
  return {
    kind: 'assumed-role',
    accountId: session.accountId,
    arn,
    principalArn: session.roleArn,
    userId: `${session.roleId}:${session.sessionName}`,
    identity: { accountId: session.accountId, arns: [arn, session.roleArn], isRoot: false },
    session,
  };
}

/**
 * Returns the identity policies in effect for the caller now. A role session uses the role's policies in
 * their currently effective version, so a deleted or replaced role stops granting what it granted.
 */
export function identityPoliciesOf(caller: Caller, store: StateStore): PolicyDocument[] {
  if (caller.user)
    return Object.values(caller.user.policies).map((text) => parseStoredPolicy(text, 'identity'));
  const session = caller.session!;
  const role = store.effectiveRole(session.roleArn);
  if (!role || role.roleId !== session.roleId) return [];
  return Object.values(role.policies).map((text) => parseStoredPolicy(text, 'identity'));
}

const PRINCIPAL_TYPES: Record<Caller['kind'], string> = {
  root: 'Account',
  user: 'User',
  'assumed-role': 'AssumedRole',
};

/** Global condition keys of every request made by this caller. */
export function globalContextKeys(
  caller: Caller,
  region: string,
  now: number,
  sourceIp: string,
): Map<string, string[]> {
  const keys = new Map<string, string[]>([
    ['aws:principalarn', [caller.principalArn]],
    ['aws:principalaccount', [caller.accountId]],
    ['aws:principaltype', [PRINCIPAL_TYPES[caller.kind]]],
    ['aws:userid', [caller.userId]],
    ['aws:currenttime', [new Date(now).toISOString()]],
    ['aws:epochtime', [String(Math.floor(now / 1000))]],
    ['aws:securetransport', ['false']],
    ['aws:requestedregion', [region]],
    ['aws:principalisawsservice', ['false']],
    ['aws:viaawsservice', ['false']],
    ['aws:sourceip', [sourceIp]],
  ]);
  if (caller.kind === 'user') keys.set('aws:username', [caller.user!.userName]);
  return keys;
}
