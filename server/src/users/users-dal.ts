import type { Kysely } from 'kysely';
import type { Database, Role } from '../db/schema.js';

export interface NewUser {
  email: string;
  displayName: string;
  passwordHash: string;
  role: Role;
  partnerId: string;
  companyId: string | null;
}

export async function insertUser(db: Kysely<Database>, user: NewUser): Promise<string> {
  const id = crypto.randomUUID();
  await db
    .insertInto('users')
    .values({
      id,
      email: user.email,
      display_name: user.displayName,
      password_hash: user.passwordHash,
      role: user.role,
      partner_id: user.partnerId,
      company_id: user.companyId,
    })
    .execute();
  return id;
}

export function findUserByEmail(db: Kysely<Database>, email: string) {
  return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
}
