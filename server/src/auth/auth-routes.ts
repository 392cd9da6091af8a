import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from '../config/config.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors/app-error.js';
import type { Principal } from '../http/access.js';
import { sessionCookieName } from '../http/access-control.js';
import { errorResponseSchema, uuidSchema } from '../http/schemas.js';
import { findUserByEmail } from '../users/users-dal.js';
import { verifyPassword } from './passwords.js';
import { createSession, deleteSession } from './sessions-dal.js';

const sessionSchema = {
  type: 'object',
  required: ['user', 'csrfToken'],
  properties: {
    user: {
      type: 'object',
      properties: {
        id: uuidSchema,
        email: { type: 'string' },
        displayName: { type: 'string' },
        role: { type: 'string', enum: ['partner_admin', 'company_admin', 'company_viewer'] },
        partnerId: uuidSchema,
        companyId: { type: ['string', 'null'] },
      },
    },
    csrfToken: {
      type: 'string',
      description: 'Send in the x-csrf-token header of every POST, PUT, PATCH and DELETE.',
    },
  },
} as const;

function sessionBody(principal: Omit<Principal, 'sessionIdHash'>) {
  return {
    user: {
      id: principal.userId,
      email: principal.email,
      displayName: principal.displayName,
      role: principal.role,
      partnerId: principal.partnerId,
      companyId: principal.companyId,
    },
    csrfToken: principal.csrfToken,
  };
}

export function registerAuthRoutes(app: FastifyInstance, db: Kysely<Database>, config: Config): void {
  // Lax, not Strict: the identity provider's redirect back to the tenant verification callback is a
  // cross-site navigation that must carry the session. State-changing requests need the CSRF token.
  const cookieOptions = {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: config.cookieSecure,
  };

  app.post(
    '/api/session',
    {
      config: {
        access: { scope: 'public' },
        rateLimit: {
          max: config.loginRateLimitPerMinute,
          timeWindow: 60_000,
          keyGenerator: (request) => {
            const email = (request.body as { email?: unknown } | undefined)?.email;
            return `${request.ip}|${typeof email === 'string' ? email.toLowerCase() : ''}`;
          },
        },
      },
      schema: {
        tags: ['session'],
        summary: 'Sign in',
        body: {
          type: 'object',
          required: ['email', 'password'],
          additionalProperties: false,
          properties: {
            email: { type: 'string', maxLength: 320 },
            password: { type: 'string', maxLength: 1024 },
          },
        },
        response: {
          200: sessionSchema,
          400: errorResponseSchema,
          401: errorResponseSchema,
          429: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body as { email: string; password: string };
      const user = await findUserByEmail(db, email.trim());
      const valid = await verifyPassword(user?.password_hash, password);
      if (!user || !valid) {
        request.log.info({ userId: user?.id }, 'sign-in rejected');
        throw new AppError('INVALID_CREDENTIALS', 'The email address or password is incorrect.');
      }

      const session = await createSession(db, user.id, config.sessionTtlSeconds);
      reply.setCookie(sessionCookieName, session.cookieValue, {
        ...cookieOptions,
        expires: session.expiresAt,
      });
      request.log.info({ userId: user.id }, 'signed in');
      return sessionBody({
        userId: user.id,
        email: user.email,
        displayName: user.display_name,
        role: user.role,
        partnerId: user.partner_id,
        companyId: user.company_id,
        csrfToken: session.csrfToken,
      });
    },
  );

  app.get(
    '/api/session',
    {
      config: { access: { scope: 'session' } },
      schema: {
        tags: ['session'],
        summary: 'The signed-in user and the CSRF token',
        response: { 200: sessionSchema },
      },
    },
    async (request) => sessionBody(request.principal!),
  );

  app.delete(
    '/api/session',
    {
      config: { access: { scope: 'session' } },
      schema: { tags: ['session'], summary: 'Sign out', response: { 204: { type: 'null' } } },
    },
    async (request, reply) => {
      await deleteSession(db, request.principal!.sessionIdHash);
      reply.clearCookie(sessionCookieName, cookieOptions);
      request.log.info({ userId: request.principal!.userId }, 'signed out');
      return reply.status(204).send();
    },
  );
}
