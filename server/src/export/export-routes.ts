import type { FastifyInstance } from 'fastify';
import { companyParams, errorResponseSchema, standardErrors } from '../http/schemas.js';
import { minPassphraseLength } from './export-file.js';
import type { ExportService } from './export-service.js';

export function registerExportRoutes(app: FastifyInstance, exports: ExportService): void {
  app.post(
    '/api/companies/:companyId/key-management/export',
    {
      config: { access: { scope: 'company', action: 'manage' } },
      schema: {
        tags: ['key management'],
        summary: 'Export the company key once, encrypted under a passphrase (application/octet-stream)',
        params: companyParams(),
        body: {
          type: 'object',
          required: ['password', 'passphrase'],
          additionalProperties: false,
          properties: {
            password: { type: 'string', maxLength: 1024, description: "The admin's own RedApp password." },
            passphrase: {
              type: 'string',
              maxLength: 1024,
              description: `At least ${minPassphraseLength} characters.`,
            },
          },
        },
        response: {
          ...standardErrors,
          409: errorResponseSchema,
          422: errorResponseSchema,
          503: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const companyId = (request.params as { companyId: string }).companyId.toLowerCase();
      const { password, passphrase } = request.body as { password: string; passphrase: string };
      const principal = request.principal!;
      const { file, fileName } = await exports.export(
        companyId,
        { userId: principal.userId, email: principal.email },
        password,
        passphrase,
      );
      return reply
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${fileName}"`)
        .send(file);
    },
  );
}
