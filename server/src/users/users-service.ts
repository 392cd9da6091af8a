import type { Kysely } from 'kysely';
import { hashPassword, minPasswordLength } from '../auth/passwords.js';
import type { Database, Role } from '../db/schema.js';
import { AppError, invalidInput } from '../errors/app-error.js';
import { findUserByEmail, insertUser } from './users-dal.js';

export const roles: readonly Role[] = ['partner_admin', 'company_admin', 'company_viewer'];

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface AddUserInput {
  email: string;
  displayName: string;
  password: string;
  role: string;
  /** Partner id; required for Partner Admins, taken from the company otherwise. */
  partnerId?: string | undefined;
  companyId?: string | undefined;
}

/** Adds a user after checking email, password length, role and the partner or company it belongs to. */
export async function addUser(db: Kysely<Database>, input: AddUserInput): Promise<string> {
  const email = input.email.trim().toLowerCase();
  if (!emailPattern.test(email))
    throw invalidInput('email', `"${input.email}" is not an email address`, 'name@domain');
  if (input.password.length < minPasswordLength) {
    throw invalidInput(
      'password',
      `has ${input.password.length} characters`,
      `at least ${minPasswordLength}`,
    );
  }
  if (!roles.includes(input.role as Role)) {
    throw invalidInput('role', `"${input.role}" is unknown`, roles.join(', '));
  }
  const role = input.role as Role;

  let partnerId: string;
  let companyId: string | null = null;
  if (role === 'partner_admin') {
    if (!input.partnerId) throw invalidInput('partner', 'is missing for a partner_admin', 'a partner id');
    const partner = await db
      .selectFrom('partners')
      .select('id')
      .where('id', '=', input.partnerId)
      .executeTakeFirst();
    if (!partner) throw new AppError('NOT_FOUND', `Partner ${input.partnerId} was not found.`);
    partnerId = partner.id;
  } else {
    if (!input.companyId) throw invalidInput('company', `is missing for a ${role}`, 'a company id');
    const company = await db
      .selectFrom('companies')
      .select(['id', 'partner_id'])
      .where('id', '=', input.companyId)
      .executeTakeFirst();
    if (!company) throw new AppError('NOT_FOUND', `Company ${input.companyId} was not found.`);
    partnerId = company.partner_id;
    companyId = company.id;
  }

  if (await findUserByEmail(db, email)) {
    throw new AppError('CONFLICT', `A user with email ${email} already exists.`, {
      fix: 'Choose another email address.',
    });
  }
  return insertUser(db, {
    email,
    displayName: input.displayName.trim() || email,
    passwordHash: await hashPassword(input.password),
    role,
    partnerId,
    companyId,
  });
}
