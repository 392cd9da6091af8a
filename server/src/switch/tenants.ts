import type { Kysely } from 'kysely';
import type { BackupSetKind, Database } from '../db/schema.js';

/** A tenant found in a company's backup sets: a Microsoft 365 tenant or a Google Workspace account. */
export interface Tenant {
  kind: BackupSetKind;
  tenantId: string;
  primaryDomain: string;
  backupSets: string[];
}

export interface TenantStatus extends Tenant {
  status: 'unverified' | 'verified' | 'refused';
  reason: string | null;
  verifiedBy: string | null;
  updatedAt: Date | null;
}

export function tenantKey(kind: string, tenantId: string): string {
  return `${kind}:${tenantId}`;
}

/** The live tenant list: every distinct tenant id in the company's backup sets, read now. */
export async function listTenants(db: Kysely<Database>, companyId: string): Promise<Tenant[]> {
  const rows = await db
    .selectFrom('backup_sets')
    .select(['kind', 'tenant_id', 'primary_domain', 'name'])
    .where('company_id', '=', companyId)
    .orderBy('kind')
    .orderBy('tenant_id')
    .orderBy('name')
    .execute();

  const tenants = new Map<string, Tenant>();
  for (const row of rows) {
    const key = tenantKey(row.kind, row.tenant_id);
    const tenant = tenants.get(key) ?? {
      kind: row.kind,
      tenantId: row.tenant_id,
      primaryDomain: row.primary_domain,
      backupSets: [],
    };
    tenant.backupSets.push(row.name);
    tenants.set(key, tenant);
  }
  return [...tenants.values()];
}

/**
 * Each tenant with its newest verification result among those that count: for a switch, the
 * verifications made for that switch; for an export, those made for exports after `since`.
 */
export async function listTenantStatuses(
  db: Kysely<Database>,
  companyId: string,
  scope: { switchId: string } | { purpose: 'export'; since: Date | null },
): Promise<TenantStatus[]> {
  const tenants = await listTenants(db, companyId);
  let query = db
    .selectFrom('tenant_verifications')
    .select(['kind', 'tenant_id', 'outcome', 'reason', 'identity', 'created_at'])
    .where('company_id', '=', companyId)
    .orderBy('created_at', 'asc');
  if ('switchId' in scope) {
    query = query.where('switch_id', '=', scope.switchId);
  } else {
    query = query.where('purpose', '=', 'export');
    if (scope.since) query = query.where('created_at', '>', scope.since);
  }

  const latest = new Map<
    string,
    { outcome: string; reason: string | null; identity: string | null; created_at: Date }
  >();
  for (const row of await query.execute()) latest.set(tenantKey(row.kind, row.tenant_id), row);

  return tenants.map((tenant) => {
    const result = latest.get(tenantKey(tenant.kind, tenant.tenantId));
    return {
      ...tenant,
      status: (result?.outcome as 'verified' | 'refused' | undefined) ?? 'unverified',
      reason: result?.reason ?? null,
      verifiedBy: result?.outcome === 'verified' ? result.identity : null,
      updatedAt: result ? new Date(result.created_at) : null,
    };
  });
}
