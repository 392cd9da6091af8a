/**
 * Condition keys the evaluator understands, in lower case. A key outside this list makes its statement
 * undecidable: the request is denied and the key logged. Reading an unknown key as absent would be unsafe,
 * because a misspelt key could then turn a Deny into nothing or an `IfExists` Allow into a grant.
 */
const EXACT_KEYS = new Set([
  'aws:principalarn',
  'aws:principalaccount',
  'aws:principaltype',
  'aws:principalorgid',
  'aws:principalisawsservice',
  'aws:userid',
  'aws:username',
  'aws:currenttime',
  'aws:epochtime',
  'aws:securetransport',
  'aws:sourceip',
  'aws:requestedregion',
  'aws:multifactorauthpresent',
  'aws:viaawsservice',
  'aws:calledvia',
  'aws:sourcearn',
  'aws:sourceaccount',
  'aws:resourceaccount',
  'aws:tokenissuetime',
  'aws:tagkeys',
  'sts:externalid',
  'sts:rolesessionname',
  'sts:sourceidentity',
  'sts:durationseconds',
  'kms:encryptioncontextkeys',
  'kms:grantoperations',
  'kms:granteeprincipal',
  'kms:retiringprincipal',
  'kms:grantconstrainttype',
  'kms:grantisforawsresource',
  'kms:calleraccount',
  'kms:viaservice',
  'kms:keyspec',
  'kms:keyusage',
  'kms:keyorigin',
  'kms:encryptionalgorithm',
  'kms:requestalias',
  'kms:resourcealiases',
  'kms:multiregion',
  'kms:multiregionkeytype',
  'kms:bypasspolicylockoutsafetycheck',
  'kms:scheduledeletionpendingwindowindays',
  'kms:rotationperiodindays',
  'kms:reencryptonsamekey',
  'iam:passedtoservice',
  'iam:permissionsboundary',
  'iam:policyarn',
]);

const KEY_PREFIXES = [
  'aws:principaltag/',
  'aws:resourcetag/',
  'aws:requesttag/',
  'kms:encryptioncontext:',
  'iam:resourcetag/',
];

export function isKnownConditionKey(key: string): boolean {
  const lower = key.toLowerCase();
  return (
    EXACT_KEYS.has(lower) ||
    KEY_PREFIXES.some((prefix) => lower.startsWith(prefix) && lower.length > prefix.length)
  );
}
