/**
 * The states of a company's customer key (AWS KMS or Azure Key Vault) as the periodic key health
 * check records it. `unknown` is the placeholder a replica writes when it claims a company for its
 * first check; every finished check replaces it with one of the other states.
 */
export const keyHealthStates = [
  'unknown',
  'ok',
  'key_disabled',
  'key_pending_deletion',
  'access_denied',
  'unreachable',
] as const;
export type KeyHealthState = (typeof keyHealthStates)[number];

/** The result of one check. */
export interface KeyHealthObservation {
  state: Exclude<KeyHealthState, 'unknown'>;
  /** The catalogue message of the failure, or a summary of what passed; never raw provider text. */
  message: string;
  /** Catalogue code of the failure, for logs; undefined when the state is `ok`. */
  code?: string;
  /** Set when the state is `key_pending_deletion`. */
  deletionDate: Date | null;
  /**
   * Grants on the key whose grantee is not the role; undefined when ListGrants was not reached, and
   * always for Azure Key Vault, whose keys have no grants.
   */
  unknownGrants: number | undefined;
  /** A test ciphertext this check made because the stored one was missing or from another key. */
  createdCiphertext?: Buffer;
  /** The caught error behind a failed state, for the log only. */
  error?: unknown;
}

/** A company's recorded key health, as the API returns it. */
export interface KeyHealthView {
  state: KeyHealthState;
  message: string;
  checkedAt: string;
  changedAt: string;
  nextCheckAt: string;
  deletionDate?: string;
  unknownGrants: number;
}
