/** JSON Schema pieces shared by routes; the OpenAPI document is generated from them. */

export const uuidSchema = { type: 'string', format: 'uuid' } as const;

export const errorResponseSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'fix'],
      properties: {
        code: { type: 'string', description: 'Stable error code from the catalogue.' },
        message: { type: 'string', description: 'What failed, naming the value.' },
        fix: { type: 'string', description: 'What to do next.' },
        details: { type: 'object', additionalProperties: true },
        requestId: { type: 'string' },
      },
    },
  },
} as const;

/** Error responses every authenticated route may send, for the OpenAPI document. */
export const standardErrors = {
  400: errorResponseSchema,
  401: errorResponseSchema,
  403: errorResponseSchema,
  404: errorResponseSchema,
} as const;

export function companyParams<T extends Record<string, unknown>>(extra: T = {} as T) {
  return {
    type: 'object',
    required: ['companyId', ...Object.keys(extra)],
    additionalProperties: false,
    properties: { companyId: uuidSchema, ...extra },
  } as const;
}
