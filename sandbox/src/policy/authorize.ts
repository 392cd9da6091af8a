import { evaluatePolicy } from './policy-evaluate.js';
import type { AuthorizationRequest, PolicyDocument } from './policy-types.js';

export type DenialReason =
  | 'explicit-deny-identity'
  | 'explicit-deny-resource'
  | 'no-identity-allow'
  | 'no-resource-allow'
  | 'undecidable';

export type Decision =
  | { allowed: true; via: 'resource' | 'identity' | 'grant' | 'root' }
  | {
      allowed: false;
      reason: DenialReason;
      undecided: string[];
    };

export interface AuthorizationInput {
  request: AuthorizationRequest;
  /** Account that owns the resource. */
  resourceAccountId: string;
  /** The caller's identity policies in effect now; ignored for a root user, who has every permission. */
  identityPolicies: PolicyDocument[];
  /** Key policy or role trust policy; undefined for resources without one (IAM and STS actions). */
  resourcePolicy?: PolicyDocument;
  /** True when a KMS grant already allows the request (grants are checked by the caller of this function). */
  grantAllows?: boolean;
}

/**
 * Decides a request with AWS's evaluation logic. Any undecidable statement denies, and an explicit Deny in
 * any policy wins. Within one account, a resource policy that names the caller is enough, while one that
 * names only the caller's account delegates to the caller's identity policies. Across accounts, both the
 * resource policy and the caller's identity policies must allow.
 */
export function authorize(input: AuthorizationInput): Decision {
  const { request } = input;
  const isRoot = request.principal.isRoot;
  const identity = input.identityPolicies.map((document) => evaluatePolicy(document, request, 'identity'));
  const resource = input.resourcePolicy
    ? evaluatePolicy(input.resourcePolicy, request, 'resource')
    : undefined;

  const undecided = [...identity.flatMap((result) => result.undecided), ...(resource?.undecided ?? [])];
  if (undecided.length > 0) return { allowed: false, reason: 'undecidable', undecided };
  if (identity.some((result) => result.deniesExplicitly)) {
    return { allowed: false, reason: 'explicit-deny-identity', undecided };
  }
  if (resource?.deniesExplicitly) return { allowed: false, reason: 'explicit-deny-resource', undecided };

  const sameAccount = input.resourceAccountId === request.principal.accountId;
  const identityAllows = isRoot || identity.some((result) => result.allowsDirectly);

  if (!resource) {
    if (!sameAccount) return { allowed: false, reason: 'no-resource-allow', undecided };
    if (isRoot) return { allowed: true, via: 'root' };
    return identityAllows
      ? { allowed: true, via: 'identity' }
      : { allowed: false, reason: 'no-identity-allow', undecided };
  }

  if (input.grantAllows) return { allowed: true, via: 'grant' };
  const resourceAllows = resource.allowsDirectly || resource.allowsAccount;
  if (sameAccount && resource.allowsDirectly) return { allowed: true, via: 'resource' };
  if (!resourceAllows) return { allowed: false, reason: 'no-resource-allow', undecided };
  if (!identityAllows) return { allowed: false, reason: 'no-identity-allow', undecided };
  return { allowed: true, via: sameAccount ? 'identity' : 'resource' };
}
