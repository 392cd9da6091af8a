import { describe, expect, it } from 'vitest';
import { authorize } from '../src/policy/authorize.js';
import { evaluateCondition } from '../src/policy/policy-conditions.js';
import { PolicySyntaxError, parsePolicy } from '../src/policy/policy-parse.js';
import type { PrincipalIdentity } from '../src/policy/policy-types.js';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/App`;
const USER = `arn:aws:iam::${ACCOUNT}:user/alice`;
const OTHER_USER = `arn:aws:iam::${OTHER}:user/bob`;
const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/App/s1`;

const alice: PrincipalIdentity = { accountId: ACCOUNT, arns: [USER], isRoot: false };
const appSession: PrincipalIdentity = { accountId: ACCOUNT, arns: [SESSION, ROLE], isRoot: false };
const bob: PrincipalIdentity = { accountId: OTHER, arns: [OTHER_USER], isRoot: false };
const root: PrincipalIdentity = { accountId: ACCOUNT, arns: [`arn:aws:iam::${ACCOUNT}:root`], isRoot: true };

const doc = (kind: 'identity' | 'key', statements: object[]) =>
  parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }), kind);
const allowAll = { Effect: 'Allow', Action: '*', Resource: '*' };
const rootDelegation = {
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: 'kms:*',
  Resource: '*',
};

interface Case {
  name: string;
  principal: PrincipalIdentity;
  action?: string;
  identity?: object[];
  key?: object[];
  keys?: Record<string, string[]>;
  resourceAccount?: string;
  grant?: boolean;
  expected:
    | 'allow'
    | 'explicit-deny-identity'
    | 'explicit-deny-resource'
    | 'no-identity-allow'
    | 'no-resource-allow'
    | 'undecidable';
}

