import type { ConditionEntry, PolicyDocument, PrincipalBlock, Statement } from './policy-types.js';

/** Raised for a policy document that IAM or KMS would reject; the message follows AWS's wording. */
export class PolicySyntaxError extends Error {
  override readonly name = 'PolicySyntaxError';
}

export type PolicyKind = 'identity' | 'trust' | 'key';

const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const STATEMENT_FIELDS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);

/** Parses and validates a policy document the way IAM (identity, trust) or KMS (key) checks it on write. */
export function parsePolicy(text: string, kind: PolicyKind): PolicyDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PolicySyntaxError('Syntax errors in policy.');
  }
  if (!isObject(raw)) throw new PolicySyntaxError('Syntax errors in policy.');

  const version = raw.Version ?? '2008-10-17';
  if (typeof version !== 'string' || !VERSIONS.has(version)) {
    throw new PolicySyntaxError('The policy failed legacy parsing');
  }
  const rawStatements = Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement];
  if (raw.Statement === undefined || rawStatements.length === 0) {
    throw new PolicySyntaxError('Syntax errors in policy.');
  }

  const statements = rawStatements.map((statement) => parseStatement(statement, kind));
  const sids = statements.flatMap((statement) => (statement.sid === undefined ? [] : [statement.sid]));
  if (new Set(sids).size !== sids.length) {
    throw new PolicySyntaxError('Statement IDs (SID) in a single policy must be unique.');
  }
  const document: PolicyDocument = { version, statements };
  if (typeof raw.Id === 'string') document.id = raw.Id;
  return document;
}

function parseStatement(raw: unknown, kind: PolicyKind): Statement {
  if (!isObject(raw)) throw new PolicySyntaxError('Syntax errors in policy.');
  for (const field of Object.keys(raw)) {
    if (!STATEMENT_FIELDS.has(field)) throw new PolicySyntaxError(`Unknown field ${field}`);
  }
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny')
    throw new PolicySyntaxError('Missing required field Effect');

  const statement: Statement = { effect: raw.Effect, conditions: parseConditions(raw.Condition) };
  if (typeof raw.Sid === 'string') statement.sid = raw.Sid;
  if (raw.Action !== undefined) statement.action = stringList(raw.Action, 'Action');
  if (raw.NotAction !== undefined) statement.notAction = stringList(raw.NotAction, 'NotAction');
  if (raw.Resource !== undefined) statement.resource = stringList(raw.Resource, 'Resource');
  if (raw.NotResource !== undefined) statement.notResource = stringList(raw.NotResource, 'NotResource');
  if (raw.Principal !== undefined) statement.principal = parsePrincipal(raw.Principal);
  if (raw.NotPrincipal !== undefined) statement.notPrincipal = parsePrincipal(raw.NotPrincipal);

  if (!statement.action && !statement.notAction)
    throw new PolicySyntaxError('Policy statement must contain actions.');
  if (statement.action && statement.notAction) throw new PolicySyntaxError('Syntax errors in policy.');
  if (statement.principal && statement.notPrincipal) throw new PolicySyntaxError('Syntax errors in policy.');
  for (const resource of [...(statement.resource ?? []), ...(statement.notResource ?? [])]) {
    if (resource !== '*' && !resource.startsWith('arn:')) {
      throw new PolicySyntaxError(`Resource ${resource} must be in ARN format or "*".`);
    }
  }
  for (const action of [...(statement.action ?? []), ...(statement.notAction ?? [])]) {
    if (action !== '*' && !/^[A-Za-z0-9-]+:[A-Za-z0-9*?]*$/.test(action)) {
      throw new PolicySyntaxError(
        `Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.`,
      );
    }
  }

  const hasPrincipal = statement.principal !== undefined || statement.notPrincipal !== undefined;
  const hasResource = statement.resource !== undefined || statement.notResource !== undefined;
  if (kind === 'identity') {
    if (hasPrincipal) throw new PolicySyntaxError('Policy document should not specify a principal.');
    if (!hasResource) throw new PolicySyntaxError('Policy statement must contain resources.');
  }
  if (kind === 'trust') {
    if (!hasPrincipal)
      throw new PolicySyntaxError('AssumeRolepolicy contained an invalid principal: missing.');
    if (hasResource) throw new PolicySyntaxError('Has prohibited field Resource');
    for (const action of statement.action ?? []) {
      if (
        !/^sts:(AssumeRole|AssumeRoleWithSAML|AssumeRoleWithWebIdentity|TagSession|SetSourceIdentity|SetContext|\*)$/i.test(
          action,
        ) &&
        action !== '*'
      ) {
        throw new PolicySyntaxError('AssumeRole policy may only specify STS AssumeRole actions.');
      }
    }
  }
  if (kind === 'key' && !hasPrincipal) {
    throw new PolicySyntaxError('Policy contains a statement with no principal.');
  }
  return statement;
}

function parsePrincipal(raw: unknown): PrincipalBlock {
  if (raw === '*') return '*';
  if (!isObject(raw)) throw new PolicySyntaxError('Invalid principal in policy');
  const block: Record<string, string[]> = {};
  for (const [type, values] of Object.entries(raw)) {
    if (!['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(type)) {
      throw new PolicySyntaxError(`Invalid principal in policy: "${type}"`);
    }
    block[type] = stringList(values, 'Principal');
  }
  return block;
}

function parseConditions(raw: unknown): ConditionEntry[] {
  if (raw === undefined) return [];
  if (!isObject(raw)) throw new PolicySyntaxError('Syntax errors in policy.');
  const entries: ConditionEntry[] = [];
  for (const [operator, block] of Object.entries(raw)) {
    if (!isObject(block)) throw new PolicySyntaxError('Syntax errors in policy.');
    for (const [key, values] of Object.entries(block)) {
      const list = Array.isArray(values) ? values : [values];
      if (!list.every((value) => ['string', 'number', 'boolean'].includes(typeof value))) {
        throw new PolicySyntaxError('Syntax errors in policy.');
      }
      entries.push({ operator, key, values: list.map(String) });
    }
  }
  return entries;
}

function stringList(raw: unknown, field: string): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || !list.every((value) => typeof value === 'string')) {
    throw new PolicySyntaxError(`Syntax errors in policy: ${field} must be a string or a list of strings.`);
  }
  return list as string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const parsedCache = new Map<string, PolicyDocument>();
const PARSED_CACHE_LIMIT = 1000;

/**
 * Parses a stored policy that was validated when written, memoised by text: authorization reads the same
 * few policies on every request. Callers must not modify the returned document.
 */
export function parseStoredPolicy(text: string, kind: PolicyKind): PolicyDocument {
  const cacheKey = `${kind}\n${text}`;
  let document = parsedCache.get(cacheKey);
  if (!document) {
    document = parsePolicy(text, kind);
    if (parsedCache.size >= PARSED_CACHE_LIMIT) parsedCache.clear();
    parsedCache.set(cacheKey, document);
  }
  return document;
}
