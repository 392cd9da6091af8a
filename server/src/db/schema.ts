import type { ColumnType, Generated } from 'kysely';

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
  created_at: CreatedAt;
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

export interface SchemaVersion {
  id: Generated<number>;
}

export interface Database {
  partners: PartnersTable;
  companies: CompaniesTable;
  users: UsersTable;
  sessions: SessionsTable;
  backup_sets: BackupSetsTable;
}
