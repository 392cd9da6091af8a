import { IncomingMessage, type ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';

type ProviderCallback = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

const callbacks = new WeakMap<Provider, ProviderCallback>();

/**
 * Passes a request to an `oidc-provider` mounted at `mountPath` (the issuer's path). The sandbox's server has
 * already read the body, and the provider reads it from the stream, so the request is replayed as a new
 * IncomingMessage carrying the same headers and body. The provider reads its mount path from `originalUrl`,
 * as Express's mounting does.
 */
export async function forwardToProvider(
  provider: Provider,
  request: IncomingMessage,
  body: Buffer,
  response: ServerResponse,
  mountPath: string,
): Promise<void> {
  const originalUrl = request.url ?? '/';
  const replay = new IncomingMessage(request.socket);
  replay.method = request.method ?? 'GET';
  replay.url = originalUrl.slice(mountPath.length) || '/';
  replay.headers = request.headers;
  replay.rawHeaders = request.rawHeaders;
  replay.httpVersion = request.httpVersion;
  replay.httpVersionMajor = request.httpVersionMajor;
  replay.httpVersionMinor = request.httpVersionMinor;
  replay.complete = true;
  (replay as IncomingMessage & { originalUrl: string }).originalUrl = originalUrl;
  if (body.length > 0) replay.push(body);
  replay.push(null);

  let callback = callbacks.get(provider);
  if (!callback) {
    callback = provider.callback() as ProviderCallback;
    callbacks.set(provider, callback);
  }
  await callback(replay, response);
}
