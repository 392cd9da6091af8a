/**
 * An error returned to an AWS client: `code` is the error code AWS sends (`__type` in JSON 1.1, `Code` in
 * Query XML) and `status` its HTTP status. Messages never contain secrets or key material.
 */
export class AwsError extends Error {
  override readonly name = 'AwsError';

  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** KMS answers every client error, AccessDeniedException included, with HTTP 400. */
export const kmsError = (code: string, message: string) => new AwsError(code, message, 400);

export const iamNoSuchEntity = (message: string) => new AwsError('NoSuchEntity', message, 404);
export const iamMalformedPolicy = (message: string) => new AwsError('MalformedPolicyDocument', message, 400);
export const validationError = (message: string) => new AwsError('ValidationError', message, 400);
export const queryAccessDenied = (message: string) => new AwsError('AccessDenied', message, 403);
