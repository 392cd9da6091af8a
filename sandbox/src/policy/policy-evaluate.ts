import { evaluateCondition } from './policy-conditions.js';
import type {
  AuthorizationRequest,
  PolicyDocument,
  PolicyResult,
  PrincipalBlock,
  PrincipalIdentity,
  Statement,
} from './policy-types.js';
import { matchesWildcard } from './wildcard.js';

type PrincipalMatch = 'direct' | 'account' | 'none';

/**
 * Evaluates one policy document. Identity policies ignore principals. Resource policies (key and trust
 * policies) must name the caller directly or name its account, which delegates the decision to the
 * account's IAM policies.
 */
export function evaluatePolicy(
  document: PolicyDocument,
  request: AuthorizationRequest,
  kind: 'identity' | 'resource',
): PolicyResult {
  const result: PolicyResult = {
    allowsDirectly: false,
    allowsAccount: false,
    deniesExplicitly: false,
    undecided: [],
  };

  for (const statement of document.statements) {
    if (!matchesAction(statement, request.action)) continue;
    if (!matchesResource(statement, request.resource)) continue;

    const principalMatch: PrincipalMatch =
      kind === 'identity' ? 'direct' : matchStatementPrincipal(statement, request.principal);
    if (principalMatch === 'none') continue;

    let conditionsHold = true;
    for (const entry of statement.conditions) {
      const outcome = evaluateCondition(entry, request.contextKeys);
      if (!outcome.decided) {
        result.undecided.push(`${statement.sid ?? 'statement'}: ${outcome.reason}`);
        conditionsHold = false;
        break;
      }
      if (!outcome.holds) {
        conditionsHold = false;
        break;
      }
    }
    if (!conditionsHold) continue;

    if (statement.effect === 'Deny') result.deniesExplicitly = true;
    else if (principalMatch === 'direct') result.allowsDirectly = true;
    else result.allowsAccount = true;
  }
  return result;
}

function matchesAction(statement: Statement, action: string): boolean {
  if (statement.action) return statement.action.some((pattern) => matchesWildcard(pattern, action, true));
  return !statement.notAction!.some((pattern) => matchesWildcard(pattern, action, true));
}

/** Key and trust policies may omit Resource: the policy is attached to its only resource. */
function matchesResource(statement: Statement, resource: string): boolean {
  if (statement.resource) return statement.resource.some((pattern) => matchesWildcard(pattern, resource));
  if (statement.notResource)
    return !statement.notResource.some((pattern) => matchesWildcard(pattern, resource));
  return true;
}

function matchStatementPrincipal(statement: Statement, principal: PrincipalIdentity): PrincipalMatch {
  if (statement.principal) return matchPrincipalBlock(statement.principal, principal);
  if (statement.notPrincipal) {
    // NotPrincipal excludes only the principals it names directly: an account ARN there excludes the root
    // user, not the account's users and roles, as IAM documents.
    return matchPrincipalBlock(statement.notPrincipal, principal) === 'direct' ? 'none' : 'direct';
  }
  return 'none';
}

export function matchPrincipalBlock(block: PrincipalBlock, principal: PrincipalIdentity): PrincipalMatch {
  if (block === '*') return 'direct';
  let best: PrincipalMatch = 'none';
  for (const value of block.AWS ?? []) {
    if (value === '*') return 'direct';
    const accountId = accountOfPrincipalValue(value);
    if (accountId !== undefined) {
      if (accountId !== principal.accountId) continue;
      if (principal.isRoot) return 'direct';
      best = 'account';
      continue;
    }
    if (principal.arns.includes(value)) return 'direct';
  }
  return best;
}

/** Returns the account id when a principal value names a whole account (`123456789012` or its root ARN). */
export function accountOfPrincipalValue(value: string): string | undefined {
  if (/^\d{12}$/.test(value)) return value;
  const match = /^arn:aws:iam::(\d{12}):root$/.exec(value);
  return match?.[1];
}
