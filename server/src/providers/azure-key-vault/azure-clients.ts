import { readFileSync } from 'node:fs';
import https from 'node:https';
import { ClientSecretCredential } from '@azure/identity';
import { CryptographyClient, KeyClient } from '@azure/keyvault-keys';
import type { AzureKeyVaultConfig } from './azure-key-vault-config.js';

/** Endpoints and trust for Entra ID and Key Vault: Azure's own, or the local sandbox's. */
export interface AzurePlatformSettings {
  /** Entra authority host for client credentials; https://login.microsoftonline.com when unset. */
  authorityHost?: string | undefined;
  /**
   * The sandbox only: PEM of the CA that issued the sandbox's HTTPS certificate. When set, it replaces
   * the trusted CAs for these clients alone (never process-wide), any https vault host is accepted, and
   * the Key Vault challenge's resource is not checked against the vault host (127.0.0.1 is no Key Vault name).
   */
  sandboxCaPem?: string | undefined;
  /** Retries after the first attempt; the SDK backs off exponentially between them. */
  maxRetries?: number;
  /** Milliseconds to wait for each Key Vault response. */
  requestTimeoutMs?: number;
}

/** The only scope the product requests: Key Vault data-plane access. */
export const keyVaultScope = 'https://vault.azure.net/.default';

function commonOptions(settings: AzurePlatformSettings) {
  return {
    retryOptions: { maxRetries: settings.maxRetries ?? 2, retryDelayInMs: 500, maxRetryDelayInMs: 4_000 },
    ...(settings.sandboxCaPem ? { tlsOptions: { ca: settings.sandboxCaPem } } : {}),
  };
}

/** Client-credentials sign-in as the customer's app registration, in the customer's tenant. */
export function appCredential(
  settings: AzurePlatformSettings,
  config: AzureKeyVaultConfig,
): ClientSecretCredential {
  return new ClientSecretCredential(config.tenantId, config.clientId, config.clientSecret, {
    ...commonOptions(settings),
    ...(settings.authorityHost ? { authorityHost: settings.authorityHost } : {}),
    // Instance discovery queries login.microsoftonline.com about the authority, so the sandbox turns it off.
    ...(settings.sandboxCaPem ? { disableInstanceDiscovery: true } : {}),
  });
}

function vaultOptions(settings: AzurePlatformSettings) {
  return {
    ...commonOptions(settings),
    ...(settings.sandboxCaPem ? { disableChallengeResourceVerification: true } : {}),
  };
}

export function keyClient(
  settings: AzurePlatformSettings,
  config: AzureKeyVaultConfig,
  credential: ClientSecretCredential,
): KeyClient {
  return new KeyClient(config.vaultUrl, credential, vaultOptions(settings));
}

/** A CryptographyClient for one key version, named by its full key id. */
export function cryptographyClient(
  settings: AzurePlatformSettings,
  keyId: string,
  credential: ClientSecretCredential,
): CryptographyClient {
  return new CryptographyClient(keyId, credential, vaultOptions(settings));
}

/** Per-call options: the request timeout. */
export function operationOptions(settings: AzurePlatformSettings) {
  return { requestOptions: { timeout: settings.requestTimeoutMs ?? 10_000 } };
}

/** Settings from the server configuration; reads the sandbox CA file when the sandbox is configured. */
export function azurePlatformSettings(azure: {
  authorityHost: string | undefined;
  sandboxCaPath: string | undefined;
}): AzurePlatformSettings {
  return {
    authorityHost: azure.authorityHost,
    ...(azure.sandboxCaPath ? { sandboxCaPem: readFileSync(azure.sandboxCaPath, 'utf8') } : {}),
  };
}

/**
 * Reads the tenant's OpenID configuration from the authority and returns Entra's AADSTS code when it
 * rejects the tenant (AADSTS90002 for a tenant that does not exist), or undefined when it responds
 * normally or cannot be reached. MSAL reports both a missing tenant and an unreachable authority as endpoints_resolution_error.
 */
export function probeTenant(settings: AzurePlatformSettings, tenantId: string): Promise<string | undefined> {
  const authority = settings.authorityHost ?? 'https://login.microsoftonline.com';
  const url = `${authority}/${encodeURIComponent(tenantId)}/v2.0/.well-known/openid-configuration`;
  return new Promise((resolve) => {
    const request = https.get(
      url,
      {
        timeout: settings.requestTimeoutMs ?? 10_000,
        ...(settings.sandboxCaPem ? { ca: settings.sandboxCaPem } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve(response.statusCode === 400 ? /AADSTS(\d+)/.exec(body)?.[0] : undefined);
        });
        response.on('error', () => resolve(undefined));
      },
    );
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}
