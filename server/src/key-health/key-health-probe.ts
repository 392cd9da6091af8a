import { AppError } from '../errors/app-error.js';
import type { KeyHealthObservation } from './key-health-types.js';

/** What a probe reads about the company it checks. */
export interface KeyHealthTarget {
  companyId: string;
  /** The company's stored provider configuration, secrets sealed. */
  providerConfig: Record<string, unknown>;
  /** A test ciphertext an earlier check of this company stored, for probes that keep one. */
  storedCiphertext: Buffer | null;
}

export interface KeyHealthProbeResult {
  /** The provider key the check used: the key ARN on AWS KMS, the key id with its version on Azure Key Vault. */
  providerKeyId: string;
  observation: KeyHealthObservation;
}

/**
 * Checks one provider type's keys. `probe` turns every failure to use the key into an observation, and
 * raises only for a stored configuration it cannot read (which no retry would fix).
 */
export interface KeyHealthProbe {
  probe(target: KeyHealthTarget): Promise<KeyHealthProbeResult>;
}

/** The probes the checker runs, by provider type; companies on other provider types are not checked. */
export type KeyHealthProbes = ReadonlyMap<string, KeyHealthProbe>;

/**
 * Turns a failed check into an observation. `stateOfCode` maps the provider's catalogue codes to
 * states; an error that is no AppError is an unexpected failure and counts as `unreachable`.
 */
export function failedObservation(
  error: unknown,
  stateOfCode: (error: AppError) => Pick<KeyHealthObservation, 'state' | 'deletionDate'>,
): KeyHealthObservation {
  if (!(error instanceof AppError)) {
    return {
      state: 'unreachable',
      message: 'The key health check failed unexpectedly; it runs again at the next interval.',
      deletionDate: null,
      unknownGrants: undefined,
      error,
    };
  }
  return { ...stateOfCode(error), message: error.message, code: error.code, unknownGrants: undefined, error };
}
