import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import pino from 'pino';
import type { AzureSandboxConfig } from '../../src/azure/azure-config.js';
import { azureStandIn } from '../../src/azure/mount-azure.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox.js';

export interface AzureSandbox {
  sandbox: RunningSandbox;
  azure: AzureSandboxConfig;
  ca: string;
  stateDir: string;
  /** Calls the admin API and returns the status and the parsed body. */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  stop(options?: { keepState?: boolean }): Promise<void>;
}

/** Starts a sandbox with only the Azure stand-in, in a new or given state directory. */
export async function startAzureSandbox(stateDir?: string): Promise<AzureSandbox> {
  const dir = stateDir ?? mkdtempSync(join(tmpdir(), 'redapp-azure-test-'));
  const sandbox = await startSandbox({
    stateDir: dir,
    standIns: [azureStandIn],
    logger: pino({ level: 'silent' }),
  });
  const azure = sandbox.config.azure as AzureSandboxConfig;
  return {
    sandbox,
    azure,
    ca: readFileSync(azure.caCertPath, 'utf8'),
    stateDir: dir,
    admin: async (method, path, body) => {
      const response = await fetch(`${azure.adminEndpoint}${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    stop: async (options) => {
      await sandbox.close();
      if (!options?.keepState) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A credential for an app registration of the sandbox, trusting only the sandbox's CA. */
export function sandboxCredential(
  azure: AzureSandboxConfig,
  ca: string,
  clientId: string,
  clientSecret: string,
) {
  return new ClientSecretCredential(azure.tenantId, clientId, clientSecret, {
    authorityHost: azure.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: { ca },
    retryOptions: { maxRetries: 0 },
  });
}

/** Sends one HTTPS request to the stand-in and returns the status, headers and parsed JSON body. */
export function httpsJson(
  url: string,
  options: { method?: string; ca?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ...(options.ca ? { ca: options.ca } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: text ? JSON.parse(text) : undefined,
          });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}
