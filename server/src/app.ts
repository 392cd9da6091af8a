import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { registerAuditRoutes } from './audit/audit-routes.js';
import { registerAuthRoutes } from './auth/auth-routes.js';
import { findSessionPrincipal } from './auth/sessions-dal.js';
import { registerBackupSetRoutes } from './backup-sets/backup-sets-routes.js';
import { registerBackupObjectRoutes } from './backups/backup-objects-routes.js';
import { findCompany } from './companies/companies-dal.js';
import { registerCompanyRoutes } from './companies/companies-routes.js';
import type { Config } from './config/config.js';
import type { Database } from './db/schema.js';
import { AppError } from './errors/app-error.js';
import { registerExportRoutes } from './export/export-routes.js';
import { registerHealthRoutes } from './health/health-routes.js';
import { installAccessControl, type RegisteredRoute } from './http/access-control.js';
import { registerConsole } from './http/console.js';
import { installErrorHandler } from './http/error-handler.js';
import { registerKeyHealthRoutes } from './key-health/key-health-routes.js';
import { registerKeyManagementRoutes } from './key-management/key-management-routes.js';
import { registerKeyRoutes } from './keys/keys-routes.js';
import { loggerOptions } from './logging/logger.js';
import { createServices, type Services } from './services.js';
import { registerVerificationRoutes } from './verification/verification-routes.js';

export interface AppDeps {
  config: Config;
  db: Kysely<Database>;
  /** Domain services; built from the configuration when absent. */
  services?: Services;
  /** Pino options; tests pass a silent or captured logger. */
  logger?: ReturnType<typeof loggerOptions> | false;
}

export interface App {
  server: FastifyInstance;
  services: Services;
  /** Every route with its declared access, as registered. */
  routes: RegisteredRoute[];
}

/** JSON bodies larger than this are rejected (backup objects use their own streaming route). */
const jsonBodyLimitBytes = 64 * 1024;

/** Builds the HTTP server: the composition root that wires every feature to the shared pieces. */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, db } = deps;
  const server = Fastify({
    logger: deps.logger ?? loggerOptions(config.logLevel),
    trustProxy: config.trustProxy,
    bodyLimit: jsonBodyLimitBytes,
    requestIdHeader: false,
    genReqId: () => crypto.randomUUID(),
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
  });

  installErrorHandler(server);
  // The API takes JSON only; routes that stream bytes add their own parser.
  server.removeContentTypeParser('text/plain');
  // Cookies are parsed in an onRequest hook, which must run before the access hook reads them.
  await server.register(cookie);
  const routes = installAccessControl(server, {
    findSession: (cookieValue) => findSessionPrincipal(db, cookieValue),
    findCompany: async (companyId) => {
      const company = await findCompany(db, companyId);
      return company && { id: company.id, partnerId: company.partnerId };
    },
  });
  server.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cache-control', 'no-store');
  });

  await server.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    errorResponseBuilder: (_request, context) => {
      const error = new AppError(
        'RATE_LIMITED',
        `Too many attempts; try again in ${Math.ceil(context.ttl / 1000)} s.`,
      );
      return Object.assign(error, { statusCode: 429 });
    },
  });
  await server.register(swagger, {
    openapi: {
      info: {
        title: 'RedApp Key Management API',
        version: '0.1.0',
        description:
          'Sign in with POST /api/session; send the returned csrfToken in the x-csrf-token header of every ' +
          'state-changing request. Errors have the shape { error: { code, message, fix } }.',
      },
    },
  });
  await server.register(async (docs) => {
    // The documentation UI's and the console's static files are public: declared here, in one place.
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: { scope: 'public' } };
    });
    await docs.register(swaggerUi, { routePrefix: '/docs' });
    await registerConsole(docs, config.webDir);
  });

  registerHealthRoutes(server, db);
  registerAuthRoutes(server, db, config);
  registerCompanyRoutes(server, db);
  registerBackupSetRoutes(server, db);
  const services = deps.services ?? createServices(config, db, server.log as unknown as Logger);
  registerKeyRoutes(server, services.companyKeys);
  registerAuditRoutes(server, db);
  registerKeyManagementRoutes(server, services.keyManagement, services.switches, config);
  registerVerificationRoutes(server, db, services.verification, config);
  registerKeyHealthRoutes(server, db);
  registerExportRoutes(server, services.exports);
  await registerBackupObjectRoutes(server, services.backupObjects);

  await server.ready();
  return { server, services, routes };
}
