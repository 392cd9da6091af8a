import { ApiError } from '../api/api-client';
import type { CatalogueError } from '../api/api-types';

/** Shows an API error's message and fix; other errors show their message only. */
export function ErrorNotice({ error, testId }: { error: unknown; testId?: string }) {
  if (!error) return null;
  const catalogue = toCatalogueError(error);
  return (
    <div className="notice notice-error" role="alert" data-testid={testId ?? 'error-notice'}>
      <p className="notice-title">{catalogue.message}</p>
      {catalogue.fix && (
        <p>
          <strong>How to fix: </strong>
          {catalogue.fix}
        </p>
      )}
      {error instanceof ApiError && error.requestId && (
        <p className="muted">
          Error code {error.code}, request id <code>{error.requestId}</code>
        </p>
      )}
    </div>
  );
}

export function toCatalogueError(error: unknown): CatalogueError {
  if (error instanceof ApiError) return { code: error.code, message: error.message, fix: error.fix };
  if (isCatalogueError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'UNKNOWN', message, fix: '' };
}

function isCatalogueError(value: unknown): value is CatalogueError {
  return typeof value === 'object' && value !== null && 'message' in value && 'fix' in value;
}
