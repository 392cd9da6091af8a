import { authorize, type Decision, type DenialReason } from '../policy/authorize.js';
import type { PolicyDocument } from '../policy/policy-types.js';
import { AwsError } from './aws-error.js';
import type { AwsRequestContext } from './aws-service.js';
import { globalContextKeys, identityPoliciesOf } from './caller.js';

export interface AccessCheck {
  action: string;
  resource: string;
  resourceAccountId: string;
  resourcePolicy?: PolicyDocument;
  /** Service-specific condition keys (lower-case names). */
  contextKeys?: Map<string, string[]>;
  grantAllows?: boolean;
  /** AssumeRole denials carry no reason clause on AWS. */
  omitReason?: boolean;
}

const REASONS: Record<DenialReason, (action: string) => string> = {
  'explicit-deny-identity': () => ' with an explicit deny in an identity-based policy',
  'explicit-deny-resource': () => ' with an explicit deny in a resource-based policy',
  'no-identity-allow': (action) => ` because no identity-based policy allows the ${action} action`,
  'no-resource-allow': (action) => ` because no resource-based policy allows the ${action} action`,
  undecidable: () => ' because the sandbox could not evaluate a policy condition (see the sandbox log)',
};

/** Decides the request for the context's caller; logs every undecidable statement. */
export function decide(context: AwsRequestContext, check: AccessCheck): Decision {
  const contextKeys = globalContextKeys(context.caller, context.region, context.now, context.sourceIp);
  for (const [name, values] of check.contextKeys ?? []) contextKeys.set(name, values);

  const decision = authorize({
    request: {
      action: check.action,
      resource: check.resource,
      principal: context.caller.identity,
      contextKeys,
    },
    resourceAccountId: check.resourceAccountId,
    identityPolicies: identityPoliciesOf(context.caller, context.store),
    resourcePolicy: check.resourcePolicy,
    grantAllows: check.grantAllows,
  });
  if (!decision.allowed && decision.reason === 'undecidable') {
    context.log.warn(
      {
        requestId: context.requestId,
        action: check.action,
        resource: check.resource,
        undecided: decision.undecided,
      },
      'policy not evaluable, request denied',
    );
  }
  return decision;
}

/** Builds AWS's access-denied message: "User: ARN is not authorized to perform: ACTION on resource: ARN …". */
export function accessDeniedMessage(
  context: AwsRequestContext,
  check: AccessCheck,
  reason: DenialReason,
): string {
  const base = `User: ${context.caller.arn} is not authorized to perform: ${check.action} on resource: ${check.resource}`;
  return check.omitReason ? base : base + REASONS[reason](check.action);
}

/** Throws AccessDeniedException (KMS, HTTP 400) or AccessDenied (IAM and STS, HTTP 403) unless allowed. */
export function requireAccess(context: AwsRequestContext, check: AccessCheck, style: 'kms' | 'query'): void {
  const decision = decide(context, check);
  if (decision.allowed) return;
  const message = accessDeniedMessage(context, check, decision.reason);
  throw style === 'kms'
    ? new AwsError('AccessDeniedException', message, 400)
    : new AwsError('AccessDenied', message, 403);
}
