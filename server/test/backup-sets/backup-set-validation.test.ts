import { describe, expect, it } from 'vitest';
import { validateBackupSet } from '../../src/backup-sets/backup-set-validation.js';
import { AppError } from '../../src/errors/app-error.js';

const microsoft = {
  kind: 'microsoft365',
  tenantId: '72F988BF-86F1-41AF-91AB-2D7CD011DB47',
  primaryDomain: 'Contoso.com.',
  name: ' Mail ',
};

function rejection(input: Record<string, string>): AppError {
  try {
    validateBackupSet({ ...microsoft, ...input });
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('validateBackupSet', () => {
  it('normalises a Microsoft 365 backup set', () => {
    expect(validateBackupSet(microsoft)).toEqual({
      kind: 'microsoft365',
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      primaryDomain: 'contoso.com',
      name: 'Mail',
    });
  });

  it('accepts a Google Workspace customer id as given', () => {
    const valid = validateBackupSet({
      kind: 'google_workspace',
      tenantId: 'C03az79cb',
      primaryDomain: 'contoso.com',
      name: 'GW',
    });
    expect(valid.tenantId).toBe('C03az79cb');
  });

  it.each([
    ['tenantId', { tenantId: 'contoso.onmicrosoft.com' }],
    ['tenantId', { tenantId: '72f988bf86f141af91ab2d7cd011db47' }],
    ['tenantId', { kind: 'google_workspace', tenantId: '03az79cb' }],
    ['tenantId', { kind: 'google_workspace', tenantId: microsoft.tenantId }],
    ['kind', { kind: 'exchange' }],
    ['primaryDomain', { primaryDomain: 'localhost' }],
    ['primaryDomain', { primaryDomain: 'contoso..com' }],
    ['primaryDomain', { primaryDomain: '-contoso.com' }],
    ['name', { name: '   ' }],
    ['name', { name: 'tab\tname' }],
    ['name', { name: 'x'.repeat(101) }],
  ])('rejects a bad %s: %j', (field, input) => {
    const error = rejection(input);
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.details?.field).toBe(field);
    expect(error.message).toContain(field);
  });
});
