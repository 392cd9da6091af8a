import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { AwsError } from './aws-error.js';
import type { AwsService } from './aws-service.js';
import { type Caller, callerFromSession, callerFromUser } from './caller.js';
import { requestId as newRequestId } from './ids.js';
import { renderQueryError, renderQueryResult } from './protocol/query-xml.js';
import { parseAmzDate, parseAuthorization, type ReceivedRequest, verifySignature } from './sigv4-verify.js';
import type { StateStore } from './state/state-store.js';

/** One response the AWS endpoint sent, handed to `onResponse` (tests check each against the botocore models). */
export interface AwsResponseRecord {
  service: string;
  operation: string;
  status: number;
  body: string;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface AwsEndpointOptions {
  store: StateStore;
  log: Logger;
  // biome-ignore lint/suspicious/noExplicitAny: each service parses its own parameter shape.
  services: Array<AwsService<any>>;
  onResponse?: (record: AwsResponseRecord) => void;
}

/** AWS accepts a signature whose X-Amz-Date is within 15 minutes of its clock. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

type AuthFailure = 'missing' | 'invalidToken' | 'expiredToken' | 'badSignature';

/** Authentication errors as each protocol reports them: JSON services with HTTP 400, Query services with 403. */
const AUTH_ERRORS: Record<'json' | 'query', Record<AuthFailure, [code: string, message: string]>> = {
  json: {
    missing: ['MissingAuthenticationTokenException', 'Missing Authentication Token'],
    invalidToken: ['UnrecognizedClientException', 'The security token included in the request is invalid.'],
    expiredToken: ['ExpiredTokenException', 'The security token included in the request is expired'],
    badSignature: ['InvalidSignatureException', SIGNATURE_MISMATCH],
  },
  query: {
    missing: ['MissingAuthenticationToken', 'Request is missing Authentication Token'],
    invalidToken: ['InvalidClientTokenId', 'The security token included in the request is invalid.'],
    expiredToken: ['ExpiredToken', 'The security token included in the request is expired'],
    badSignature: ['SignatureDoesNotMatch', SIGNATURE_MISMATCH],
  },
};

function authError(protocol: 'json' | 'query', failure: AuthFailure, message?: string): AwsError {
  const [code, defaultMessage] = AUTH_ERRORS[protocol][failure];
  return new AwsError(code, message ?? defaultMessage, protocol === 'json' ? 400 : 403);
}

/**
 * Serves AWS requests. It routes by the SigV4 credential scope's service name and authenticates the
 * signature against the sandbox's access keys and session tokens. It then runs the operation and renders
 * the result or error in the service's protocol: JSON 1.1 for KMS, Query with XML for STS and IAM.
 */
export class AwsEndpoint {
  constructor(private readonly options: AwsEndpointOptions) {}

  async handle(request: ReceivedRequest, sourceIp: string): Promise<HttpReply> {
    const requestId = newRequestId();
    const signature = parseAuthorization(request.headers.authorization);
    const service = this.findService(signature?.service, request.headers);
    if (!service) {
      const error = new AwsError(
        'UnrecognizedClientException',
        'The request does not address KMS, STS or IAM.',
        400,
      );
      return this.reply(
        { signingName: 'unknown', protocol: 'json', operations: {} },
        'unknown',
        { error },
        requestId,
      );
    }

    let params: Record<string, unknown>;
    let operation: string;
    try {
      ({ params, operation } = parseOperation(service.protocol, request));
    } catch (error) {
      return this.reply(service, 'unknown', { error }, requestId);
    }

    let caller: Caller | undefined;
    try {
      caller = await this.authenticate(request, service.protocol, signature);
      const handler = service.operations[operation];
      if (!handler) throw unknownOperation(service.protocol, operation);
      const region = signature!.region;
      if (service.signingName === 'iam' && region !== 'us-east-1') {
        throw authError('query', 'badSignature', 'Credential should be scoped to a valid region.');
      }

      const now = this.options.store.now();
      const context = {
        store: this.options.store,
        caller,
        region,
        requestId,
        now,
        sourceIp,
        log: this.options.log,
        operation,
        dryRun: service.protocol === 'json' && params.DryRun === true,
      };
      const result = await handler.handle(context, params);
      if (handler.changesState) this.options.store.save();
      return this.reply(service, operation, { result }, requestId, caller);
    } catch (error) {
      return this.reply(service, operation, { error }, requestId, caller);
    }
  }

  private findService(
    signingName: string | undefined,
    headers: IncomingHttpHeaders | Record<string, string>,
  ) {
    const { services } = this.options;
    if (signingName) return services.find((service) => service.signingName === signingName);
    // Without a signature, guess the service only to render the missing-authentication error correctly.
    if (headers['x-amz-target']) return services.find((service) => service.protocol === 'json');
    return services.find((service) => service.signingName === 'sts');
  }

