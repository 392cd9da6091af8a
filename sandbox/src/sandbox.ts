import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AwsEndpoint, type AwsResponseRecord } from './aws/aws-endpoint.js';
import { iamService } from './aws/iam/iam-service.js';
import { kmsService } from './aws/kms/kms-service.js';
import { PLATFORM_ACCOUNT_ID, seedState } from './aws/state/seed.js';
import { StateStore } from './aws/state/state-store.js';
import { stsService } from './aws/sts/sts-service.js';
import { Router, readBody } from './http/router.js';
import { createFileLogger } from './log.js';
import { buildSandboxConfig, type SandboxConfig } from './sandbox-config.js';
import { STAND_INS, type StandIn } from './stand-ins.js';
import { lockStateDir } from './state-lock.js';

export interface SandboxOptions {
  /** Directory holding the state, sandbox.json and sandbox.log; created if missing. */
  stateDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Seconds before new and changed IAM roles and role policies take effect for authorization. */
  iamPropagationDelaySeconds?: number;
  logger?: Logger;
  /** Called with every AWS response sent (tests check each against the botocore models). */
  onAwsResponse?: (record: AwsResponseRecord) => void;
  /** Clock in epoch milliseconds; tests replace it to move time forward. */
  clock?: () => number;
  /** Services mounted next to AWS under their own path prefixes; defaults to STAND_INS. */
  standIns?: StandIn[];
}

export interface RunningSandbox {
  url: string;
  config: SandboxConfig;
  configPath: string;
  close(): Promise<void>;
}

/**
 * Starts the sandbox's HTTP server, loading state from `stateDir` or seeding it, and writes sandbox.json.
 * The state directory stays locked to this process until `close()`.
 */
export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const delay = options.iamPropagationDelaySeconds ?? 0;
  if (!(delay >= 0)) throw new Error(`iamPropagationDelaySeconds must be 0 or more, got ${delay}`);
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const unlock = await lockStateDir(options.stateDir);
  try {
    const running = await startInLockedDir(options, delay);
    return {
      ...running,
      close: async () => {
        await running.close();
        unlock();
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}

async function startInLockedDir(options: SandboxOptions, delay: number): Promise<RunningSandbox> {
  const host = options.host ?? '127.0.0.1';
  const log = options.logger ?? createFileLogger(options.stateDir);
  const clock = options.clock ?? Date.now;

  let store = StateStore.load(options.stateDir, delay, clock);
  if (!store) {
    store = new StateStore(seedState(clock()), options.stateDir, delay, clock);
    store.save();
  }

  const aws = new AwsEndpoint({
    store,
    log,
    services: [kmsService, stsService, iamService],
    onResponse: options.onAwsResponse,
  });
  const router = new Router(async (request, body, response) => {
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const existing = query[name];
      query[name] =
        existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const reply = await aws.handle(
      { method: request.method ?? 'GET', path: url.pathname, query, headers, body },
      request.socket.remoteAddress ?? '127.0.0.1',
    );
    // The Date header follows the sandbox clock: SDKs correct their clock skew from it.
    const date = new Date(clock()).toUTCString();
    response.writeHead(reply.status, {
      ...reply.headers,
      date,
      'content-length': Buffer.byteLength(reply.body),
    });
    response.end(reply.body);
  });

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    serve(router, request, response, log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${host}:${address.port}`;

  const config: SandboxConfig = buildSandboxConfig(store, url);
  const closeCallbacks: Array<() => Promise<void>> = [];
  const onClose = (callback: () => Promise<void>) => closeCallbacks.push(callback);
  try {
    for (const standIn of options.standIns ?? STAND_INS) {
      config[standIn.name] = await standIn.mount(router, {
        baseUrl: url,
        stateDir: options.stateDir,
        log,
        onClose,
      });
    }
  } catch (error) {
    log.error({ err: error, url }, 'mounting a stand-in failed, sandbox not started');
    await Promise.all(closeCallbacks.map((callback) => callback()));
    server.close();
    server.closeAllConnections();
    throw error;
  }
  const configPath = join(options.stateDir, 'sandbox.json');
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  log.info(
    {
      url,
      stateDir: options.stateDir,
      iamPropagationDelaySeconds: delay,
      platformAccount: PLATFORM_ACCOUNT_ID,
    },
    'sandbox started',
  );

  return {
    url,
    config,
    configPath,
    close: async () => {
      await Promise.all(closeCallbacks.map((callback) => callback()));
      await new Promise<void>((resolve) => {
        server.close(() => {
          log.info({ url }, 'sandbox stopped');
          log.flush();
          resolve();
        });
        server.closeAllConnections();
      });
    },
  };
}

async function serve(
  router: Router,
  request: IncomingMessage,
  response: ServerResponse,
  log: Logger,
): Promise<void> {
  try {
    const body = await readBody(request);
    if (!body) {
      response.writeHead(413, { 'content-type': 'text/plain' }).end('request body too large');
      return;
    }
    const path = new URL(request.url ?? '/', 'http://sandbox').pathname;
    await router.handlerFor(path)(request, body, response);
  } catch (error) {
    log.error({ err: error, url: request.url }, 'request failed');
    if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
    response.end('internal error in the sandbox');
  }
}
