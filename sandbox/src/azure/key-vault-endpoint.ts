import { constants, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { bearerToken, sendJson } from '../identity/http-responses.js';
import {
  AzureInputError,
  type AzureStore,
  dataActions,
  type KeyAction,
  type KeyType,
  type KeyVersionRecord,
} from './azure-state.js';
import { verifyAccessToken } from './entra-token-endpoint.js';

/**
 * The Key Vault keys REST API at the root of the HTTPS listener (the vault URL), for the calls the
 * product makes: create, get, update, wrapkey and unwrapkey. Authorization follows Azure RBAC: a role
 * assignment on the vault or on the key must grant the operation's data action. Error bodies have
 * Key Vault's shape, `{"error":{"code","message","innererror"?}}`.
 */
export async function handleKeyVaultRequest(
  vaultUrl: string,
  store: AzureStore,
  log: Logger,
  request: IncomingMessage,
  body: Buffer,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', vaultUrl);
  const challenge = `Bearer authorization="${vaultUrl}/${store.state.tenantId}", resource="https://vault.azure.net"`;

  // Key Vault SDKs send a first request without a token to learn the tenant from this challenge.
  const token = bearerToken(request);
  if (!token)
    return sendError(
      response,
      401,
      'Unauthorized',
      'AKV10000: Request is missing a Bearer or PoP token.',
      undefined,
      challenge,
    );
  const claims = verifyAccessToken(store, token);
  if (!claims || claims.tid !== store.state.tenantId)
    return sendError(
      response,
      401,
      'Unauthorized',
      'AKV10022: Invalid token: the token is expired or was not issued by this tenant.',
      undefined,
      challenge,
    );
  if (!url.searchParams.get('api-version'))
    return sendError(
      response,
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    );

  const match = /^\/keys\/([^/]+)(?:\/([^/]*))?(?:\/(wrapkey|unwrapkey))?\/?$/.exec(url.pathname);
  if (!match) return sendError(response, 404, 'NotFound', `No route at ${url.pathname}.`);
  const name = decodeURIComponent(match[1]!);
  const segment = match[2] ?? '';
  const operation = match[3];

  let input: Record<string, unknown> = {};
  if (body.length > 0) {
    try {
      input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return sendError(response, 400, 'BadParameter', 'The request body is not valid JSON.');
    }
  }
  const caller = { clientId: claims.appid, name, log, store, response, vaultUrl };

  if (request.method === 'POST' && segment === 'create' && operation === undefined) {
    if (!authorize(caller, 'create', store.findKey(name) !== undefined)) return;
    const attributes = (input.attributes ?? {}) as Record<string, unknown>;
    try {
      const { key, version } = store.createKey({
        name,
        kty: input.kty as KeyType,
        ...(typeof input.key_size === 'number' ? { keySize: input.key_size } : {}),
        ...(typeof attributes.enabled === 'boolean' ? { enabled: attributes.enabled } : {}),
        ...(typeof attributes.nbf === 'number' ? { nbf: attributes.nbf } : {}),
        ...(typeof attributes.exp === 'number' ? { exp: attributes.exp } : {}),
      });
      return sendJson(response, 200, keyBundle(vaultUrl, key.name, version));
    } catch (error) {
      if (error instanceof AzureInputError)
        return sendError(response, error.status, 'BadParameter', error.message);
      throw error;
    }
  }
  if (request.method === 'GET' && operation === undefined) {
    const record = findVersion(caller, segment, 'get');
    if (!record) return;
    if (!record.enabled) return sendDisabled(response, 'get');
    return sendJson(response, 200, keyBundle(vaultUrl, store.findKey(name)!.name, record));
  }
  if (request.method === 'PATCH' && operation === undefined) {
    const record = findVersion(caller, segment, 'update');
    if (!record) return;
    const attributes = (input.attributes ?? {}) as Record<string, unknown>;
    const changes: { enabled?: boolean; nbf?: number | null; exp?: number | null } = {};
    if (typeof attributes.enabled === 'boolean') changes.enabled = attributes.enabled;
    if (typeof attributes.nbf === 'number' || attributes.nbf === null) changes.nbf = attributes.nbf;
    if (typeof attributes.exp === 'number' || attributes.exp === null) changes.exp = attributes.exp;
    const updated = store.updateKey(name, record.version, changes)!;
    return sendJson(response, 200, keyBundle(vaultUrl, store.findKey(name)!.name, updated));
  }
  if (request.method === 'POST' && operation !== undefined && segment !== '') {
    const action: KeyAction = operation === 'wrapkey' ? 'wrapKey' : 'unwrapKey';
    const record = findVersion(caller, segment, action);
    if (!record) return;
    return runKeyOperation(caller, record, action, input);
  }
  return sendError(response, 405, 'MethodNotAllowed', `${request.method} is not allowed on ${url.pathname}.`);
}

interface Caller {
  clientId: string;
  name: string;
  log: Logger;
  store: AzureStore;
  response: ServerResponse;
  vaultUrl: string;
}

function sendError(
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
  innerCode?: string,
  challenge?: string,
): void {
  if (challenge) response.setHeader('www-authenticate', challenge);
  sendJson(response, status, {
    error: { code, message, ...(innerCode ? { innererror: { code: innerCode } } : {}) },
  });
}

function sendDisabled(response: ServerResponse, operation: string): void {
  sendError(
    response,
    403,
    'Forbidden',
    `Operation ${operation} is not allowed on a disabled key.`,
    'KeyDisabled',
  );
}

/** Sends Key Vault's RBAC refusal, naming the data action, unless the caller has it. */
function authorize(caller: Caller, action: KeyAction, keyExists: boolean): boolean {
  if (
    keyExists
      ? caller.store.isAllowed(caller.clientId, caller.name, action)
      : caller.store.isAllowedOnVault(caller.clientId, action)
  )
    return true;
  const vault = caller.store.state.vaultName;
  caller.log.info(
    { clientId: caller.clientId, key: caller.name, action },
    'key vault request forbidden by rbac',
  );
  sendError(
    caller.response,
    403,
    'Forbidden',
    [
      'Caller is not authorized to perform action on resource.',
      'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
      `Caller: appid=${caller.clientId};oid=${caller.clientId};iss=https://sts.windows.net/${caller.store.state.tenantId}/`,
      `Action: '${dataActions[action]}'`,
      `Resource: '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/sandbox/providers/microsoft.keyvault/vaults/${vault}/keys/${caller.name.toLowerCase()}'`,
      'Assignment: (not found)',
      `Vault: ${vault};location=westeurope`,
      '',
    ].join('\r\n'),
    'ForbiddenByRbac',
  );
  return false;
}

/**
 * Finds the key version after checking the caller's role for `action`. As on Azure, a caller without
 * the role on the vault cannot tell a missing key from a forbidden one, because both get 403.
 */
function findVersion(caller: Caller, version: string, action: KeyAction): KeyVersionRecord | undefined {
  const key = caller.store.findKey(caller.name);
  if (!authorize(caller, action, key !== undefined)) return undefined;
  const record = caller.store.findKeyVersion(caller.name, version);
  if (!record) {
    const id = version === '' ? caller.name : `${caller.name}/${version}`;
    sendError(
      caller.response,
      404,
      'KeyNotFound',
      `A key with (name/id) ${id} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
    );
    return undefined;
  }
  return record;
}

function keyId(vaultUrl: string, name: string, version: string): string {
  return `${vaultUrl}/keys/${name}/${version}`;
}

function keyBundle(vaultUrl: string, name: string, record: KeyVersionRecord): object {
  const kid = keyId(vaultUrl, name, record.version);
  let key: Record<string, unknown> = { kid, kty: record.kty, key_ops: record.keyOps };
  if (record.kty !== 'oct-HSM') {
    const jwk = createPublicKey(createPrivateKey(record.privateKey)).export({ format: 'jwk' });
    key = record.kty.startsWith('RSA')
      ? { ...key, n: jwk.n, e: jwk.e }
      : { ...key, crv: record.crv, x: jwk.x, y: jwk.y };
  }
  return {
    key,
    attributes: {
      enabled: record.enabled,
      ...(record.nbf === undefined ? {} : { nbf: record.nbf }),
      ...(record.exp === undefined ? {} : { exp: record.exp }),
      created: record.created,
      updated: record.updated,
      recoveryLevel: 'Recoverable+Purgeable',
      recoverableDays: 90,
      exportable: false,
    },
  };
}

const oaepHashes: Record<string, string> = { 'RSA-OAEP-256': 'sha256', 'RSA-OAEP': 'sha1' };

/**
 * Wraps or unwraps with the key version's RSA key. Checks run in Key Vault's order: enabled, the
 * validity window, the key's permitted operations, then the algorithm against the key type.
 */
async function runKeyOperation(
  caller: Caller,
  record: KeyVersionRecord,
  action: 'wrapKey' | 'unwrapKey',
  input: Record<string, unknown>,
): Promise<void> {
  const { response } = caller;
  if (!record.enabled) return sendDisabled(response, action);
  const now = Date.now() / 1000;
  // NOTE: Key Vault's wording for these two refusals is modelled, not copied from a captured response.
  if (record.exp !== undefined && now >= record.exp)
    return sendError(
      response,
      403,
      'Forbidden',
      `Operation ${action} is not allowed on an expired key.`,
      'KeyExpired',
    );
  if (record.nbf !== undefined && now < record.nbf)
    return sendError(
      response,
      403,
      'Forbidden',
      `Operation ${action} is not allowed on a key that is not yet valid.`,
      'KeyNotYetValid',
    );
  if (!record.keyOps.includes(action))
    return sendError(
      response,
      403,
      'Forbidden',
      `Operation ${action} is not permitted on this key.`,
      'KeyOperationForbidden',
    );

  const algorithm = String(input.alg ?? '');
  const hash = oaepHashes[algorithm];
  if (!record.kty.startsWith('RSA') || hash === undefined)
    return sendError(
      response,
      400,
      'BadParameter',
      `Algorithm ${algorithm || '(none)'} is not supported for a key of type ${record.kty}.`,
    );
  if (typeof input.value !== 'string' || input.value === '')
    return sendError(response, 400, 'BadParameter', 'Property value is required.');

  const value = Buffer.from(input.value, 'base64url');
  const key = createPrivateKey(record.privateKey);
  const options = { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash };
  let result: Buffer;
  try {
    result = action === 'wrapKey' ? publicEncrypt(options, value) : privateDecrypt(options, value);
  } catch {
    return sendError(
      response,
      400,
      'BadParameter',
      `The value could not be ${action === 'wrapKey' ? 'wrapped' : 'unwrapped'} with this key.`,
    );
  }
  caller.log.info(
    { clientId: caller.clientId, key: caller.name, version: record.version, action },
    'key vault key operation',
  );
  sendJson(response, 200, {
    kid: keyId(caller.vaultUrl, caller.store.findKey(caller.name)!.name, record.version),
    value: result.toString('base64url'),
  });
}
