import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { insertBackupSet } from '../../src/backup-sets/backup-sets-dal.js';
import { insertCompany, insertPartner } from '../../src/companies/companies-dal.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import type { RegisteredRoute } from '../../src/http/access-control.js';
import type { Services } from '../../src/services.js';
import { addUser } from '../../src/users/users-service.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export const testPassword = 'correct horse battery staple';

/**
 * Two partners: partner A with companies A1 and A2, partner B with company B1. A user per role:
 * a Partner Admin of A, and a Company Admin and Company Viewer of A1. Each company has one backup set.
 */
export interface Fixture {
  database: TestDatabase;
  app: FastifyInstance;
  routes: RegisteredRoute[];
  config: Config;
  partners: { a: string; b: string };
  companies: { a1: string; a2: string; b1: string };
  backupSets: Record<string, string>;
  /** One stored backup object per company, by company id. */
  backupObjects: Record<string, string>;
  services: Services;
  users: { partnerAdmin: string; companyAdmin: string; companyViewer: string; otherPartnerAdmin: string };
  close(): Promise<void>;
}

export async function createFixture(configOverrides: Partial<Config> = {}): Promise<Fixture> {
  const database = await createTestDatabase();
  const { db } = database;

  const a = await insertPartner(db, 'Partner A');
  const b = await insertPartner(db, 'Partner B');
  const companies = {
    a1: await insertCompany(db, a, 'Company A1'),
    a2: await insertCompany(db, a, 'Company A2'),
    b1: await insertCompany(db, b, 'Company B1'),
  };
  const backupSets: Record<string, string> = {};
  for (const [label, companyId] of Object.entries(companies)) {
    backupSets[companyId] = await insertBackupSet(db, {
      companyId,
      kind: 'microsoft365',
      tenantId: crypto.randomUUID(),
      primaryDomain: `${label}.example`,
      name: `Backups of ${label}`,
    });
  }

  const users = {
    partnerAdmin: 'partner.admin@a.example',
    companyAdmin: 'admin@a1.example',
    companyViewer: 'viewer@a1.example',
    otherPartnerAdmin: 'partner.admin@b.example',
  };
  await addUser(db, {
    email: users.partnerAdmin,
    displayName: '',
    password: testPassword,
    role: 'partner_admin',
    partnerId: a,
  });
  await addUser(db, {
    email: users.companyAdmin,
    displayName: '',
    password: testPassword,
    role: 'company_admin',
    companyId: companies.a1,
  });
  await addUser(db, {
    email: users.companyViewer,
    displayName: '',
    password: testPassword,
    role: 'company_viewer',
    companyId: companies.a1,
  });
  await addUser(db, {
    email: users.otherPartnerAdmin,
    displayName: '',
    password: testPassword,
    role: 'partner_admin',
    partnerId: b,
  });

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redapp-test-'));
  const config = { ...loadConfig({ REDAPP_DATA_DIR: dataDir }), ...configOverrides };
  const { server, routes, services } = await buildApp({ config, db, logger: false });
  const backupObjects: Record<string, string> = {};
  for (const companyId of Object.values(companies)) {
    const object = await services.backupObjects.upload(
      companyId,
      backupSets[companyId]!,
      (async function* () {
        yield Buffer.from(`data of ${companyId}`);
      })(),
      'fixture',
    );
    backupObjects[companyId] = object.id;
  }

  return {
    database,
    app: server,
    routes,
    config,
    partners: { a, b },
    companies,
    backupSets,
    backupObjects,
    services,
    users,
    close: async () => {
      await server.close();
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SignedIn {
  cookie: string;
  csrfToken: string;
}

/** Signs in through the API and returns the session cookie and CSRF token. */
export async function signIn(
  app: FastifyInstance,
  email: string,
  password = testPassword,
): Promise<SignedIn> {
  const response = await app.inject({ method: 'POST', url: '/api/session', payload: { email, password } });
  if (response.statusCode !== 200) throw new Error(`sign-in of ${email} failed: ${response.body}`);
  const cookie = response.cookies.find((c) => c.name === 'redapp_session');
  return { cookie: `redapp_session=${cookie!.value}`, csrfToken: response.json().csrfToken };
}

/** Headers for a signed-in request, with the CSRF token. */
export function authHeaders(session: SignedIn): Record<string, string> {
  return { cookie: session.cookie, 'x-csrf-token': session.csrfToken };
}

export function errorCode(response: LightMyRequestResponse): string | undefined {
  try {
    return response.json().error?.code;
  } catch {
    return undefined;
  }
}
