/** A policy document after parsing: single values widened to arrays, keys normalised. */
export interface PolicyDocument {
  version: string;
  id?: string;
  statements: Statement[];
}

export type Effect = 'Allow' | 'Deny';

/** `"*"` or a map of principal type (AWS, Service, Federated, CanonicalUser) to values. */
export type PrincipalBlock = '*' | Record<string, string[]>;

export interface Statement {
  sid?: string;
  effect: Effect;
  principal?: PrincipalBlock;
  notPrincipal?: PrincipalBlock;
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  conditions: ConditionEntry[];
}

/** One `operator: { key: values }` pair of a Condition block. */
export interface ConditionEntry {
  operator: string;
  key: string;
  values: string[];
}

/**
 * The caller as resource policies see it: every ARN that names it directly (a user ARN; a role ARN and its
 * session ARN; an account root ARN) and its account.
 */
export interface PrincipalIdentity {
  accountId: string;
  arns: string[];
  isRoot: boolean;
}

/** One authorization question: may `principal` perform `action` on `resource`, given these context keys? */
export interface AuthorizationRequest {
  action: string;
  resource: string;
  principal: PrincipalIdentity;
  /** Condition keys in lower case, each with one or more values (multivalued keys have several). */
  contextKeys: Map<string, string[]>;
}

/** The outcome of one policy document for one request. */
export interface PolicyResult {
  /** An Allow statement matched whose principal names the caller (always so for identity policies). */
  allowsDirectly: boolean;
  /** An Allow statement matched whose principal is the caller's account, delegating to its IAM policies. */
  allowsAccount: boolean;
  deniesExplicitly: boolean;
  /** Reasons the evaluator could not decide a statement (unknown operator or key); any makes the request denied. */
  undecided: string[];
}
