/**
 * Backup keys: one 256-bit AES key per backup set and version, wrapped by a company key version.
 *
 * Wrapping is AES-256-GCM with a random 96-bit nonce (layout in aes-gcm.ts). The AAD binds the company
 * id, the backup set id, the company key version and the backup key version, so a wrapped backup key
 * copied to another backup set, company or version fails to unwrap.
 */
import { AppError } from '../errors/app-error.js';
import { encodeAad } from './aad.js';
import { assertKeyLength, openAesGcm, sealAesGcm } from './aes-gcm.js';

export const BACKUP_KEY_WRAP_MECHANISM = 'AES-256-GCM';
export const BACKUP_KEY_WRAP_FORMAT_VERSION = 1;
const AAD_LABEL = 'redapp/backup-key/v1';

/** The names a wrapped backup key is bound to. Versions are positive integers. */
export interface BackupKeyContext {
  companyId: string;
  backupSetId: string;
  companyKeyVersion: number;
  backupKeyVersion: number;
}

/** Wraps `backupKey` under `companyKey`; returns nonce || ciphertext || tag (60 bytes). */
export function wrapBackupKey(companyKey: Buffer, backupKey: Buffer, context: BackupKeyContext): Buffer {
  assertKeyLength(companyKey);
  assertKeyLength(backupKey);

  return sealAesGcm(companyKey, backupKey, backupKeyAad(context));
}

/**
 * Unwraps a backup key. Raises AppError KEY_UNAVAILABLE, naming the backup set and both versions, when
 * the wrapped key is damaged or was bound to another context or company key. The caller owns the
 * returned buffer and should zero it with `fill(0)` when done.
 */
export function unwrapBackupKey(companyKey: Buffer, wrapped: Buffer, context: BackupKeyContext): Buffer {
  assertKeyLength(companyKey);

  const backupKey = openAesGcm(companyKey, wrapped, backupKeyAad(context));
  if (backupKey === undefined || backupKey.length !== 32) {
    backupKey?.fill(0);
    throw new AppError(
      'KEY_UNAVAILABLE',
      `Backup key version ${context.backupKeyVersion} of backup set ${context.backupSetId} failed to unwrap ` +
        `with company key version ${context.companyKeyVersion}: the wrapped key is damaged or belongs to ` +
        'another backup set, company or version.',
      {
        details: {
          companyId: context.companyId,
          backupSetId: context.backupSetId,
          backupKeyVersion: context.backupKeyVersion,
          companyKeyVersion: context.companyKeyVersion,
        },
      },
    );
  }
  return backupKey;
}

function backupKeyAad(context: BackupKeyContext): Buffer {
  assertVersion('companyKeyVersion', context.companyKeyVersion);
  assertVersion('backupKeyVersion', context.backupKeyVersion);

  return encodeAad(AAD_LABEL, [
    context.companyId,
    context.backupSetId,
    context.companyKeyVersion,
    context.backupKeyVersion,
  ]);
}

function assertVersion(name: string, version: number): void {
  if (!Number.isInteger(version) || version < 1 || version > 0xffff_ffff) {
    throw new RangeError(`${name} must be a positive 32-bit integer; got ${version}.`);
  }
}