  private async authenticate(
    request: ReceivedRequest,
    protocol: 'json' | 'query',
    signature: ReturnType<typeof parseAuthorization>,
  ): Promise<Caller> {
    if (!signature) throw authError(protocol, 'missing');
    const { store } = this.options;

    const signingDate = parseAmzDate(request.headers['x-amz-date']);
    if (!signingDate)
      throw authError(
        protocol,
        'badSignature',
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
      );
    const skew = Math.abs(signingDate.getTime() - store.now());
    if (skew > MAX_CLOCK_SKEW_MS) {
      throw authError(
        protocol,
        'badSignature',
        `Signature expired: ${request.headers['x-amz-date']} is now earlier or later than the allowed 15 minutes.`,
      );
    }

    const user = store.state.users.find((candidate) =>
      candidate.accessKeys.some((key) => key.accessKeyId === signature.accessKeyId),
    );
    const session = user
      ? undefined
      : store.state.sessions.find((candidate) => candidate.accessKeyId === signature.accessKeyId);
    if (!user && !session) throw authError(protocol, 'invalidToken');

    const token = request.headers['x-amz-security-token'];
    let secret: string;
    if (user) {
      if (token !== undefined) throw authError(protocol, 'invalidToken');
      secret = user.accessKeys.find((key) => key.accessKeyId === signature.accessKeyId)!.secretAccessKey;
    } else {
      if (token !== session!.sessionToken) throw authError(protocol, 'invalidToken');
      secret = session!.secretAccessKey;
    }

    const valid = await verifySignature(
      request,
      signature,
      { accessKeyId: signature.accessKeyId, secretAccessKey: secret },
      signingDate,
    );
    if (!valid) throw authError(protocol, 'badSignature');
    if (session && session.expiration <= store.now()) throw authError(protocol, 'expiredToken');
    return user ? callerFromUser(user) : callerFromSession(session!);
  }

  private reply(
    // biome-ignore lint/suspicious/noExplicitAny: the reply does not depend on the parameter shape.
    service: AwsService<any>,
    operation: string,
    outcome: { result: object | undefined } | { error: unknown },
    requestId: string,
    caller?: Caller,
  ): HttpReply {
    const { log } = this.options;
    let reply: HttpReply;
    let code = 'OK';

    if ('error' in outcome) {
      let error: AwsError;
      if (outcome.error instanceof AwsError) {
        error = outcome.error;
      } else {
        log.error(
          { requestId, service: service.signingName, operation, err: outcome.error },
          'operation failed',
        );
        error =
          service.protocol === 'json'
            ? new AwsError(
                'KMSInternalException',
                'The request failed because of an internal error in the sandbox.',
                500,
              )
            : new AwsError(
                'InternalFailure',
                'The request failed because of an internal error in the sandbox.',
                500,
              );
      }
      code = error.code;
      reply =
        service.protocol === 'json'
          ? jsonReply(error.status, { __type: error.code, message: error.message }, requestId)
          : xmlReply(error.status, renderQueryError(service.signingName, error, requestId), requestId);
    } else if (service.protocol === 'json') {
      reply = jsonReply(200, outcome.result ?? {}, requestId);
    } else {
      reply = xmlReply(
        200,
        renderQueryResult(service.signingName, operation, outcome.result, requestId),
        requestId,
      );
    }

    log.info(
      { requestId, service: service.signingName, operation, caller: caller?.arn, status: reply.status, code },
      'aws request',
    );
    this.options.onResponse?.({
      service: service.signingName,
      operation,
      status: reply.status,
      body: reply.body,
    });
    return reply;
  }
}

function jsonReply(status: number, body: object, requestId: string): HttpReply {
  return {
    status,
    headers: { 'content-type': JSON_CONTENT_TYPE, 'x-amzn-requestid': requestId },
    body: JSON.stringify(body),
  };
}

function xmlReply(status: number, body: string, requestId: string): HttpReply {
  return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
}

function unknownOperation(protocol: 'json' | 'query', operation: string): AwsError {
  if (protocol === 'json')
    return new AwsError(
      'UnknownOperationException',
      `Operation ${operation} is not supported by the sandbox.`,
      400,
    );
  return new AwsError(
    'InvalidAction',
    `Could not find operation ${operation} for version in the sandbox.`,
    400,
  );
}

function parseOperation(
  protocol: 'json' | 'query',
  request: ReceivedRequest,
): { params: Record<string, unknown>; operation: string } {
  if (protocol === 'json') {
    const target = request.headers['x-amz-target'] ?? '';
    const operation = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : target;
    let params: unknown = {};
    const text = request.body.toString('utf8');
    if (text.trim() !== '') {
      try {
        params = JSON.parse(text);
      } catch {
        throw new AwsError('SerializationException', 'The request body is not valid JSON.', 400);
      }
    }
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      throw new AwsError('SerializationException', 'The request body must be a JSON object.', 400);
    }
    return { params: params as Record<string, unknown>, operation };
  }

  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.query))
    params[name] = Array.isArray(value) ? value[0]! : value;
  for (const [name, value] of new URLSearchParams(request.body.toString('utf8'))) params[name] = value;
  return { params, operation: params.Action ?? '' };
}
