import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../errors/app-error.js';

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * Maps every error to a catalogue body. Catalogue errors keep their message; Fastify's own request
 * errors (validation, content type, size, JSON syntax) become the matching code; anything else is a
 * 500 whose text stays in the log, with the request id in both places.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) {
      request.log.error({ err: error, code: appError.code }, 'request failed');
    } else {
      request.log.info({ code: appError.code, reason: appError.message }, 'request rejected');
    }
    return reply.status(appError.status).send(appError.toBody(request.id));
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new AppError(
      'ROUTE_NOT_FOUND',
      `No route matches ${request.method} ${request.url.split('?')[0]}.`,
    );
    return reply.status(error.status).send(error.toBody(request.id));
  });
}

export function toAppError(error: FastifyError | AppError | Error): AppError {
  if (error instanceof AppError) return error;

  const fastifyError = error as FastifyError;
  if (fastifyError.validation) return fromValidation(fastifyError);

  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'The request body has an unsupported content type.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body is larger than this route accepts.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError(
        'INVALID_INPUT',
        'The request body is empty but its content type is application/json.',
        {
          fix: 'Send a JSON object, or omit the content-type header.',
        },
      );
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('INVALID_INPUT', 'The request body is not valid JSON.');
  }
  if (error instanceof SyntaxError)
    return new AppError('INVALID_INPUT', 'The request body is not valid JSON.');
  if (fastifyError.statusCode === 429) {
    return new AppError('RATE_LIMITED', 'Too many requests from this client.');
  }
  if (
    fastifyError.statusCode !== undefined &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return new AppError('INVALID_INPUT', 'The request is malformed.');
  }
  return new AppError('INTERNAL', 'The server failed to handle this request.');
}

function fromValidation(error: FastifyError): AppError {
  const issue = error.validation?.[0] as ValidationIssue | undefined;
  const where = error.validationContext ?? 'body';
  if (!issue) return new AppError('INVALID_INPUT', `The request ${where} is invalid.`);

  const field = `${where}${issue.instancePath.replaceAll('/', '.')}`;
  if (issue.keyword === 'additionalProperties') {
    const unknown = String(issue.params.additionalProperty);
    return new AppError('INVALID_INPUT', `${field} has an unknown field "${unknown}".`, {
      fix: `Remove "${unknown}"; the API reference at /docs lists the accepted fields.`,
      details: { field: `${field}.${unknown}` },
    });
  }
  if (issue.keyword === 'required') {
    const missing = String(issue.params.missingProperty);
    return new AppError('INVALID_INPUT', `${field}.${missing} is missing.`, {
      fix: `Add "${missing}"; the API reference at /docs lists the required fields.`,
      details: { field: `${field}.${missing}` },
    });
  }
  return new AppError('INVALID_INPUT', `${field} ${issue.message ?? 'is invalid'}.`, { details: { field } });
}
