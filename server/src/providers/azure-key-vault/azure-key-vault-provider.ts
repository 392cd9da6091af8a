import { createHash, timingSafeEqual } from 'node:crypto';
import type { ClientSecretCredential } from '@azure/identity';
import type { CryptographyClient } from '@azure/keyvault-keys';
import { AppError } from '../../errors/app-error.js';
import type {
  ConnectionTestResult,
  KeyProvider,
  ProviderDescription,
  WrapContext,
  WrappedKey,
} from '../provider-types.js';
import { assertWrapContext, sameContext } from '../wrap-context.js';
import {
  type AzurePlatformSettings,
  appCredential,
  cryptographyClient,
  keyClient,
  operationOptions,
} from './azure-clients.js';
import {
  type AzureKeyVaultConfig,
  azureKeyId,
  azureKeyVaultOverview,
  parseAzureKeyVaultConfig,
  type StoredAzureKeyVaultConfig,
} from './azure-key-vault-config.js';

import { type AzureConnectionTestReport, runAzureConnectionTest } from './azure-key-vault-connection-test.js';
import { type AzureAction, translateAzureError } from './azure-key-vault-errors.js';
import {
  AZURE_KEY_VAULT_FORMAT_VERSION,
  AZURE_KEY_VAULT_MECHANISM,
  AZURE_WRAP_ALGORITHM,
  companyKeyFromPayload,
  wrapPayload,
} from './azure-key-wrap-format.js';

/** Seals the client secret of a configuration for storage, and opens it again. */
export interface ConfigSealing {
  seal(config: AzureKeyVaultConfig): Promise<StoredAzureKeyVaultConfig>;
  open(stored: StoredAzureKeyVaultConfig): Promise<AzureKeyVaultConfig>;
}

/**
 * The customer's RSA key in Azure Key Vault, reached as their app registration with client credentials.
 * Key Vault itself wraps company keys with RSA-OAEP-256 at the pinned key version, and the private key
 * never leaves it. Every wrapped key records the full key id with the version that wrapped it and
 * unwraps with that version, so rotating the key in Azure does not strand older wraps.
 */
export class AzureKeyVaultKeyProvider implements KeyProvider {
  readonly providerType = 'azure-key-vault' as const;
  readonly #config: AzureKeyVaultConfig;
  readonly #settings: AzurePlatformSettings;
  readonly #credential: ClientSecretCredential;
  readonly #clients = new Map<string, CryptographyClient>();
  /** The pinned version, or the current one once a test or the first wrap resolved it. */
  #keyVersion: string | undefined;

  readonly #sealing: ConfigSealing | undefined;

  /** `sealing` seals and opens the client secret for storage; the registry factory passes one built on the platform provider. */
  constructor(config: AzureKeyVaultConfig, settings: AzurePlatformSettings, sealing?: ConfigSealing) {
    this.#config = config;
    this.#settings = settings;
    this.#sealing = sealing;
    this.#credential = appCredential(settings, config);
    this.#keyVersion = config.keyVersion;
  }

