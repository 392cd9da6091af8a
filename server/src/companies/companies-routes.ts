import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { companyParams, standardErrors, uuidSchema } from '../http/schemas.js';
import { type Company, findCompany, listCompaniesOfPartner } from './companies-dal.js';

const companySchema = {
  type: 'object',
  required: ['id', 'name', 'partnerId', 'partnerName', 'createdAt'],
  properties: {
    id: uuidSchema,
    name: { type: 'string' },
    partnerId: uuidSchema,
    partnerName: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export function registerCompanyRoutes(app: FastifyInstance, db: Kysely<Database>): void {
  app.get(
    '/api/companies',
    {
      config: { access: { scope: 'session' } },
      schema: {
        tags: ['companies'],
        summary: 'List the companies the caller may see',
        response: {
          200: { type: 'object', properties: { companies: { type: 'array', items: companySchema } } },
        },
      },
    },
    async (request) => {
      const principal = request.principal!;
      let companies: Company[];
      if (principal.role === 'partner_admin') {
        companies = await listCompaniesOfPartner(db, principal.partnerId);
      } else {
        const own = await findCompany(db, principal.companyId!);
        companies = own ? [own] : [];
      }
      return { companies };
    },
  );

  app.get(
    '/api/companies/:companyId',
    {
      config: { access: { scope: 'company', action: 'read' } },
      schema: {
        tags: ['companies'],
        summary: 'Get one company',
        params: companyParams(),
        response: { 200: companySchema, ...standardErrors },
      },
    },
    async (request) => {
      const { companyId } = request.params as { companyId: string };
      // The access hook has already found the company in the caller's scope.
      return (await findCompany(db, companyId.toLowerCase()))!;
    },
  );
}
