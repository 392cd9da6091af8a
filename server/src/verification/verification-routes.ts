import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { hashSessionId } from '../auth/sessions-dal.js';
import type { Config } from '../config/config.js';
import type { BackupSetKind, Database } from '../db/schema.js';
import { AppError } from '../errors/app-error.js';
import { sessionCookieName } from '../http/access-control.js';
import { companyParams, errorResponseSchema, standardErrors } from '../http/schemas.js';
import { findActiveSwitch } from '../switch/switch-dal.js';
import { listTenantStatuses } from '../switch/tenants.js';
import type { VerificationService } from './verification-service.js';

const callbackPath = '/api/verification/callback';

/** The console's public origin: configured, or the one the browser used for this request. */
function baseUrl(config: Config, request: FastifyRequest): string {
  return config.publicUrl ?? `${request.protocol}://${request.host}`;
}

const tenantSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string' },
    tenantId: { type: 'string' },
    primaryDomain: { type: 'string' },
    backupSets: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: ['unverified', 'verified', 'refused'] },
    reason: { type: ['string', 'null'] },
    verifiedBy: { type: ['string', 'null'] },
    updatedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export function registerVerificationRoutes(
  app: FastifyInstance,
  db: Kysely<Database>,
  verification: VerificationService,
  config: Config,
): void {
  app.get(
    '/api/companies/:companyId/key-management/tenants',
    {
      config: { access: { scope: 'company', action: 'read' } },
      schema: {
        tags: ['key management'],
        summary: "The live tenant list of the company's backup sets with verification status",
        params: companyParams(),
        response: {
          200: { type: 'object', properties: { tenants: { type: 'array', items: tenantSchema } } },
          ...standardErrors,
        },
      },
    },
    async (request) => {
      const companyId = (request.params as { companyId: string }).companyId.toLowerCase();
      const active = await findActiveSwitch(db, companyId);
      if (active) return { tenants: await listTenantStatuses(db, companyId, { switchId: active.id }) };

      const offer = await db
        .selectFrom('export_offers')
        .select('consumed_at')
        .where('company_id', '=', companyId)
        .executeTakeFirst();
      const since = offer?.consumed_at ? new Date(offer.consumed_at) : new Date();
      return { tenants: await listTenantStatuses(db, companyId, { purpose: 'export', since }) };
    },
  );

  app.post(
    '/api/companies/:companyId/key-management/tenants/verify',
    {
      config: { access: { scope: 'company', action: 'manage' } },
      schema: {
        tags: ['key management'],
        summary: 'Start verifying a tenant: returns the identity provider URL to send the browser to',
        params: companyParams(),
        body: {
          type: 'object',
          required: ['kind', 'tenantId'],
          additionalProperties: false,
          properties: {
            kind: { type: 'string', enum: ['microsoft365', 'google_workspace'] },
            tenantId: { type: 'string', maxLength: 64 },
          },
        },
        response: {
          200: { type: 'object', properties: { authorizationUrl: { type: 'string' } } },
          ...standardErrors,
          409: errorResponseSchema,
          503: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const companyId = (request.params as { companyId: string }).companyId.toLowerCase();
      const body = request.body as { kind: BackupSetKind; tenantId: string };
      const principal = request.principal!;
      const authorizationUrl = await verification.start({
        companyId,
        kind: body.kind,
        tenantId: body.tenantId,
        userId: principal.userId,
        sessionIdHash: principal.sessionIdHash,
        redirectUri: `${baseUrl(config, request)}${callbackPath}`,
      });
      return { authorizationUrl };
    },
  );

  app.get(
    callbackPath,
    {
      // Public because the identity provider's redirect lands here; the state binds it to the session.
      config: { access: { scope: 'public' } },
      schema: {
        tags: ['key management'],
        summary: 'Return address of tenant verification (identity provider redirect)',
      },
    },
    async (request, reply) => {
      const url = new URL(request.url, baseUrl(config, request));
      const cookie = request.cookies[sessionCookieName];
      try {
        const result = await verification.complete(
          url,
          cookie ? hashSessionId(cookie) : undefined,
          async (userId) => {
            const user = await db
              .selectFrom('users')
              .select('email')
              .where('id', '=', userId)
              .executeTakeFirst();
            return user?.email ?? userId;
          },
        );
        const query = new URLSearchParams({ tenant: result.tenantId, result: result.outcome });
        if (result.reason) query.set('reason', result.reason);
        return reply.redirect(`/companies/${result.companyId}/key-management?${query}`, 303);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        request.log.info(
          { code: error.code, reason: error.message },
          'tenant verification callback rejected',
        );
        const query = new URLSearchParams({ verificationError: error.message });
        return reply.redirect(`/?${query}`, 303);
      }
    },
  );
}