const cases: Case[] = [
  {
    name: 'root delegation and IAM allow',
    principal: alice,
    identity: [allowAll],
    key: [rootDelegation],
    expected: 'allow',
  },
  {
    name: 'root delegation without IAM allow',
    principal: alice,
    identity: [],
    key: [rootDelegation],
    expected: 'no-identity-allow',
  },
  {
    name: 'no root delegation makes IAM ineffective',
    principal: alice,
    identity: [allowAll],
    key: [{ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 'kms:*', Resource: '*' }],
    expected: 'no-resource-allow',
  },
  {
    name: 'key policy naming user needs no IAM',
    principal: alice,
    identity: [],
    key: [{ Effect: 'Allow', Principal: { AWS: USER }, Action: 'kms:Decrypt', Resource: '*' }],
    expected: 'allow',
  },
  {
    name: 'key policy naming role covers session',
    principal: appSession,
    key: [{ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 'kms:Decrypt', Resource: '*' }],
    expected: 'allow',
  },
  {
    name: 'account id principal delegates like root ARN',
    principal: alice,
    identity: [allowAll],
    key: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'kms:*', Resource: '*' }],
    expected: 'allow',
  },
  { name: 'root user allowed by root statement', principal: root, key: [rootDelegation], expected: 'allow' },
  {
    name: 'explicit deny in key policy wins',
    principal: alice,
    identity: [allowAll],
    key: [rootDelegation, { Effect: 'Deny', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }],
    expected: 'explicit-deny-resource',
  },
  {
    name: 'explicit deny in identity policy wins',
    principal: alice,
    identity: [allowAll, { Effect: 'Deny', Action: 'kms:Decrypt', Resource: KEY }],
    key: [rootDelegation],
    expected: 'explicit-deny-identity',
  },
  {
    name: 'deny on another action is ignored',
    principal: alice,
    identity: [allowAll, { Effect: 'Deny', Action: 'kms:Encrypt', Resource: '*' }],
    key: [rootDelegation],
    expected: 'allow',
  },
  {
    name: 'action wildcard matches case-insensitively',
    principal: alice,
    identity: [{ Effect: 'Allow', Action: 'KMS:decry*', Resource: '*' }],
    key: [rootDelegation],
    expected: 'allow',
  },
  {
    name: 'question-mark wildcard matches one character',
    principal: alice,
    identity: [{ Effect: 'Allow', Action: 'kms:Decryp?', Resource: '*' }],
    key: [rootDelegation],
    expected: 'allow',
  },
  {
    name: 'NotAction allows other actions',
    principal: alice,
    identity: [{ Effect: 'Allow', NotAction: 'kms:Encrypt', Resource: '*' }],
    key: [rootDelegation],
    expected: 'allow',
  },
  {
    name: 'NotAction excludes listed action',
    principal: alice,
    action: 'kms:Encrypt',
    identity: [{ Effect: 'Allow', NotAction: 'kms:Encrypt', Resource: '*' }],
    key: [rootDelegation],
    expected: 'no-identity-allow',
  },
  {
    name: 'resource mismatch does not allow',
    principal: alice,
    identity: [{ Effect: 'Allow', Action: 'kms:*', Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/other` }],
    key: [rootDelegation],
    expected: 'no-identity-allow',
  },
  {
    name: 'NotResource excludes the key',
    principal: alice,
    identity: [{ Effect: 'Allow', Action: 'kms:*', NotResource: KEY }],
    key: [rootDelegation],
    expected: 'no-identity-allow',
  },
  {
    name: 'NotPrincipal deny spares named user',
    principal: alice,
    identity: [allowAll],
    key: [
      rootDelegation,
      {
        Effect: 'Deny',
        NotPrincipal: { AWS: [USER, `arn:aws:iam::${ACCOUNT}:root`] },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
    expected: 'allow',
  },
  {
    name: 'NotPrincipal deny hits others',
    principal: appSession,
    identity: [allowAll],
    key: [rootDelegation, { Effect: 'Deny', NotPrincipal: { AWS: [USER] }, Action: 'kms:*', Resource: '*' }],
    expected: 'explicit-deny-resource',
  },
  {
    name: 'NotPrincipal account does not spare users',
    principal: alice,
    identity: [allowAll],
    key: [rootDelegation, { Effect: 'Deny', NotPrincipal: { AWS: ACCOUNT }, Action: 'kms:*', Resource: '*' }],
    expected: 'explicit-deny-resource',
  },
  {
    name: 'cross-account needs identity policy',
    principal: bob,
    identity: [],
    key: [{ Effect: 'Allow', Principal: { AWS: OTHER_USER }, Action: 'kms:Decrypt', Resource: '*' }],
    expected: 'no-identity-allow',
  },
  {
    name: 'cross-account with both policies allows',
    principal: bob,
    identity: [allowAll],
    key: [
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${OTHER}:root` },
        Action: 'kms:Decrypt',
        Resource: '*',
      },
    ],
    expected: 'allow',
  },
  {
    name: 'cross-account without key policy statement',
    principal: bob,
    identity: [allowAll],
    key: [rootDelegation],
    expected: 'no-resource-allow',
  },
  {
    name: 'grant allows without policies',
    principal: appSession,
    identity: [],
    key: [{ Effect: 'Allow', Principal: { AWS: USER }, Action: 'kms:*', Resource: '*' }],
    grant: true,
    expected: 'allow',
  },
  {
    name: 'explicit deny beats a grant',
    principal: appSession,
    key: [rootDelegation, { Effect: 'Deny', Principal: { AWS: ROLE }, Action: 'kms:Decrypt', Resource: '*' }],
    grant: true,
    expected: 'explicit-deny-resource',
  },
  {
    name: 'IAM-only action needs identity allow',
    principal: alice,
    action: 'iam:CreateRole',
    identity: [{ Effect: 'Allow', Action: 'iam:Get*', Resource: '*' }],
    expected: 'no-identity-allow',
  },
  {
    name: 'IAM-only action allowed by wildcard',
    principal: alice,
    action: 'iam:CreateRole',
    identity: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }],
    expected: 'allow',
  },
  {
    name: 'IAM action in other account denied',
    principal: bob,
    action: 'iam:CreateRole',
    identity: [allowAll],
    expected: 'no-resource-allow',
  },
  {
    name: 'encryption context condition holds',
    principal: alice,
    identity: [
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { StringEquals: { 'kms:EncryptionContext:company': 'c-1' } },
      },
    ],
    key: [rootDelegation],
    keys: { 'kms:encryptioncontext:company': ['c-1'] },
    expected: 'allow',
  },
  {
    name: 'encryption context condition fails',
    principal: alice,
    identity: [
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { StringEquals: { 'kms:EncryptionContext:company': 'c-1' } },
      },
    ],
    key: [rootDelegation],
    keys: { 'kms:encryptioncontext:company': ['c-2'] },
    expected: 'no-identity-allow',
  },
  {
    name: 'PrincipalArn condition on key policy',
    principal: appSession,
    key: [
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/A*` } },
      },
    ],
    keys: { 'aws:principalarn': [ROLE] },
    expected: 'allow',
  },
  {
    name: 'PrincipalArn condition mismatch',
    principal: alice,
    key: [
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/A*` } },
      },
    ],
    keys: { 'aws:principalarn': [USER] },
    expected: 'no-resource-allow',
  },
  {
    name: 'GrantOperations ForAllValues subset',
    principal: alice,
    action: 'kms:CreateGrant',
    identity: [
      {
        Effect: 'Allow',
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: { 'ForAllValues:StringEquals': { 'kms:GrantOperations': ['Encrypt', 'Decrypt'] } },
      },
    ],
    key: [rootDelegation],
    keys: { 'kms:grantoperations': ['Decrypt'] },
    expected: 'allow',
  },
  {
    name: 'GrantOperations ForAllValues superset',
    principal: alice,
    action: 'kms:CreateGrant',
    identity: [
      {
        Effect: 'Allow',
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: { 'ForAllValues:StringEquals': { 'kms:GrantOperations': ['Encrypt', 'Decrypt'] } },
      },
    ],
    key: [rootDelegation],
    keys: { 'kms:grantoperations': ['Decrypt', 'CreateGrant'] },
    expected: 'no-identity-allow',
  },
  {
    name: 'GranteePrincipal condition',
    principal: appSession,
    action: 'kms:CreateGrant',
    identity: [
      {
        Effect: 'Allow',
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: { StringEquals: { 'kms:GranteePrincipal': ROLE } },
      },
    ],
    key: [rootDelegation],
    keys: { 'kms:granteeprincipal': [USER] },
    expected: 'no-identity-allow',
  },
  {
    name: 'unknown condition key is undecidable',
    principal: alice,
    identity: [
      {
        Effect: 'Allow',
        Action: 'kms:*',
        Resource: '*',
        Condition: { StringEquals: { 'kms:NoSuchKey': 'x' } },
      },
    ],
    key: [rootDelegation],
    expected: 'undecidable',
  },
  {
    name: 'unknown operator is undecidable',
    principal: alice,
    identity: [
      {
        Effect: 'Allow',
        Action: 'kms:*',
        Resource: '*',
        Condition: { StringSortOf: { 'aws:PrincipalArn': 'x' } },
      },
    ],
    key: [rootDelegation],
    expected: 'undecidable',
  },
  {
    name: 'undecidable deny still denies',
    principal: alice,
    identity: [
      allowAll,
      {
        Effect: 'Deny',
        Action: 'kms:*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:NoSuchKey': 'x' } },
      },
    ],
    key: [rootDelegation],
    expected: 'undecidable',
  },
  {
    name: 'policy variable is undecidable',
    principal: alice,
    identity: [
      {
        Effect: 'Allow',
        Action: 'kms:*',
        Resource: '*',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template.
        Condition: { StringEquals: { 'aws:username': '${aws:username}' } },
      },
    ],
    key: [rootDelegation],
    expected: 'undecidable',
  },
];

