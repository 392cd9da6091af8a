import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { companyParams, standardErrors } from '../http/schemas.js';
import { findKeyHealth } from './key-health-dal.js';
import { keyHealthStates } from './key-health-types.js';

const keyHealthSchema = {
  type: 'object',
  nullable: true,
  required: ['state', 'message', 'checkedAt', 'changedAt', 'nextCheckAt', 'unknownGrants'],
  properties: {
    state: { type: 'string', enum: keyHealthStates },
    message: { type: 'string' },
    checkedAt: { type: 'string', format: 'date-time' },
    changedAt: { type: 'string', format: 'date-time', description: 'When the state last changed.' },
    nextCheckAt: { type: 'string', format: 'date-time' },
    deletionDate: { type: 'string', format: 'date-time', description: 'Set for key_pending_deletion.' },
    unknownGrants: {
      type: 'integer',
      description: 'Grants on an AWS KMS key to other principals than the role; 0 on Azure Key Vault.',
    },
  },
} as const;

/** Registers the route that returns the last key health check of a company on a customer key (null before the first). */
export function registerKeyHealthRoutes(app: FastifyInstance, db: Kysely<Database>): void {
  app.get(
    '/api/companies/:companyId/key-health',
    {
      config: { access: { scope: 'company', action: 'read' } },
      schema: {
        tags: ['key management'],
        summary: 'Result of the last periodic check of the customer key (AWS KMS or Azure Key Vault)',
        params: companyParams(),
        response: {
          200: {
            type: 'object',
            required: ['companyId', 'keyHealth'],
            properties: { companyId: { type: 'string' }, keyHealth: keyHealthSchema },
          },
          ...standardErrors,
        },
      },
    },
    async (request) => {
      const companyId = (request.params as { companyId: string }).companyId.toLowerCase();
      return { companyId, keyHealth: (await findKeyHealth(db, companyId)) ?? null };
    },
  );
}
