// Shapes of the RedApp API responses the console reads; the server's OpenAPI document at /docs/json
// and docs/api-key-management.md are the reference.

export type Role = 'partner_admin' | 'company_admin' | 'company_viewer';

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  partnerId: string;
  companyId: string | null;
}

export interface Session {
  user: SessionUser;
  csrfToken: string;
}

export interface Company {
  id: string;
  name: string;
  partnerId: string;
  partnerName: string;
  createdAt: string;
}

export type ProviderType = 'cybersentriq' | 'aws-kms' | 'azure-key-vault';

/** Provider settings as text fields, e.g. roleArn, externalId, region and keyArn for AWS KMS. */
export type ProviderConfig = Record<string, string>;

export interface ProviderDescription {
  type: ProviderType;
  label: string;
  config: ProviderConfig | null;
  activeSince?: string;
}

export interface CatalogueError {
  code: string;
  message: string;
  fix: string;
}

export interface SwitchState {
  id: string;
  state: 'pending' | 'finishing';
  target: ProviderDescription;
  createdAt: string;
  createdBy: string;
  tenantsTotal: number;
  tenantsVerified: number;
  lastError: CatalogueError | null;
}

export type KeyHealthState = 'ok' | 'key_disabled' | 'key_pending_deletion' | 'access_denied' | 'unreachable';

export interface KeyHealth {
  state: KeyHealthState;
  checkedAt: string;
  message: string;
  deletionDate?: string;
}

export interface KeyManagementOverview {
  companyId: string;
  companyName: string;
  provider: ProviderDescription;
  status: 'active' | 'switching';
  switch: SwitchState | null;
  keyHealth: KeyHealth | null;
  /** `reverify`: the export was taken, and verifying every tenant again offers another. */
  export: { available: boolean; reason?: string; reverify?: boolean };
  canManage: boolean;
}

export interface AwsKmsSetup {
  platformPrincipalArn: string;
  externalId: string;
  setupCommand: string;
  script: { fileName: string; sha256: string; downloadUrl: string };
}

export type StepStatus = 'passed' | 'failed' | 'not run';

export interface TestStep {
  name: string;
  status: StepStatus;
  message: string;
}

export interface TestResult {
  ok: boolean;
  steps: TestStep[];
  error?: CatalogueError;
  switch?: SwitchState;
}

export type TenantKind = 'microsoft365' | 'google_workspace';

export interface Tenant {
  kind: TenantKind;
  tenantId: string;
  primaryDomain: string;
  backupSets: string[];
  status: 'unverified' | 'verified' | 'refused';
  reason: string | null;
  verifiedBy: string | null;
  updatedAt: string | null;
}

export interface AuditEvent {
  sequence: number;
  time: string;
  actor: string;
  action: string;
  outcome: 'success' | 'failure';
  summary: string;
  details?: Record<string, unknown>;
}
