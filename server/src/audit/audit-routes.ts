import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { companyParams, standardErrors } from '../http/schemas.js';
import { listAuditEvents } from './audit-log.js';

const eventSchema = {
  type: 'object',
  properties: {
    sequence: { type: 'integer' },
    time: { type: 'string', format: 'date-time' },
    actor: { type: 'string' },
    action: { type: 'string' },
    outcome: { type: 'string', enum: ['success', 'failure'] },
    summary: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

export function registerAuditRoutes(app: FastifyInstance, db: Kysely<Database>): void {
  app.get(
    '/api/companies/:companyId/audit-events',
    {
      config: { access: { scope: 'company', action: 'read' } },
      schema: {
        tags: ['audit'],
        summary: "The company's key-management audit log, newest first",
        params: companyParams(),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            before: {
              type: 'integer',
              minimum: 1,
              description: 'Only events with a smaller sequence number.',
            },
          },
        },
        response: {
          200: { type: 'object', properties: { events: { type: 'array', items: eventSchema } } },
          ...standardErrors,
        },
      },
    },
    async (request) => {
      const companyId = (request.params as { companyId: string }).companyId.toLowerCase();
      const { limit, before } = request.query as { limit: number; before?: number };
      return { events: await listAuditEvents(db, companyId, { limit, before }) };
    },
  );
}
