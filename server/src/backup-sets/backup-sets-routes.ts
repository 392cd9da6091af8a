import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors/app-error.js';
import { companyParams, errorResponseSchema, standardErrors, uuidSchema } from '../http/schemas.js';
import { backupSetKinds } from './backup-set-validation.js';
import { findBackupSet, listBackupSets } from './backup-sets-dal.js';
import { createBackupSet } from './backup-sets-service.js';

const backupSetSchema = {
  type: 'object',
  required: ['id', 'companyId', 'kind', 'tenantId', 'primaryDomain', 'name', 'createdAt'],
  properties: {
    id: uuidSchema,
    companyId: uuidSchema,
    kind: { type: 'string', enum: backupSetKinds },
    tenantId: {
      type: 'string',
      description: 'Microsoft 365 tenant id (GUID) or Google Workspace customer id.',
    },
    primaryDomain: { type: 'string' },
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export function registerBackupSetRoutes(app: FastifyInstance, db: Kysely<Database>): void {
  app.get(
    '/api/companies/:companyId/backup-sets',
    {
      config: { access: { scope: 'company', action: 'read' } },
      schema: {
        tags: ['backup sets'],
        summary: "List a company's backup sets",
        params: companyParams(),
        response: {
          200: { type: 'object', properties: { backupSets: { type: 'array', items: backupSetSchema } } },
        },
      },
    },
    async (request) => {
      const { companyId } = request.params as { companyId: string };
      return { backupSets: await listBackupSets(db, companyId.toLowerCase()) };
    },
  );

  app.get(
    '/api/companies/:companyId/backup-sets/:backupSetId',
    {
      config: { access: { scope: 'company', action: 'read' } },
      schema: {
        tags: ['backup sets'],
        summary: 'Get one backup set',
        params: companyParams({ backupSetId: uuidSchema }),
        response: { 200: backupSetSchema, ...standardErrors },
      },
    },
    async (request) => {
      const { companyId, backupSetId } = request.params as { companyId: string; backupSetId: string };
      const backupSet = await findBackupSet(db, companyId.toLowerCase(), backupSetId.toLowerCase());
      if (!backupSet)
        throw new AppError('NOT_FOUND', `Backup set ${backupSetId} was not found in this company.`);
      return backupSet;
    },
  );

  app.post(
    '/api/companies/:companyId/backup-sets',
    {
      config: { access: { scope: 'company', action: 'manage' } },
      schema: {
        tags: ['backup sets'],
        summary: 'Create a backup set (a new tenant id adds a tenant to the company)',
        params: companyParams(),
        body: {
          type: 'object',
          required: ['kind', 'tenantId', 'primaryDomain', 'name'],
          additionalProperties: false,
          properties: {
            kind: { type: 'string', maxLength: 32, description: backupSetKinds.join(' or ') },
            tenantId: { type: 'string', maxLength: 64 },
            primaryDomain: { type: 'string', maxLength: 253 },
            name: { type: 'string', maxLength: 200 },
          },
        },
        response: { 201: backupSetSchema, ...standardErrors, 409: errorResponseSchema },
      },
    },
    async (request, reply) => {
      const { companyId } = request.params as { companyId: string };
      const body = request.body as { kind: string; tenantId: string; primaryDomain: string; name: string };
      const backupSet = await createBackupSet(db, companyId.toLowerCase(), body);
      request.log.info({ companyId, backupSetId: backupSet.id, kind: backupSet.kind }, 'backup set created');
      return reply.status(201).send(backupSet);
    },
  );
}
