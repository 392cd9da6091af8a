import type { FastifyInstance } from 'fastify';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors/app-error.js';
import { errorResponseSchema } from '../http/schemas.js';

const statusSchema = { type: 'object', properties: { status: { type: 'string' } } } as const;

export function registerHealthRoutes(app: FastifyInstance, db: Kysely<Database>): void {
  app.get(
    '/healthz',
    {
      config: { access: { scope: 'public' } },
      logLevel: 'warn',
      schema: { tags: ['health'], summary: 'Liveness: the process answers', response: { 200: statusSchema } },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { access: { scope: 'public' } },
      logLevel: 'warn',
      schema: {
        tags: ['health'],
        summary: 'Readiness: the database answers',
        response: { 200: statusSchema, 503: errorResponseSchema },
      },
    },
    async (request) => {
      try {
        await sql`select 1`.execute(db);
      } catch (error) {
        request.log.error({ err: error }, 'readiness check failed');
        throw new AppError('DATABASE_UNAVAILABLE', 'The database does not answer.');
      }
      return { status: 'ok' };
    },
  );
}