describe('authorize table', () => {
  for (const testCase of cases) {
    it(testCase.name, () => {
      const decision = authorize({
        request: {
          action: testCase.action ?? 'kms:Decrypt',
          resource: testCase.action?.startsWith('iam:') ? `arn:aws:iam::${ACCOUNT}:role/New` : KEY,
          principal: testCase.principal,
          contextKeys: new Map(Object.entries(testCase.keys ?? {})),
        },
        resourceAccountId: testCase.resourceAccount ?? ACCOUNT,
        identityPolicies: testCase.identity?.length ? [doc('identity', testCase.identity)] : [],
        resourcePolicy: testCase.key ? doc('key', testCase.key) : undefined,
        grantAllows: testCase.grant,
      });
      expect(decision.allowed ? 'allow' : decision.reason).toBe(testCase.expected);
    });
  }
});

interface ConditionCase {
  operator: string;
  key?: string;
  values: string[];
  request?: string[];
  expected: boolean | 'undecided';
}

const conditionCases: ConditionCase[] = [
  { operator: 'StringEquals', values: ['abc'], request: ['abc'], expected: true },
  { operator: 'StringEquals', values: ['abc'], request: ['ABC'], expected: false },
  { operator: 'StringEquals', values: ['abc'], expected: false },
  { operator: 'StringNotEquals', values: ['abc'], request: ['xyz'], expected: true },
  { operator: 'StringNotEquals', values: ['abc'], request: ['abc'], expected: false },
  { operator: 'StringNotEquals', values: ['abc'], expected: true },
  { operator: 'StringEqualsIgnoreCase', values: ['abc'], request: ['ABC'], expected: true },
  { operator: 'StringLike', values: ['a*c'], request: ['abbbc'], expected: true },
  { operator: 'StringLike', values: ['a?c'], request: ['abbc'], expected: false },
  { operator: 'StringNotLike', values: ['a*'], request: ['bcd'], expected: true },
  { operator: 'StringEqualsIfExists', values: ['abc'], expected: true },
  { operator: 'StringEqualsIfExists', values: ['abc'], request: ['xyz'], expected: false },
  { operator: 'ForAllValues:StringEquals', values: ['a', 'b'], request: ['a'], expected: true },
  { operator: 'ForAllValues:StringEquals', values: ['a', 'b'], request: ['a', 'c'], expected: false },
  { operator: 'ForAllValues:StringEquals', values: ['a'], expected: true },
  { operator: 'ForAnyValue:StringEquals', values: ['a', 'b'], request: ['c', 'b'], expected: true },
  { operator: 'ForAnyValue:StringEquals', values: ['a'], request: ['c'], expected: false },
  { operator: 'ForAnyValue:StringEquals', values: ['a'], expected: false },
  { operator: 'Null', values: ['true'], expected: true },
  { operator: 'Null', values: ['true'], request: ['x'], expected: false },
  { operator: 'Null', values: ['false'], request: ['x'], expected: true },
  { operator: 'NumericLessThan', values: ['10'], request: ['9'], expected: true },
  { operator: 'NumericLessThan', values: ['10'], request: ['x'], expected: false },
  { operator: 'NumericGreaterThanEquals', values: ['10'], request: ['10'], expected: true },
  {
    operator: 'DateLessThan',
    values: ['2030-01-01T00:00:00Z'],
    request: ['2026-01-01T00:00:00Z'],
    expected: true,
  },
  {
    operator: 'DateGreaterThan',
    values: ['2030-01-01T00:00:00Z'],
    request: ['2026-01-01T00:00:00Z'],
    expected: false,
  },
  { operator: 'Bool', values: ['true'], request: ['TRUE'], expected: true },
  { operator: 'ArnLike', values: ['arn:aws:iam::*:role/App'], request: [ROLE], expected: true },
  { operator: 'ArnNotLike', values: ['arn:aws:iam::*:role/App'], request: [USER], expected: true },
  {
    operator: 'IpAddress',
    key: 'aws:SourceIp',
    values: ['127.0.0.0/8'],
    request: ['127.0.0.1'],
    expected: true,
  },
  {
    operator: 'NotIpAddress',
    key: 'aws:SourceIp',
    values: ['10.0.0.0/8'],
    request: ['127.0.0.1'],
    expected: true,
  },
  { operator: 'StringEquals', key: 'sts:ExternalId', values: ['id-1'], request: ['id-1'], expected: true },
  { operator: 'StringEquals', key: 'sts:ExternalId', values: ['id-1'], expected: false },
  { operator: 'StringEquals', key: 'aws:Bogus', values: ['x'], request: ['x'], expected: 'undecided' },
  { operator: 'StringMatches', values: ['x'], request: ['x'], expected: 'undecided' },
];

