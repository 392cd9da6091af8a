import type { FastifyInstance } from 'fastify';
import { principalActor } from '../audit/audit-actor.js';
import { companyParams, errorResponseSchema, standardErrors } from '../http/schemas.js';
import type { CompanyKeyService } from './company-keys-service.js';

const versionSchema = {
  type: 'object',
  properties: {
    version: { type: 'integer' },
    providerType: { type: 'string' },
    providerKeyId: {
      type: 'string',
      description: 'The provider key that wraps this version (never key material).',
    },
    mechanism: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export function registerKeyRoutes(app: FastifyInstance, companyKeys: CompanyKeyService): void {
  app.get(
    '/api/companies/:companyId/keys',
    {
      config: { access: { scope: 'company', action: 'read' } },
      schema: {
        tags: ['keys'],
        summary: "List the company key's versions and the provider keys wrapping them",
        params: companyParams(),
        response: {
          200: { type: 'object', properties: { versions: { type: 'array', items: versionSchema } } },
          ...standardErrors,
        },
      },
    },
    async (request) => {
      const companyId = (request.params as { companyId: string }).companyId.toLowerCase();
      await companyKeys.ensureCompanyKey(companyId);
      return { versions: await companyKeys.listVersions(companyId) };
    },
  );

  app.post(
    '/api/companies/:companyId/keys/rotate',
    {
      config: { access: { scope: 'company', action: 'manage' } },
      schema: {
        tags: ['keys'],
        summary: 'Add a company key version; new backup keys use it',
        params: companyParams(),
        response: {
          200: {
            type: 'object',
            properties: {
              version: { type: 'integer' },
              deletedVersions: { type: 'array', items: { type: 'integer' } },
            },
          },
          ...standardErrors,
          409: errorResponseSchema,
          422: errorResponseSchema,
          503: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const companyId = (request.params as { companyId: string }).companyId.toLowerCase();
      return companyKeys.rotate(companyId, principalActor(request.principal!));
    },
  );
}
