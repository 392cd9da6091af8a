import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, sendJson } from '../http-responses.js';
import type { IdentityStore } from '../identity-store.js';
import type { GoogleAccount, GoogleUser } from '../identity-types.js';
import type { GoogleIssuer } from './google-issuer.js';
import { DIRECTORY_USER_READONLY_SCOPE, DIRECTORY_USER_SCOPE, GOOGLE_PATH } from './google-paths.js';

const USERS_PATH = `${GOOGLE_PATH}/admin/directory/v1/users/`;
const NOT_AUTHORIZED = 'Not Authorized to access this resource/api';

/**
 * Serves the Directory API's `users.get` (`GET /google/admin/directory/v1/users/{userKey}`, userKey an email
 * or a user id) as Google does for the caller's role: a super admin or a delegated admin of the same account
 * gets the user, anybody else gets 403 "Not Authorized to access this resource/api".
 */
export async function handleDirectoryRequest(
  issuer: GoogleIssuer,
  store: IdentityStore,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://sandbox').pathname;
  if (request.method !== 'GET' || !path.startsWith(USERS_PATH) || path.length === USERS_PATH.length) {
    return googleError(response, 404, 'Not Found', 'notFound');
  }
  const userKey = decodeURIComponent(path.slice(USERS_PATH.length));

  const token = bearerToken(request);
  const caller = token === undefined ? undefined : await issuer.findAccessToken(token);
  if (!caller) {
    return sendJson(response, 401, {
      error: {
        code: 401,
        message:
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        errors: [
          {
            message: 'Invalid Credentials',
            domain: 'global',
            reason: 'authError',
            location: 'Authorization',
            locationType: 'header',
          },
        ],
        status: 'UNAUTHENTICATED',
      },
    });
  }
  if (
    !caller.scopes.some((scope) => scope === DIRECTORY_USER_READONLY_SCOPE || scope === DIRECTORY_USER_SCOPE)
  ) {
    return sendJson(response, 403, {
      error: {
        code: 403,
        message: 'Request had insufficient authentication scopes.',
        errors: [{ message: 'Insufficient Permission', domain: 'global', reason: 'insufficientPermissions' }],
        status: 'PERMISSION_DENIED',
      },
    });
  }

  if (caller.user.role === 'user') return googleError(response, 403, NOT_AUTHORIZED, 'forbidden');
  const target = store.findGoogleUser(userKey);
  if (!target) return googleError(response, 404, 'Resource Not Found: userKey', 'notFound');
  if (target.account.customerId !== caller.account.customerId) {
    return googleError(response, 403, NOT_AUTHORIZED, 'forbidden');
  }
  sendJson(response, 200, userResource(target.account, target.user));
}

function userResource(account: GoogleAccount, user: GoogleUser): Record<string, unknown> {
  const [givenName, ...family] = user.displayName.split(' ');
  return {
    kind: 'admin#directory#user',
    id: user.id,
    primaryEmail: user.username,
    name: { givenName, familyName: family.join(' '), fullName: user.displayName },
    isAdmin: user.role === 'super_admin',
    isDelegatedAdmin: user.role === 'delegated_admin',
    customerId: account.customerId,
    orgUnitPath: '/',
    suspended: false,
    archived: false,
    isMailboxSetup: true,
    agreedToTerms: true,
  };
}

/** Google's error body, without the `status` field, as the Directory API sends it for these errors. */
function googleError(response: ServerResponse, status: number, message: string, reason: string): void {
  sendJson(response, status, {
    error: { code: status, message, errors: [{ message, domain: 'global', reason }] },
  });
}
