import type { IncomingMessage, ServerResponse } from 'node:http';

/** Handles a request whose body has been read in full. */
export type RouteHandler = (
  request: IncomingMessage,
  body: Buffer,
  response: ServerResponse,
) => Promise<void>;

/**
 * Routes by path prefix. Stand-ins mount under their own prefix (for example `/entra/`, `/google/`); the
 * fallback serves everything else, which is where AWS clients send SigV4 requests (`/`).
 */
export class Router {
  private readonly routes: Array<{ prefix: string; handler: RouteHandler }> = [];

  constructor(private readonly fallback: RouteHandler) {}

  mount(prefix: string, handler: RouteHandler): void {
    if (!prefix.startsWith('/') || !prefix.endsWith('/') || prefix === '/') {
      throw new Error(`route prefix must look like /name/, got ${prefix}`);
    }
    this.routes.push({ prefix, handler });
  }

  handlerFor(path: string): RouteHandler {
    return this.routes.find((route) => path.startsWith(route.prefix))?.handler ?? this.fallback;
  }
}

/** Requests with larger bodies are rejected with 413; KMS's largest request is far smaller. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

export function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > MAX_BODY_BYTES) {
        resolve(undefined);
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
