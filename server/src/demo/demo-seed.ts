import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { hashPassword } from '../auth/passwords.js';
import { insertBackupSet } from '../backup-sets/backup-sets-dal.js';
import { insertCompany, insertPartner } from '../companies/companies-dal.js';
import type { BackupSetKind, Database, Role } from '../db/schema.js';
import type { ProviderRegistry } from '../providers/provider-registry.js';
import { insertUser } from '../users/users-dal.js';
import { seedAzureDemo } from './demo-azure-seed.js';

/**
 * Fixed ids, so the docs, the demo script and the identity sandbox can name the demo tenants. The demo
 * company on Azure Key Vault has its ids in `azureDemo` (demo-azure-seed.ts).
 */
export const demoIds = {
  partner: '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000001',
  contoso: '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000101',
  fabrikam: '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000102',
  otherPartner: '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000002',
  tailspin: '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000201',
} as const;

/** Microsoft 365 tenant ids and the Google Workspace customer id of the demo backup sets. */
export const demoTenants = {
  contosoMain: {
    kind: 'microsoft365',
    tenantId: '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a01',
    domain: 'contoso.example',
  },
  contosoResearch: {
    kind: 'microsoft365',
    tenantId: '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a02',
    domain: 'research.contoso.example',
  },
  contosoGoogle: { kind: 'google_workspace', tenantId: 'C03az79cb', domain: 'contoso-mail.example' },
  fabrikam: {
    kind: 'microsoft365',
    tenantId: '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a03',
    domain: 'fabrikam.example',
  },
  tailspin: {
    kind: 'microsoft365',
    tenantId: '6a1d4f3e-8b2c-4e7a-9f10-3c5b7d9e1a04',
    domain: 'tailspin.example',
  },
} as const satisfies Record<string, { kind: BackupSetKind; tenantId: string; domain: string }>;

export interface DemoUser {
  email: string;
  role: Role;
  company: string | null;
  password: string;
}

export interface DemoCredentials {
  users: DemoUser[];
}

const demoUsers: Omit<DemoUser, 'password'>[] = [
  { email: 'partner.admin@northwind-msp.example', role: 'partner_admin', company: null },
  { email: 'admin@contoso.example', role: 'company_admin', company: 'Contoso Ltd' },
  { email: 'viewer@contoso.example', role: 'company_viewer', company: 'Contoso Ltd' },
  { email: 'admin@fabrikam.example', role: 'company_admin', company: 'Fabrikam Inc' },
];

export function demoCredentialsPath(dataDir: string): string {
  return path.join(dataDir, 'demo-credentials.json');
}

