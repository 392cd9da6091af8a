import type { BackupSetKind } from '../db/schema.js';
import { invalidInput } from '../errors/app-error.js';

export const backupSetKinds: readonly BackupSetKind[] = ['microsoft365', 'google_workspace'];

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Google Workspace customer ids are "C" followed by letters and digits, e.g. C03az79cb. */
const googleCustomerIdPattern = /^C[0-9A-Za-z]{6,12}$/;
const domainPattern =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects.
const controlCharacters = /[\u0000-\u001f\u007f]/;

export interface BackupSetInput {
  kind: string;
  tenantId: string;
  primaryDomain: string;
  name: string;
}

export interface ValidBackupSet {
  kind: BackupSetKind;
  tenantId: string;
  primaryDomain: string;
  name: string;
}

/** Checks and normalises a new backup set; throws INVALID_INPUT naming the field and its expected shape. */
export function validateBackupSet(input: BackupSetInput): ValidBackupSet {
  if (!backupSetKinds.includes(input.kind as BackupSetKind)) {
    throw invalidInput('kind', `"${input.kind}" is unknown`, backupSetKinds.join(' or '));
  }
  const kind = input.kind as BackupSetKind;

  const tenantId = input.tenantId.trim();
  if (kind === 'microsoft365' && !guidPattern.test(tenantId)) {
    throw invalidInput(
      'tenantId',
      `"${input.tenantId}" is not a Microsoft 365 tenant id`,
      'a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47 (Entra admin center, Overview, Tenant ID)',
    );
  }
  if (kind === 'google_workspace' && !googleCustomerIdPattern.test(tenantId)) {
    throw invalidInput(
      'tenantId',
      `"${input.tenantId}" is not a Google Workspace customer id`,
      'C followed by letters and digits, such as C03az79cb (Admin console, Account settings, Customer ID)',
    );
  }

  const primaryDomain = input.primaryDomain.trim().toLowerCase().replace(/\.$/, '');
  if (!domainPattern.test(primaryDomain)) {
    throw invalidInput(
      'primaryDomain',
      `"${input.primaryDomain}" is not a domain name`,
      'a domain such as contoso.com',
    );
  }

  const name = input.name.trim();
  if (name.length === 0 || name.length > 100 || controlCharacters.test(name)) {
    throw invalidInput(
      'name',
      `"${input.name}" is empty, longer than 100 characters or has control characters`,
      '1 to 100 printable characters',
    );
  }

  return { kind, tenantId: kind === 'microsoft365' ? tenantId.toLowerCase() : tenantId, primaryDomain, name };
}