describe('condition operators', () => {
  for (const testCase of conditionCases) {
    const key = testCase.key ?? 'aws:PrincipalArn';
    const label = `${testCase.operator} ${JSON.stringify(testCase.values)} vs ${testCase.request ? JSON.stringify(testCase.request) : 'missing'}`;
    it(label, () => {
      const contextKeys = new Map<string, string[]>();
      if (testCase.request) contextKeys.set(key.toLowerCase(), testCase.request);
      const outcome = evaluateCondition(
        { operator: testCase.operator, key, values: testCase.values },
        contextKeys,
      );
      expect(outcome.decided ? outcome.holds : 'undecided').toBe(testCase.expected);
    });
  }
});

describe('policy parsing', () => {
  it('identity policy with Principal rejected', () => {
    expect(() =>
      doc('identity', [{ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' }]),
    ).toThrow(PolicySyntaxError);
  });

  it('trust policy with Resource rejected', () => {
    const text = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole', Resource: '*' }],
    });
    expect(() => parsePolicy(text, 'trust')).toThrow('Has prohibited field Resource');
  });

  it('trust policy with KMS action rejected', () => {
    const text = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'kms:Decrypt' }],
    });
    expect(() => parsePolicy(text, 'trust')).toThrow(
      'AssumeRole policy may only specify STS AssumeRole actions.',
    );
  });

  it('invalid JSON rejected', () => {
    expect(() => parsePolicy('{', 'key')).toThrow('Syntax errors in policy.');
  });

  it('unknown statement field rejected', () => {
    expect(() => doc('key', [{ ...rootDelegation, Effects: 'Allow' }])).toThrow(PolicySyntaxError);
  });

  it('duplicate Sid rejected', () => {
    expect(() =>
      doc('key', [
        { ...rootDelegation, Sid: 'A' },
        { ...rootDelegation, Sid: 'A' },
      ]),
    ).toThrow('Statement IDs (SID) in a single policy must be unique.');
  });

  it('non-ARN resource rejected', () => {
    expect(() => doc('identity', [{ Effect: 'Allow', Action: 'kms:*', Resource: 'my-key' }])).toThrow(
      'Resource my-key must be in ARN format or "*".',
    );
  });

  it('single statement object accepted', () => {
    const text = JSON.stringify({ Version: '2012-10-17', Statement: rootDelegation });
    expect(parsePolicy(text, 'key').statements).toHaveLength(1);
  });
});
