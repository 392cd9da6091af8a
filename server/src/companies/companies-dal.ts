import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export interface Company {
  id: string;
  partnerId: string;
  partnerName: string;
  name: string;
  createdAt: Date;
}

function selectCompanies(db: Kysely<Database>) {
  return db
    .selectFrom('companies')
    .innerJoin('partners', 'partners.id', 'companies.partner_id')
    .select([
      'companies.id',
      'companies.partner_id as partnerId',
      'partners.name as partnerName',
      'companies.name',
      'companies.created_at as createdAt',
    ]);
}

export function findCompany(db: Kysely<Database>, companyId: string): Promise<Company | undefined> {
  return selectCompanies(db).where('companies.id', '=', companyId).executeTakeFirst();
}

export function listCompaniesOfPartner(db: Kysely<Database>, partnerId: string): Promise<Company[]> {
  return selectCompanies(db)
    .where('companies.partner_id', '=', partnerId)
    .orderBy('companies.name')
    .execute();
}

export async function insertPartner(
  db: Kysely<Database>,
  name: string,
  id = crypto.randomUUID(),
): Promise<string> {
  await db.insertInto('partners').values({ id, name }).execute();
  return id;
}

export async function insertCompany(
  db: Kysely<Database>,
  partnerId: string,
  name: string,
  id = crypto.randomUUID(),
): Promise<string> {
  await db.insertInto('companies').values({ id, partner_id: partnerId, name }).execute();
  return id;
}
