import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { type Router, readBody } from '../http/router.js';
import type { StandIn, StandInContext } from '../stand-ins.js';
import { handleAzureAdminRequest } from './azure-admin-endpoint.js';
import { AZURE_ADMIN_PATH, type AzureSandboxConfig, buildAzureConfig } from './azure-config.js';
import { AzureStore } from './azure-state.js';
import { ENTRA_PATH, handleEntraRequest } from './entra-token-endpoint.js';
import { handleKeyVaultRequest } from './key-vault-endpoint.js';
import { loadOrCreateSandboxTls } from './tls/sandbox-ca.js';

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Listens on the port of the last start, so saved vault URLs stay valid, or on a free one when it is taken. */
async function listenOnStablePort(server: Server, store: AzureStore, log: Logger): Promise<number> {
  const previous = store.state.tlsPort;
  if (previous !== undefined) {
    try {
      return await listen(server, previous);
    } catch (error) {
      log.warn(
        { err: error, port: previous },
        'azure https port of the last start is taken, using a new one',
      );
    }
  }
  const port = await listen(server, 0);
  store.state.tlsPort = port;
  store.save();
  return port;
}

/**
 * Starts the HTTPS listener of the Azure stand-in on 127.0.0.1 (Entra token endpoint under `/azure/`,
 * the Key Vault REST API at the root) and mounts its admin API on the sandbox router. Azure SDKs send
 * bearer tokens only over HTTPS, hence the separate listener with the sandbox's own CA.
 */
export async function mountAzure(router: Router, context: StandInContext): Promise<AzureSandboxConfig> {
  const store = AzureStore.open(context.stateDir);
  const tls = loadOrCreateSandboxTls(context.stateDir);
  const { log } = context;
  let origin = '';

  const server = createServer(
    { cert: tls.serverCertPem, key: tls.serverKeyPem },
    async (request, response) => {
      try {
        const body = await readBody(request);
        if (!body) {
          response.writeHead(413, { 'content-type': 'text/plain' }).end('request body too large');
          return;
        }
        const path = new URL(request.url ?? '/', origin).pathname;
        if (path.startsWith(`${ENTRA_PATH}/`))
          await handleEntraRequest(origin, store, log, request, body, response);
        else await handleKeyVaultRequest(origin, store, log, request, body, response);
      } catch (error) {
        log.error({ err: error, url: request.url }, 'azure request failed');
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            error: { code: 'InternalServerError', message: 'Internal error in the sandbox.' },
          }),
        );
      }
    },
  );
  const port = await listenOnStablePort(server, store, log);
  origin = `https://127.0.0.1:${port}`;
  context.onClose(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );

  const config = () => buildAzureConfig(store, origin, tls.caPath, context.baseUrl);
  router.mount(`${AZURE_ADMIN_PATH}/`, (request, body, response) =>
    handleAzureAdminRequest({ vaultUrl: origin, config, store, log }, request, body, response),
  );
  log.info(
    { vaultUrl: origin, tenantId: store.state.tenantId, keys: store.state.keys.length },
    'azure stand-in mounted',
  );
  return config();
}

/** The Azure Entra and Key Vault stand-in; its sandbox.json section is `azure`. */
export const azureStandIn: StandIn = {
  name: 'azure',
  mount: (router, context) => mountAzure(router, context),
};
