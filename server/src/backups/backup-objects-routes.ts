import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { companyParams, errorResponseSchema, standardErrors, uuidSchema } from '../http/schemas.js';
import type { BackupObjectService } from './backup-objects-service.js';

const objectSchema = {
  type: 'object',
  properties: {
    id: uuidSchema,
    backupSetId: uuidSchema,
    companyId: uuidSchema,
    name: { type: 'string' },
    sizeBytes: { type: 'integer' },
    storedBytes: { type: 'integer' },
    backupKeyVersion: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

const setParams = companyParams({ backupSetId: uuidSchema });
const objectParams = companyParams({ backupSetId: uuidSchema, objectId: uuidSchema });
const keyErrors = { 422: errorResponseSchema, 503: errorResponseSchema } as const;

interface ObjectParams {
  companyId: string;
  backupSetId: string;
  objectId: string;
}

function ids(params: unknown): ObjectParams {
  const p = params as Partial<ObjectParams>;
  return {
    companyId: p.companyId!.toLowerCase(),
    backupSetId: p.backupSetId!.toLowerCase(),
    objectId: p.objectId?.toLowerCase() ?? '',
  };
}

/** Backup object routes; uploads stream the raw body, so these routes take application/octet-stream. */
export async function registerBackupObjectRoutes(
  app: FastifyInstance,
  objects: BackupObjectService,
): Promise<void> {
  await app.register(async (scope) => {
    // The body stays a stream: no size limit applies and nothing is held in memory. Other content
    // types, JSON included, are rejected with UNSUPPORTED_MEDIA_TYPE.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

    scope.get(
      '/api/companies/:companyId/backup-sets/:backupSetId/objects',
      {
        config: { access: { scope: 'company', action: 'read' } },
        schema: {
          tags: ['backup objects'],
          summary: 'List the objects of a backup set',
          params: setParams,
          response: {
            200: { type: 'object', properties: { objects: { type: 'array', items: objectSchema } } },
            ...standardErrors,
          },
        },
      },
      async (request) => {
        const { companyId, backupSetId } = ids(request.params);
        return { objects: await objects.list(companyId, backupSetId) };
      },
    );

    scope.post(
      '/api/companies/:companyId/backup-sets/:backupSetId/objects',
      {
        config: { access: { scope: 'company', action: 'manage' } },
        schema: {
          tags: ['backup objects'],
          summary: 'Upload a backup object (raw body, application/octet-stream), encrypted at rest',
          params: setParams,
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              name: { type: 'string', maxLength: 255, description: 'A label; default "object".' },
            },
          },
          response: { 201: objectSchema, ...standardErrors, ...keyErrors },
        },
      },
      async (request, reply) => {
        const { companyId, backupSetId } = ids(request.params);
        const name = (request.query as { name?: string }).name ?? 'object';
        const body = (request.body as Readable | undefined) ?? (async function* () {})();
        const object = await objects.upload(companyId, backupSetId, body as AsyncIterable<Buffer>, name);
        return reply.status(201).send(object);
      },
    );

    scope.get(
      '/api/companies/:companyId/backup-sets/:backupSetId/objects/:objectId',
      {
        config: { access: { scope: 'company', action: 'read' } },
        schema: {
          tags: ['backup objects'],
          summary: "Get a backup object's metadata",
          params: objectParams,
          response: { 200: objectSchema, ...standardErrors },
        },
      },
      async (request) => {
        const { companyId, backupSetId, objectId } = ids(request.params);
        return objects.get(companyId, backupSetId, objectId);
      },
    );

    scope.get(
      '/api/companies/:companyId/backup-sets/:backupSetId/objects/:objectId/content',
      {
        config: { access: { scope: 'company', action: 'read' } },
        schema: {
          tags: ['backup objects'],
          summary: 'Download a backup object, decrypted',
          params: objectParams,
          response: { ...standardErrors, ...keyErrors },
        },
      },
      async (request, reply) => {
        const { companyId, backupSetId, objectId } = ids(request.params);
        const object = await objects.get(companyId, backupSetId, objectId);

        // The object is authenticated in full before the first byte is sent, so damage or a revoked
        // key is an error response rather than a cut-off download. NOTE: this decrypts twice.
        await objects.verify(companyId, backupSetId, objectId);
        reply
          .header('content-type', 'application/octet-stream')
          .header('content-length', String(object.sizeBytes))
          .header('content-disposition', `attachment; filename="${object.id}.bin"`);
        return reply.send(Readable.from(objects.download(companyId, backupSetId, objectId)));
      },
    );
  });
}
