import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principalActor } from '../audit/audit-actor.js';
import type { Config } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import { companyParams, errorResponseSchema, standardErrors } from '../http/schemas.js';
import { providerTypes } from '../providers/provider-types.js';
import type { SwitchService } from '../switch/switch-service.js';
import type { KeyManagementService, ProviderRequest } from './key-management-service.js';
import { readSetupScript, setupScriptName } from './setup-script.js';

const providerRequestSchema = {
  type: 'object',
  required: ['providerType', 'config'],
  additionalProperties: false,
  properties: {
    providerType: { type: 'string', enum: providerTypes },
    config: {
      type: 'object',
      maxProperties: 16,
      additionalProperties: { type: 'string', maxLength: 2048 },
      description:
        'For aws-kms: roleArn, externalId, region, keyArn. For azure-key-vault: vaultUrl, keyName, ' +
        'keyVersion (optional), tenantId, clientId, clientSecret. For cybersentriq: {}. Any other field, ' +
        'or a value with a control character, fails the Input checks step with INVALID_INPUT.',
    },
  },
} as const;

/**
 * Rejects a config value that is not a string, before schema validation would convert it (a number to
 * its digits, a one-item list to its item) and test a value the admin never typed.
 */
async function rejectNonStringConfigValues(request: FastifyRequest): Promise<void> {
  const config = (request.body as { config?: unknown } | null | undefined)?.config;
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return; // The schema reports it.
  for (const [field, value] of Object.entries(config)) {
    if (typeof value === 'string') continue;
    throw new AppError('INVALID_INPUT', `config.${field} must be a string; got ${describeValue(value)}.`, {
      details: { field: `config.${field}` },
    });
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `the ${typeof value} ${String(value)}`;
}

const stepsResponse = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    steps: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          status: { type: 'string', enum: ['passed', 'failed', 'not run'] },
          message: { type: 'string' },
        },
      },
    },
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, fix: { type: 'string' } },
    },
    switch: { type: 'object', additionalProperties: true },
  },
} as const;

const companyId = (request: FastifyRequest) =>
  (request.params as { companyId: string }).companyId.toLowerCase();

export function registerKeyManagementRoutes(
  app: FastifyInstance,
  service: KeyManagementService,
  switches: SwitchService,
  config: Config,
): void {
  const perCompanyLimit = {
    max: config.testConnectionRateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => `${request.routeOptions.url}|${companyId(request)}`,
  };

  app.get(
    '/api/companies/:companyId/key-management',
    {
      config: { access: { scope: 'company', action: 'read' } },
      schema: {
        tags: ['key management'],
        summary: 'Current provider, switch status, key health and export availability',
        params: companyParams(),
        response: { 200: { type: 'object', additionalProperties: true }, ...standardErrors },
      },
    },
    async (request) => {
      const overview = await service.overview(companyId(request));
      return { ...overview, canManage: request.principal!.role !== 'company_viewer' };
    },
  );

  app.get(
    '/api/companies/:companyId/key-management/aws-kms/setup',
    {
      config: { access: { scope: 'company', action: 'manage' } },
      schema: {
        tags: ['key management'],
        summary: 'Platform principal ARN, suggested External ID, setup command and script checksum',
        params: companyParams(),
        response: { 200: { type: 'object', additionalProperties: true }, ...standardErrors },
      },
    },
    async (request) => service.setupValues(companyId(request)),
  );

  app.get(
    `/api/setup-script/${setupScriptName}`,
    {
      config: { access: { scope: 'session' } },
      schema: { tags: ['key management'], summary: 'Download the AWS setup script' },
    },
    async (_request, reply) => {
      const script = readSetupScript();
      return reply
        .type('text/x-shellscript; charset=utf-8')
        .header('content-disposition', `attachment; filename="${setupScriptName}"`)
        .header('x-content-sha256', script.sha256)
        .send(script.content);
    },
  );

  app.post(
    '/api/companies/:companyId/key-management/test',
    {
      config: { access: { scope: 'company', action: 'manage' }, rateLimit: perCompanyLimit },
      preValidation: rejectNonStringConfigValues,
      schema: {
        tags: ['key management'],
        summary: 'Test connection: every step later use needs, stopping at the first failure',
        params: companyParams(),
        body: providerRequestSchema,
        response: { 200: stepsResponse, ...standardErrors, 429: errorResponseSchema },
      },
    },
    async (request) =>
      service.test(companyId(request), request.body as ProviderRequest, principalActor(request.principal!)),
  );

  app.post(
    '/api/companies/:companyId/key-management/save',
    {
      config: { access: { scope: 'company', action: 'manage' }, rateLimit: perCompanyLimit },
      preValidation: rejectNonStringConfigValues,
      schema: {
        tags: ['key management'],
        summary: 'Save: test again and, when it passes, start the switch (pending tenant verification)',
        params: companyParams(),
        body: providerRequestSchema,
        response: {
          200: stepsResponse,
          ...standardErrors,
          409: errorResponseSchema,
          429: errorResponseSchema,
        },
      },
    },
    async (request) =>
      service.save(companyId(request), request.body as ProviderRequest, principalActor(request.principal!)),
  );

  app.post(
    '/api/companies/:companyId/key-management/switch/cancel',
    {
      config: { access: { scope: 'company', action: 'manage' } },
      schema: {
        tags: ['key management'],
        summary: 'Cancel the pending switch',
        params: companyParams(),
        response: { 204: { type: 'null' }, ...standardErrors, 409: errorResponseSchema },
      },
    },
    async (request, reply) => {
      await switches.cancel(companyId(request), principalActor(request.principal!));
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/companies/:companyId/key-management/switch/retry',
    {
      config: { access: { scope: 'company', action: 'manage' } },
      schema: {
        tags: ['key management'],
        summary: 'Retry finishing a switch that returned to pending with an error',
        params: companyParams(),
        response: {
          200: { type: 'object', properties: { finished: { type: 'boolean' } } },
          ...standardErrors,
          409: errorResponseSchema,
        },
      },
    },
    async (request) => ({
      finished: await switches.retry(companyId(request), principalActor(request.principal!)),
    }),
  );
}