  /** The configuration without its client secret, for the overview and logs. */
  get overview() {
    return azureKeyVaultOverview({
      ...this.#config,
      ...(this.#keyVersion ? { keyVersion: this.#keyVersion } : {}),
    });
  }

  /**
   * The configuration to store at Save, with the key version that the last test resolved. Raises
   * INVALID_INPUT when no test has resolved a version yet. The caller seals `clientSecret` before storing.
   */
  pinnedConfig(): AzureKeyVaultConfig & { keyVersion: string } {
    if (!this.#keyVersion)
      throw new AppError(
        'INVALID_INPUT',
        'The Azure Key Vault key version is not known yet; run Test connection before Save.',
      );
    return { ...this.#config, keyVersion: this.#keyVersion };
  }

  /**
   * Returns the configuration that Save stores: the key version pinned by the last passed test and the
   * client secret sealed under the CyberSentriq-managed key, never in plain text.
   */
  async storedConfig(): Promise<StoredAzureKeyVaultConfig> {
    if (!this.#sealing)
      throw new Error('This Azure Key Vault provider was built without a way to seal its secret.');
    return this.#sealing.seal(this.pinnedConfig());
  }

  /**
   * Returns whether a saved configuration names the same vault, key, app and client secret as this
   * provider, so that saving this one again would change nothing. A provider without a key version of
   * its own stands for the key's current version, which is read from the vault: a key rotated in Azure
   * since the last Save is a change. The secrets are compared as SHA-256 digests in constant time. A
   * saved configuration that cannot be read or opened, or a vault that cannot be asked, counts as a
   * change, so the connection test that follows reports the problem.
   */
  async matchesStoredConfig(stored: Record<string, unknown>): Promise<boolean> {
    if (!this.#sealing) return false;
    let saved: StoredAzureKeyVaultConfig;
    try {
      const parsed = parseAzureKeyVaultConfig(stored, {
        allowAnyVaultHost: this.#settings.sandboxCaPem !== undefined,
      });
      if (!parsed.sealedClientSecret || !parsed.keyVersion) return false;
      saved = { ...parsed, sealedClientSecret: parsed.sealedClientSecret };
    } catch {
      return false;
    }
    const sameKey =
      saved.vaultUrl === this.#config.vaultUrl &&
      saved.keyName === this.#config.keyName &&
      saved.tenantId === this.#config.tenantId &&
      saved.clientId === this.#config.clientId;
    if (!sameKey) return false;

    let savedSecret: string;
    try {
      savedSecret = (await this.#sealing.open(saved)).clientSecret;
    } catch {
      return false;
    }
    if (!sameSecret(savedSecret, this.#config.clientSecret)) return false;

    if (this.#config.keyVersion) return this.#config.keyVersion === saved.keyVersion;
    try {
      return (await this.#currentKeyVersion()) === saved.keyVersion;
    } catch {
      return false;
    }
  }

  async wrapKey(plaintextKey: Buffer, context: WrapContext): Promise<WrappedKey> {
    assertWrapContext(context);
    if (plaintextKey.length !== 32)
      throw new RangeError(`wrapKey expects a 32-byte company key; got ${plaintextKey.length}.`);

    const keyId = azureKeyId(this.#config, await this.#resolveKeyVersion());
    const payload = wrapPayload(plaintextKey, context);
    try {
      const result = await this.#send('wrapKey', () =>
        this.#client(keyId).wrapKey(AZURE_WRAP_ALGORITHM, payload, operationOptions(this.#settings)),
      );
      // Postcondition: the key id in the wrap response must equal the key id requested.
      if (result.keyID !== keyId)
        throw new AppError(
          'AZURE_KEY_NOT_FOUND',
          `Azure Key Vault key not found: wrapKey answered with key ${result.keyID ?? '(none)'} instead of ${keyId}.`,
        );
      return {
        providerType: this.providerType,
        providerKeyId: keyId,
        mechanism: AZURE_KEY_VAULT_MECHANISM,
        formatVersion: AZURE_KEY_VAULT_FORMAT_VERSION,
        ciphertext: Buffer.from(result.result),
        context: { ...context },
      };
    } finally {
      payload.fill(0);
    }
  }

  async unwrapKey(wrapped: WrappedKey, context: WrapContext): Promise<Buffer> {
    assertWrapContext(context);
    // Preconditions: the wrapped key is ours, from this vault and key name, and for this context.
    if (
      wrapped.providerType !== 'azure-key-vault' ||
      wrapped.mechanism !== AZURE_KEY_VAULT_MECHANISM ||
      wrapped.formatVersion !== AZURE_KEY_VAULT_FORMAT_VERSION
    ) {
      throw unavailable(
        context,
        `it was wrapped by ${wrapped.providerType} (${wrapped.mechanism}), not Azure Key Vault`,
      );
    }
    const keyPrefix = `${azureKeyId(this.#config, '')}`;
    if (
      !wrapped.providerKeyId.startsWith(keyPrefix) ||
      !/^[0-9a-f]{32}$/.test(wrapped.providerKeyId.slice(keyPrefix.length))
    ) {
      throw unavailable(
        context,
        `it was wrapped by ${wrapped.providerKeyId}, not a version of the saved key ${keyPrefix.slice(0, -1)}`,
      );
    }
    if (!sameContext(wrapped.context, context))
      throw unavailable(context, 'it was bound to another company or company key version');

    const result = await this.#send('unwrapKey', () =>
      this.#client(wrapped.providerKeyId).unwrapKey(
        AZURE_WRAP_ALGORITHM,
        wrapped.ciphertext,
        operationOptions(this.#settings),
      ),
    );
    const payload = Buffer.from(result.result);
    const companyKey = companyKeyFromPayload(payload, context);
    payload.fill(0);
    if (!companyKey) throw unavailable(context, 'the unwrapped bytes do not carry this company key context');
    return companyKey;
  }

  describe(): ProviderDescription {
    const version = this.#keyVersion ?? '';
    return {
      providerType: this.providerType,
      backend: 'azure-key-vault',
      providerKeyId: version ? azureKeyId(this.#config, version) : azureKeyId(this.#config, '').slice(0, -1),
      mechanism: AZURE_KEY_VAULT_MECHANISM,
      details: { ...this.overview },
    };
  }

  async testConnection(): Promise<ConnectionTestResult> {
    const started = Date.now();
    const report = await this.runConnectionTest({ companyId: 'connection-test', companyKeyVersion: 1 });
    if (report.error) throw report.error;
    return { providerKeyId: report.keyId!, durationMs: Date.now() - started };
  }

  /** The step list of Test connection with the company's context; a pass pins the key version it used. */
  async runConnectionTest(context: WrapContext): Promise<AzureConnectionTestReport> {
    const report = await runAzureConnectionTest(this.#config, this.#settings, context, {
      inputChecks: false,
    });
    if (!report.error && report.keyId)
      this.#keyVersion = report.keyId.slice(report.keyId.lastIndexOf('/') + 1);
    return report;
  }

  async #resolveKeyVersion(): Promise<string> {
    if (this.#keyVersion) return this.#keyVersion;
    this.#keyVersion = await this.#currentKeyVersion();
    return this.#keyVersion;
  }

  async #currentKeyVersion(): Promise<string> {
    const key = await this.#send('get', () =>
      keyClient(this.#settings, this.#config, this.#credential).getKey(
        this.#config.keyName,
        operationOptions(this.#settings),
      ),
    );
    if (!key.properties.version)
      throw new AppError(
        'AZURE_KEY_NOT_FOUND',
        `Azure Key Vault key not found: ${this.#config.keyName} has no current version.`,
      );
    return key.properties.version;
  }

  #client(keyId: string): CryptographyClient {
    let client = this.#clients.get(keyId);
    if (!client) {
      client = cryptographyClient(this.#settings, keyId, this.#credential);
      this.#clients.set(keyId, client);
    }
    return client;
  }

  async #send<T>(action: AzureAction, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw translateAzureError(error, action, this.#config);
    }
  }
}

/** Compares two secrets in constant time; digests first, because timingSafeEqual needs equal lengths. */
function sameSecret(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

function unavailable(context: WrapContext, problem: string): AppError {
  return new AppError(
    'KEY_UNAVAILABLE',
    `Company key version ${context.companyKeyVersion} of company ${context.companyId} cannot be unwrapped: ${problem}.`,
    { details: { companyId: context.companyId, companyKeyVersion: context.companyKeyVersion } },
  );
}
