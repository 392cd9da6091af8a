import http from 'node:http';
import type net from 'node:net';

/**
 * An HTTP proxy on 127.0.0.1 in front of the sandbox's AWS endpoint, standing for the network between
 * CyberSentriq and AWS. It can respond to the next KMS calls of one operation with 503, or stop listening
 * altogether. It forwards the Host header unchanged, so SigV4 signatures stay valid.
 */
export class FaultProxy {
  readonly #target: URL;
  #server: http.Server | undefined;
  #port = 0;
  #failures = new Map<string, number>();
  /** Requests seen per KMS or STS operation (the X-Amz-Target suffix or the Query Action). */
  readonly calls = new Map<string, number>();

  constructor(targetEndpoint: string) {
    this.#target = new URL(targetEndpoint);
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Starts listening, on the port of the previous start when there was one. */
  async start(): Promise<void> {
    const server = http.createServer((request, response) => this.#handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening and drops open connections, so the next request is refused. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  /** Responds to the next `count` requests of `operation` (e.g. `Decrypt`) with 503. */
  failNext(operation: string, count: number): void {
    this.#failures.set(operation, count);
  }

  resetCalls(): void {
    this.calls.clear();
  }

  #handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const body: Buffer[] = [];
    request.on('data', (chunk: Buffer) => body.push(chunk));
    request.on('end', () => {
      const payload = Buffer.concat(body);
      const operation = operationOf(request, payload);
      this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);

      const failures = this.#failures.get(operation) ?? 0;
      if (failures > 0) {
        this.#failures.set(operation, failures - 1);
        response.writeHead(503, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(
          JSON.stringify({ __type: 'ServiceUnavailableException', message: 'injected by the test proxy' }),
        );
        return;
      }

      const forwarded = http.request(
        {
          hostname: this.#target.hostname,
          port: this.#target.port,
          method: request.method,
          path: request.url,
          headers: request.headers,
        },
        (upstream) => {
          response.writeHead(upstream.statusCode ?? 502, upstream.headers);
          upstream.pipe(response);
        },
      );
      forwarded.on('error', () => response.destroy());
      forwarded.end(payload);
    });
  }
}

function operationOf(request: http.IncomingMessage, payload: Buffer): string {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').at(-1) ?? target;
  return new URLSearchParams(payload.toString()).get('Action') ?? 'unknown';
}
