import { AppError } from '../errors/app-error.js';
import { providerLabel } from './provider-labels.js';
import type { ProviderType } from './provider-types.js';

/** The configuration fields an admin may send for each provider type, and which of them are secret. */
export const providerRequestFields: Record<
  ProviderType,
  { fields: readonly string[]; secret: readonly string[] }
> = {
  cybersentriq: { fields: [], secret: [] },
  'aws-kms': { fields: ['roleArn', 'externalId', 'region', 'keyArn'], secret: ['externalId'] },
  'azure-key-vault': {
    fields: ['vaultUrl', 'keyName', 'keyVersion', 'tenantId', 'clientId', 'clientSecret'],
    secret: ['clientSecret'],
  },
};

/** Returns whether the value has a C0 control character (NUL, line breaks, tabs) or DEL. */
function hasControlCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Raises INVALID_INPUT for a field the provider type does not take, or a value with a control
 * character. A stray field could carry a secret into the audit log under a name that is not redacted.
 */
export function assertKnownRequestFields(providerType: string, config: Record<string, unknown>): void {
  const known = providerRequestFields[providerType as ProviderType];
  if (!known) return; // The registry reports an unknown provider type with its own message.

  const label = providerLabel(providerType);
  for (const [field, value] of Object.entries(config)) {
    if (!known.fields.includes(field)) {
      const expected = known.fields.length === 0 ? 'no fields' : known.fields.join(', ');
      throw new AppError(
        'INVALID_INPUT',
        `config.${field} is not a field of the ${label} configuration; expected ${expected}.`,
        { details: { field: `config.${field}` } },
      );
    }
    if (typeof value === 'string' && hasControlCharacter(value)) {
      throw new AppError(
        'INVALID_INPUT',
        `config.${field} contains a control character (such as a line break or NUL); enter the value on one line without them.`,
        { details: { field: `config.${field}` } },
      );
    }
  }
}

/** Returns the fields of a request that the audit log may keep: known, not secret, and strings. */
export function auditableRequestFields(
  providerType: string,
  config: Record<string, unknown>,
): Record<string, string> {
  const known = providerRequestFields[providerType as ProviderType];
  if (!known) return {};
  const auditable: Record<string, string> = {};
  for (const field of known.fields) {
    const value = config[field];
    if (!known.secret.includes(field) && typeof value === 'string') auditable[field] = value;
  }
  return auditable;
}
