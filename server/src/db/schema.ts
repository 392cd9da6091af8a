import type { ColumnType } from 'kysely';

/** Timestamps are written by the database (`now()`) and read back as Date. */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export type Role = 'partner_admin' | 'company_admin' | 'company_viewer';
export type BackupSetKind = 'microsoft365' | 'google_workspace';

export interface PartnersTable {
  id: string;
  name: string;
  created_at: CreatedAt;
}

export interface CompaniesTable {
  id: string;
  partner_id: string;
  name: string;
  /** The provider protecting this company's keys ('cybersentriq', 'aws-kms', ...). */
  provider_type: ColumnType<string, string | undefined, string>;
  /** The provider's non-secret configuration (for AWS KMS: role ARN, External ID, region, key ARN). */
  provider_config: ColumnType<Record<string, unknown>, string | undefined, string>;
  provider_since: ColumnType<Date, Date | undefined, Date>;
  /** A small ciphertext made with the AWS KMS key at save time, decrypted by the key health check. */
  health_ciphertext: Buffer | null;
  created_at: CreatedAt;
}

export interface CompanyKeysTable {
  company_id: string;
  version: number;
  provider_type: string;
  provider_key_id: string;
  mechanism: string;
  format_version: number;
  ciphertext: Buffer;
  /** The wrap context, `{ companyId, companyKeyVersion }`, as JSON. */
  context: ColumnType<{ companyId: string; companyKeyVersion: number }, string, string>;
  created_at: CreatedAt;
}

export interface BackupKeysTable {
  backup_set_id: string;
  version: number;
  company_id: string;
  company_key_version: number;
  /** nonce || ciphertext || tag, AES-256-GCM under the company key version. */
  wrapped_key: Buffer;
  created_at: CreatedAt;
}

export interface BackupObjectsTable {
  id: string;
  backup_set_id: string;
  company_id: string;
  name: string;
  /** Plaintext size. */
  size_bytes: ColumnType<number, number, number>;
  /** Encrypted size on disk, header and tags included. */
  stored_bytes: ColumnType<number, number, number>;
  backup_key_version: number;
  created_at: CreatedAt;
}

export interface CompanyLeasesTable {
  company_id: string;
  holder: string;
  purpose: string;
  expires_at: Date;
}

export interface UsersTable {
  id: string;
  email: string;
  display_name: string;
  password_hash: string;
  role: Role;
  partner_id: string;
  /** Null for Partner Admins, who reach every company of their partner. */
  company_id: string | null;
  created_at: CreatedAt;
}

export interface SessionsTable {
  /** SHA-256 of the session cookie value, hex; the cookie value itself is never stored. */
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: CreatedAt;
  expires_at: Date;
}

export interface BackupSetsTable {
  id: string;
  company_id: string;
  kind: BackupSetKind;
  /** Microsoft 365 tenant id (lowercase GUID) or Google Workspace customer id. */
  tenant_id: string;
  primary_domain: string;
  name: string;
  created_at: CreatedAt;
}

export interface AuditEventsTable {
  company_id: string;
  sequence: number;
  time: Date;
  actor_user_id: string | null;
  actor: string;
  action: string;
  outcome: 'success' | 'failure';
  summary: string;
  details: ColumnType<Record<string, unknown>, string, never>;
  previous_hash: string;
  hash: string;
}

type Json = ColumnType<Record<string, unknown>, string, string>;

export interface ExternalIdsTable {
  external_id: string;
  company_id: string;
  state: 'suggested' | 'saved';
  created_at: CreatedAt;
}

export type SwitchState = 'pending' | 'finishing' | 'finished' | 'cancelled' | 'replaced';

export interface ProviderSwitchesTable {
  id: string;
  company_id: string;
  state: SwitchState;
  source_type: string;
  source_config: Json;
  target_type: string;
  target_config: Json;
  created_by_user_id: string | null;
  created_by: string;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  finished_at: Date | null;
  last_error: ColumnType<{ code: string; message: string; fix: string } | null, string | null, string | null>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Date | null;
}

export interface TenantVerificationsTable {
  id: string;
  company_id: string;
  switch_id: string | null;
  purpose: 'switch' | 'export';
  kind: BackupSetKind;
  tenant_id: string;
  outcome: 'verified' | 'refused';
  reason: string | null;
  identity: string | null;
  user_id: string;
  created_at: CreatedAt;
}

export interface VerificationStatesTable {
  state_hash: string;
  session_id_hash: string;
  user_id: string;
  company_id: string;
  switch_id: string | null;
  purpose: 'switch' | 'export';
  kind: BackupSetKind;
  tenant_id: string;
  code_verifier: string;
  nonce: string;
  expires_at: Date;
  used_at: Date | null;
}

export interface ExportOffersTable {
  company_id: string;
  switch_id: string | null;
  available: boolean;
  offered_at: Date;
  consumed_at: Date | null;
  consumed_by: string | null;
}

export interface KeyHealthTable {
  company_id: string;
  state: string;
  message: string;
  deletion_date: Date | null;
  unknown_grants: ColumnType<number, number | undefined, number>;
  checked_at: Date;
  changed_at: Date;
  next_check_at: Date;
}

export interface Database {
  partners: PartnersTable;
  companies: CompaniesTable;
  users: UsersTable;
  sessions: SessionsTable;
  backup_sets: BackupSetsTable;
  company_keys: CompanyKeysTable;
  backup_keys: BackupKeysTable;
  backup_objects: BackupObjectsTable;
  company_leases: CompanyLeasesTable;
  audit_events: AuditEventsTable;
  external_ids: ExternalIdsTable;
  provider_switches: ProviderSwitchesTable;
  tenant_verifications: TenantVerificationsTable;
  verification_states: VerificationStatesTable;
  export_offers: ExportOffersTable;
  key_health: KeyHealthTable;
}
