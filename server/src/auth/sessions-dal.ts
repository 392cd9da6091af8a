import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Principal } from '../http/access.js';

export function hashSessionId(cookieValue: string): string {
  return createHash('sha256').update(cookieValue).digest('hex');
}

/** Creates a session; returns the cookie value (256 random bits) and the CSRF token bound to it. */
export async function createSession(
  db: Kysely<Database>,
  userId: string,
  ttlSeconds: number,
): Promise<{ cookieValue: string; csrfToken: string; expiresAt: Date }> {
  const cookieValue = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  await db
    .insertInto('sessions')
    .values({
      id_hash: hashSessionId(cookieValue),
      user_id: userId,
      csrf_token: csrfToken,
      expires_at: expiresAt,
    })
    .execute();
  return { cookieValue, csrfToken, expiresAt };
}

/** Returns the principal of a live session, or undefined when unknown or expired. */
export async function findSessionPrincipal(
  db: Kysely<Database>,
  cookieValue: string,
): Promise<Principal | undefined> {
  const idHash = hashSessionId(cookieValue);
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'users.id as userId',
      'users.email',
      'users.display_name as displayName',
      'users.role',
      'users.partner_id as partnerId',
      'users.company_id as companyId',
      'sessions.csrf_token as csrfToken',
      'sessions.expires_at as expiresAt',
    ])
    .where('sessions.id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row || new Date(row.expiresAt).getTime() <= Date.now()) return undefined;

  const { expiresAt: _expiresAt, ...principal } = row;
  return { ...principal, sessionIdHash: idHash };
}

export async function deleteSession(db: Kysely<Database>, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
}

/** Deletes expired sessions; returns how many. */
export async function deleteExpiredSessions(db: Kysely<Database>): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<=', new Date()).executeTakeFirst();
  return Number(result.numDeletedRows);
}
