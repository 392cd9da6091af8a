import * as oidc from 'openid-client';
import type { IdentityConfig, OAuthClientConfig } from '../config/config.js';
import { AppError } from '../errors/app-error.js';

/**
 * OpenID configurations of the identity providers, discovered once per issuer: one per Microsoft 365
 * tenant (the issuer names the tenant, so discovery itself checks `iss` against the tenant) and one
 * for Google.
 */
export class IdentityClients {
  readonly #config: IdentityConfig;
  readonly #discovered = new Map<string, Promise<oidc.Configuration>>();

  constructor(config: IdentityConfig) {
    this.#config = config;
  }

  get identity(): IdentityConfig {
    return this.#config;
  }

  entraIssuer(tenantId: string): string {
    return this.#config.entra.authorityTemplate.replace('{tenantId}', tenantId);
  }

  forMicrosoftTenant(tenantId: string): Promise<oidc.Configuration> {
    return this.#discover(
      this.entraIssuer(tenantId),
      this.#config.entra.client,
      'Microsoft Entra',
      'REDAPP_ENTRA_CLIENT_ID',
    );
  }

  forGoogle(): Promise<oidc.Configuration> {
    return this.#discover(
      this.#config.google.issuer,
      this.#config.google.client,
      'Google',
      'REDAPP_GOOGLE_CLIENT_ID',
    );
  }

  #discover(
    issuer: string,
    client: OAuthClientConfig | undefined,
    name: string,
    variable: string,
  ): Promise<oidc.Configuration> {
    if (!client) {
      throw new AppError(
        'IDENTITY_PROVIDER_UNAVAILABLE',
        `Sign-in with ${name} is not configured on this server.`,
        {
          fix: `Set ${variable} and its secret (see the README's configuration table), or contact CyberSentriq support.`,
        },
      );
    }
    let pending = this.#discovered.get(issuer);
    if (!pending) {
      const options = this.#config.allowInsecureHttp ? { execute: [oidc.allowInsecureRequests] } : undefined;
      pending = oidc.discovery(new URL(issuer), client.clientId, client.clientSecret, undefined, options);
      this.#discovered.set(issuer, pending);
      // A failed discovery is not kept, so the next verification tries again.
      pending.catch(() => this.#discovered.delete(issuer));
    }
    return pending.catch((error: unknown) => {
      throw new AppError(
        'IDENTITY_PROVIDER_UNAVAILABLE',
        `${name} sign-in at ${issuer} is unreachable or misconfigured.`,
        {
          cause: error,
        },
      );
    });
  }
}
