import { type ErrorCode, errorCatalogue } from './catalogue.js';

export interface AppErrorOptions {
  /** Overrides the catalogue's default fix. */
  fix?: string;
  /** Machine-readable details returned to the client (never secrets or raw provider text). */
  details?: Record<string, unknown>;
  /** The underlying error; logged, never sent to the client. */
  cause?: unknown;
}

/** An error from the catalogue: stable code, HTTP status, a message naming the value, and a fix. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly fix: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.fix = options.fix ?? errorCatalogue[code].fix;
    this.details = options.details;
  }

  /** The body sent to clients: `{ error: { code, message, fix, details? } }`. */
  toBody(requestId?: string): { error: Record<string, unknown> } {
    return {
      error: {
        code: this.code,
        message: this.message,
        fix: this.fix,
        ...(this.details === undefined ? {} : { details: this.details }),
        ...(requestId === undefined ? {} : { requestId }),
      },
    };
  }
}

/** Shorthand for an INVALID_INPUT error naming the field, the value's problem and the expected shape. */
export function invalidInput(field: string, problem: string, expected: string): AppError {
  return new AppError('INVALID_INPUT', `${field} ${problem}; expected ${expected}.`, { details: { field } });
}
