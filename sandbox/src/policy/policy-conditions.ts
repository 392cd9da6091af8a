import { isKnownConditionKey } from './condition-keys.js';
import type { ConditionEntry } from './policy-types.js';
import { matchesWildcard } from './wildcard.js';

/** A condition entry either holds, fails, or cannot be decided (then `reason` names why). */
export type ConditionOutcome = { decided: true; holds: boolean } | { decided: false; reason: string };

type Comparator = (requestValue: string, policyValue: string) => boolean | undefined;

/**
 * Comparators for the positive operators; negated ones are derived from them. A comparator returns
 * undefined when a value cannot be read (for example a non-numeric string for a Numeric operator),
 * which AWS treats as no match.
 */
const POSITIVE: Record<string, Comparator> = {
  StringEquals: (request, policy) => request === policy,
  StringEqualsIgnoreCase: (request, policy) => request.toLowerCase() === policy.toLowerCase(),
  StringLike: (request, policy) => matchesWildcard(policy, request),
  ArnEquals: (request, policy) => matchesWildcard(policy, request),
  ArnLike: (request, policy) => matchesWildcard(policy, request),
  NumericEquals: numeric((a, b) => a === b),
  NumericLessThan: numeric((a, b) => a < b),
  NumericLessThanEquals: numeric((a, b) => a <= b),
  NumericGreaterThan: numeric((a, b) => a > b),
  NumericGreaterThanEquals: numeric((a, b) => a >= b),
  DateEquals: date((a, b) => a === b),
  DateLessThan: date((a, b) => a < b),
  DateLessThanEquals: date((a, b) => a <= b),
  DateGreaterThan: date((a, b) => a > b),
  DateGreaterThanEquals: date((a, b) => a >= b),
  Bool: (request, policy) => request.toLowerCase() === policy.toLowerCase(),
  BinaryEquals: (request, policy) => request === policy,
  IpAddress: (request, policy) => ipv4InCidr(request, policy),
};

const NEGATED: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
  NumericNotEquals: 'NumericEquals',
  DateNotEquals: 'DateEquals',
  NotIpAddress: 'IpAddress',
};

/**
 * Evaluates one condition entry against the request's context keys, following IAM's documented rules. A
 * missing key fails a positive operator and satisfies a negated one. With a missing key, `...IfExists` and
 * `ForAllValues` are satisfied and `ForAnyValue` is not.
 */
export function evaluateCondition(
  entry: ConditionEntry,
  contextKeys: Map<string, string[]>,
): ConditionOutcome {
  let operator = entry.operator;
  let setOperator: 'ForAllValues' | 'ForAnyValue' | undefined;
  for (const prefix of ['ForAllValues', 'ForAnyValue'] as const) {
    if (operator.startsWith(`${prefix}:`)) {
      setOperator = prefix;
      operator = operator.slice(prefix.length + 1);
    }
  }
  const ifExists = operator.endsWith('IfExists') && operator !== 'IfExists';
  if (ifExists) operator = operator.slice(0, -'IfExists'.length);

  if (!isKnownConditionKey(entry.key))
    return { decided: false, reason: `unknown condition key ${entry.key}` };
  if (entry.values.some((value) => value.includes('${'))) {
    return { decided: false, reason: `policy variables are not supported (${entry.key})` };
  }
  const requestValues = contextKeys.get(entry.key.toLowerCase());

  if (operator === 'Null') {
    if (setOperator || ifExists) return { decided: false, reason: `unsupported operator ${entry.operator}` };
    const isMissing = requestValues === undefined || requestValues.length === 0;
    return {
      decided: true,
      holds: entry.values.some((value) => (value.toLowerCase() === 'true') === isMissing),
    };
  }

  const negatedOf = NEGATED[operator];
  const comparator = POSITIVE[negatedOf ?? operator];
  if (!comparator) return { decided: false, reason: `unknown condition operator ${entry.operator}` };
  const isNegated = negatedOf !== undefined;

  if (requestValues === undefined || requestValues.length === 0) {
    if (ifExists) return { decided: true, holds: true };
    if (setOperator === 'ForAllValues') return { decided: true, holds: true };
    if (setOperator === 'ForAnyValue') return { decided: true, holds: false };
    return { decided: true, holds: isNegated };
  }

  const hits = (requestValue: string): boolean => {
    const positive = entry.values.some((policyValue) => comparator(requestValue, policyValue) === true);
    return isNegated ? !positive : positive;
  };
  if (setOperator === 'ForAllValues') return { decided: true, holds: requestValues.every(hits) };
  if (setOperator === 'ForAnyValue') return { decided: true, holds: requestValues.some(hits) };
  // A single-valued operator on several request values: positive operators need one match, negated ones
  // need every request value to match none of the policy values.
  return { decided: true, holds: isNegated ? requestValues.every(hits) : requestValues.some(hits) };
}

function numeric(compare: (a: number, b: number) => boolean): Comparator {
  return (request, policy) => {
    const a = Number(request);
    const b = Number(policy);
    if (request.trim() === '' || policy.trim() === '' || Number.isNaN(a) || Number.isNaN(b)) return undefined;
    return compare(a, b);
  };
}

function date(compare: (a: number, b: number) => boolean): Comparator {
  return (request, policy) => {
    const a = parseDate(request);
    const b = parseDate(policy);
    if (a === undefined || b === undefined) return undefined;
    return compare(a, b);
  };
}

/** Reads an ISO 8601 date or epoch seconds, as IAM accepts both. */
function parseDate(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

function ipv4InCidr(address: string, cidr: string): boolean | undefined {
  const [network, bitsText] = cidr.split('/');
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const a = ipv4ToNumber(address);
  const b = ipv4ToNumber(network ?? '');
  if (a === undefined || b === undefined || !(bits >= 0 && bits <= 32)) return undefined;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

function ipv4ToNumber(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let result = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (!/^\d{1,3}$/.test(part) || octet > 255) return undefined;
    result = result * 256 + octet;
  }
  return result;
}
