/**
 * The CyberSentriq-managed provider, embedded default: company keys wrapped by the platform master key
 * file (master-key-file.ts) with AES-256-GCM.
 *
 * The wrapped key's ciphertext is nonce (12) || encrypted company key (32) || tag (16). The AAD binds
 * the company id, the company key version and the master key version, so a wrapped key moved to another
 * company or version, or relabelled with another master key version, fails to unwrap.
 */
import { performance } from 'node:perf_hooks';
import { AppError } from '../../errors/app-error.js';
import { encodeAad } from '../../keys/aad.js';
import { generateKey, openAesGcm, sealAesGcm } from '../../keys/aes-gcm.js';
import type {
  ConnectionTestResult,
  KeyProvider,
  ProviderDescription,
  WrapContext,
  WrappedKey,
} from '../provider-types.js';
import { assertWrapContext, sameContext } from '../wrap-context.js';
import type { MasterKeyFile } from './master-key-file.js';

export const LOCAL_MECHANISM = 'AES-256-GCM';
export const LOCAL_FORMAT_VERSION = 1;
const AAD_LABEL = 'redapp/company-key/platform-master-key/v1';
const KEY_ID_PREFIX = 'platform-master-key/';

/** Returns the provider key id recorded for a master key version, `platform-master-key/<version>`. */
export function localProviderKeyId(version: number): string {
  return `${KEY_ID_PREFIX}${version}`;
}

export class LocalPlatformKeyProvider implements KeyProvider {
  readonly providerType = 'cybersentriq' as const;
  readonly #masterKeys: MasterKeyFile;

  constructor(masterKeys: MasterKeyFile) {
    this.#masterKeys = masterKeys;
  }

  async wrapKey(plaintextKey: Buffer, context: WrapContext): Promise<WrappedKey> {
    assertWrapContext(context);
    if (plaintextKey.length !== 32) {
      throw new RangeError(`wrapKey expects a 32-byte company key; got ${plaintextKey.length} bytes.`);
    }

    // Another process (the rotate command) may have added a version since this one loaded the file.
    await this.#masterKeys.reloadIfReplaced();
    const version = this.#masterKeys.currentVersion;
    const masterKey = this.#masterKeys.keyFor(version)!;

    return {
      providerType: this.providerType,
      providerKeyId: localProviderKeyId(version),
      mechanism: LOCAL_MECHANISM,
      formatVersion: LOCAL_FORMAT_VERSION,
      ciphertext: sealAesGcm(masterKey, plaintextKey, wrapAad(context, version)),
      context: { ...context },
    };
  }

  async unwrapKey(wrapped: WrappedKey, context: WrapContext): Promise<Buffer> {
    assertWrapContext(context);
    const version = parseVersion(wrapped);

    if (!sameContext(wrapped.context, context)) {
      throw unavailable(context, 'the wrapped key was bound to another company or company key version');
    }

    let masterKey = this.#masterKeys.keyFor(version);
    if (masterKey === undefined && (await this.#masterKeys.reloadIfReplaced())) {
      masterKey = this.#masterKeys.keyFor(version);
    }
    if (masterKey === undefined) {
      throw unavailable(context, `the platform master key file has no version ${version}`);
    }

    const plaintextKey = openAesGcm(masterKey, wrapped.ciphertext, wrapAad(context, version));
    if (plaintextKey === undefined || plaintextKey.length !== 32) {
      plaintextKey?.fill(0);
      throw unavailable(context, 'the wrapped key is damaged or was wrapped under another context');
    }
    return plaintextKey;
  }

  /**
   * Adds a platform master key version and makes it current; returns its number. Keys wrapped before
   * keep unwrapping; re-wrap them with `rewrapKey` to move them onto the new version.
   */
  async rotate(): Promise<number> {
    return this.#masterKeys.rotate();
  }

  describe(): ProviderDescription {
    const version = this.#masterKeys.currentVersion;
    return {
      providerType: this.providerType,
      backend: 'local-file',
      providerKeyId: localProviderKeyId(version),
      mechanism: LOCAL_MECHANISM,
      details: { path: this.#masterKeys.path, versions: this.#masterKeys.listVersions() },
    };
  }

  async testConnection(): Promise<ConnectionTestResult> {
    const started = performance.now();
    const context = { companyId: 'connection-test', companyKeyVersion: 1 };
    const key = generateKey();

    try {
      const wrapped = await this.wrapKey(key, context);
      const unwrapped = await this.unwrapKey(wrapped, context);
      const matches = unwrapped.equals(key);
      unwrapped.fill(0);
      if (!matches)
        throw new AppError('INTERNAL', 'The platform master key round trip returned another key.');

      return { providerKeyId: wrapped.providerKeyId, durationMs: performance.now() - started };
    } finally {
      key.fill(0);
    }
  }
}

function parseVersion(wrapped: WrappedKey): number {
  const match = /^platform-master-key\/([1-9][0-9]{0,9})$/.exec(wrapped.providerKeyId);
  const supported =
    wrapped.providerType === 'cybersentriq' &&
    wrapped.mechanism === LOCAL_MECHANISM &&
    wrapped.formatVersion === LOCAL_FORMAT_VERSION &&
    match !== null;
  if (!supported) {
    throw unavailable(
      wrapped.context,
      `the wrapped key (${wrapped.providerType}, ${wrapped.providerKeyId}, ${wrapped.mechanism} ` +
        `format ${wrapped.formatVersion}) was not made by the platform master key file`,
    );
  }
  return Number(match![1]);
}

function wrapAad(context: WrapContext, masterKeyVersion: number): Buffer {
  return encodeAad(AAD_LABEL, [context.companyId, context.companyKeyVersion, masterKeyVersion]);
}

function unavailable(context: WrapContext, problem: string): AppError {
  return new AppError(
    'KEY_UNAVAILABLE',
    `Company key version ${context.companyKeyVersion} of company ${context.companyId} failed to unwrap: ${problem}.`,
    { details: { companyId: context.companyId, companyKeyVersion: context.companyKeyVersion } },
  );
}
