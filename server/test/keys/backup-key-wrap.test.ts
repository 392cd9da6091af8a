import { describe, expect, it } from 'vitest';
import { generateKey } from '../../src/keys/aes-gcm.js';
import { type BackupKeyContext, unwrapBackupKey, wrapBackupKey } from '../../src/keys/backup-key-wrap.js';

const companyKey = generateKey();
const backupKey = generateKey();
const context: BackupKeyContext = {
  companyId: 'company-1',
  backupSetId: 'set-1',
  companyKeyVersion: 2,
  backupKeyVersion: 3,
};

function unwrapError(run: () => unknown): { code?: string; message: string } {
  try {
    run();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected the unwrap to fail');
}

describe('backup key wrapping', () => {
  it('round trip', () => {
    const wrapped = wrapBackupKey(companyKey, backupKey, context);

    expect(wrapped).toHaveLength(60);
    expect(unwrapBackupKey(companyKey, wrapped, context).equals(backupKey)).toBe(true);
  });

  it('uses a fresh nonce each time', () => {
    expect(
      wrapBackupKey(companyKey, backupKey, context).equals(wrapBackupKey(companyKey, backupKey, context)),
    ).toBe(false);
  });

  it.each([
    ['company id', { companyId: 'company-2' }],
    ['backup set id', { backupSetId: 'set-2' }],
    ['company key version', { companyKeyVersion: 1 }],
    ['backup key version', { backupKeyVersion: 4 }],
  ])('other %s is KEY_UNAVAILABLE', (_field, change) => {
    const wrapped = wrapBackupKey(companyKey, backupKey, context);

    const error = unwrapError(() => unwrapBackupKey(companyKey, wrapped, { ...context, ...change }));

    expect(error.code).toBe('KEY_UNAVAILABLE');
  });

  it('error names the backup set and versions', () => {
    const wrapped = wrapBackupKey(companyKey, backupKey, context);

    const error = unwrapError(() => unwrapBackupKey(generateKey(), wrapped, context));

    expect(error.code).toBe('KEY_UNAVAILABLE');
    expect(error.message).toContain('set-1');
    expect(error.message).toContain('Backup key version 3');
    expect(error.message).toContain('company key version 2');
  });

  it.each([0, 11, 59])('flipped byte %i is KEY_UNAVAILABLE', (offset) => {
    const wrapped = wrapBackupKey(companyKey, backupKey, context);
    wrapped[offset] = wrapped[offset]! ^ 1;

    expect(unwrapError(() => unwrapBackupKey(companyKey, wrapped, context)).code).toBe('KEY_UNAVAILABLE');
  });

  it('truncated blob is KEY_UNAVAILABLE', () => {
    const wrapped = wrapBackupKey(companyKey, backupKey, context);

    expect(unwrapError(() => unwrapBackupKey(companyKey, wrapped.subarray(0, 20), context)).code).toBe(
      'KEY_UNAVAILABLE',
    );
  });

  it('ids with separators do not collide', () => {
    const wrapped = wrapBackupKey(companyKey, backupKey, { ...context, companyId: 'a', backupSetId: 'b:c' });

    const error = unwrapError(() =>
      unwrapBackupKey(companyKey, wrapped, { ...context, companyId: 'a:b', backupSetId: 'c' }),
    );

    expect(error.code).toBe('KEY_UNAVAILABLE');
  });

  it.each([0, -1, 1.5])('rejects backup key version %d', (backupKeyVersion) => {
    expect(() => wrapBackupKey(companyKey, backupKey, { ...context, backupKeyVersion })).toThrow(RangeError);
  });

  it('rejects a 16-byte company key', () => {
    expect(() => wrapBackupKey(Buffer.alloc(16), backupKey, context)).toThrow(RangeError);
  });
});