/** Writes the credentials file through a temporary file and a rename, mode 0600. */
function writeCredentials(dataDir: string, credentials: DemoCredentials): void {
  const credentialsPath = demoCredentialsPath(dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const temporary = `${credentialsPath}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, credentialsPath);
}

export interface DemoSeedDeps {
  companyKeys: { ensureCompanyKey(companyId: string): Promise<number> };
  providers: ProviderRegistry;
  /** The sandbox's sandbox.json; without it the demo company on Azure Key Vault is left out. */
  sandboxFile: string | undefined;
}

/**
 * Seeds the demo partner, companies, users and backup sets unless they exist, and the demo company on
 * Azure Key Vault when the server runs against the sandbox. The users' passwords are random per
 * installation and written to DATA_DIR/demo-credentials.json (mode 0600), so a demo left running never
 * has a guessable password. Returns the credentials either way, and why the Azure company was left
 * out when it was.
 */
export async function seedDemo(
  db: Kysely<Database>,
  dataDir: string,
  deps: DemoSeedDeps,
): Promise<{ created: boolean; credentials: DemoCredentials; azureSkipped?: string }> {
  const base = await seedBaseDemo(db, dataDir, deps.companyKeys);
  const azure = await seedAzureDemo(db, demoIds.partner, deps.sandboxFile, base.credentials, {
    ...deps,
    writeCredentials: (credentials) => writeCredentials(dataDir, credentials),
  });
  return {
    created: base.created || azure.created,
    credentials: azure.credentials,
    ...('skipped' in azure ? { azureSkipped: azure.skipped } : {}),
  };
}

/** Seeds everything but the demo company on Azure Key Vault, unless it exists. */
async function seedBaseDemo(
  db: Kysely<Database>,
  dataDir: string,
  companyKeys: { ensureCompanyKey(companyId: string): Promise<number> },
): Promise<{ created: boolean; credentials: DemoCredentials }> {
  const credentialsPath = demoCredentialsPath(dataDir);
  const existing = await db
    .selectFrom('partners')
    .select('id')
    .where('id', '=', demoIds.partner)
    .executeTakeFirst();
  if (existing) {
    if (!fs.existsSync(credentialsPath)) {
      throw new Error(
        `The demo data exists but ${credentialsPath} is missing; add a user with "redapp user add".`,
      );
    }
    return {
      created: false,
      credentials: JSON.parse(fs.readFileSync(credentialsPath, 'utf8')) as DemoCredentials,
    };
  }

  const users: DemoUser[] = demoUsers.map((user) => ({
    ...user,
    password: randomBytes(12).toString('base64url'),
  }));
  const hashes = await Promise.all(users.map((user) => hashPassword(user.password)));

  // The credentials are written before the data, so committed demo users always have their passwords on disk.
  const credentials: DemoCredentials = { users };
  writeCredentials(dataDir, credentials);

  await db.transaction().execute(async (trx) => {
    await insertPartner(trx, 'Northwind MSP', demoIds.partner);
    await insertCompany(trx, demoIds.partner, 'Contoso Ltd', demoIds.contoso);
    await insertCompany(trx, demoIds.partner, 'Fabrikam Inc', demoIds.fabrikam);
    await insertPartner(trx, 'Tailspin Partners', demoIds.otherPartner);
    await insertCompany(trx, demoIds.otherPartner, 'Tailspin Toys', demoIds.tailspin);

    const companyIds: Record<string, string> = {
      'Contoso Ltd': demoIds.contoso,
      'Fabrikam Inc': demoIds.fabrikam,
    };
    for (const [index, user] of users.entries()) {
      await insertUser(trx, {
        email: user.email,
        displayName: user.email.split('@')[0]!,
        passwordHash: hashes[index]!,
        role: user.role,
        partnerId: demoIds.partner,
        companyId: user.company ? companyIds[user.company]! : null,
      });
    }

    const sets = [
      { company: demoIds.contoso, name: 'Contoso mailboxes and OneDrive', tenant: demoTenants.contosoMain },
      { company: demoIds.contoso, name: 'Contoso SharePoint', tenant: demoTenants.contosoMain },
      { company: demoIds.contoso, name: 'Contoso Research', tenant: demoTenants.contosoResearch },
      { company: demoIds.contoso, name: 'Contoso Google Workspace', tenant: demoTenants.contosoGoogle },
      { company: demoIds.fabrikam, name: 'Fabrikam Microsoft 365', tenant: demoTenants.fabrikam },
      { company: demoIds.tailspin, name: 'Tailspin Microsoft 365', tenant: demoTenants.tailspin },
    ];
    for (const set of sets) {
      await insertBackupSet(trx, {
        companyId: set.company,
        kind: set.tenant.kind,
        tenantId: set.tenant.tenantId,
        primaryDomain: set.tenant.domain,
        name: set.name,
      });
    }
  });

  // Company keys are created with the companies, wrapped by their provider (CyberSentriq-managed).
  for (const companyId of [demoIds.contoso, demoIds.fabrikam, demoIds.tailspin]) {
    await companyKeys.ensureCompanyKey(companyId);
  }
  return { created: true, credentials };
}
