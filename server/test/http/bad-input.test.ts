import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authHeaders,
  createFixture,
  errorCode,
  type Fixture,
  type SignedIn,
  signIn,
} from '../support/fixtures.js';

let fixture: Fixture;
let admin: SignedIn;
let viewer: SignedIn;
let partnerAdmin: SignedIn;

beforeAll(async () => {
  fixture = await createFixture();
  admin = await signIn(fixture.app, fixture.users.companyAdmin);
  viewer = await signIn(fixture.app, fixture.users.companyViewer);
  partnerAdmin = await signIn(fixture.app, fixture.users.partnerAdmin);
});
afterAll(async () => {
  await fixture?.close();
});

function backupSetsUrl(companyId = fixture.companies.a1): string {
  return `/api/companies/${companyId}/backup-sets`;
}

const validBody = () => ({
  kind: 'microsoft365',
  tenantId: crypto.randomUUID(),
  primaryDomain: 'tenant.example',
  name: `Set ${crypto.randomUUID()}`,
});

describe('backup sets API', () => {
  it('creates a backup set and lists it', async () => {
    const body = validBody();
    const created = await fixture.app.inject({
      method: 'POST',
      url: backupSetsUrl(),
      headers: authHeaders(admin),
      payload: body,
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      kind: 'microsoft365',
      tenantId: body.tenantId,
      companyId: fixture.companies.a1,
    });

    const list = await fixture.app.inject({
      method: 'GET',
      url: backupSetsUrl(),
      headers: authHeaders(viewer),
    });
    expect(list.json().backupSets.map((set: { id: string }) => set.id)).toContain(created.json().id);
  });

  it('rejects a duplicate name with CONFLICT', async () => {
    const body = validBody();
    await fixture.app.inject({
      method: 'POST',
      url: backupSetsUrl(),
      headers: authHeaders(admin),
      payload: body,
    });
    const again = await fixture.app.inject({
      method: 'POST',
      url: backupSetsUrl(),
      headers: authHeaders(admin),
      payload: { ...body, tenantId: crypto.randomUUID() },
    });
    expect(again.statusCode).toBe(409);
    expect(errorCode(again)).toBe('CONFLICT');
  });

  it('names the field of a malformed tenant id', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: backupSetsUrl(),
      headers: authHeaders(admin),
      payload: { ...validBody(), tenantId: 'not-a-guid' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain('tenantId "not-a-guid"');
  });

  it('rejects an unknown field by name', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: backupSetsUrl(),
      headers: authHeaders(admin),
      payload: { ...validBody(), owner: 'someone' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain('"owner"');
  });

  it('names a missing field', async () => {
    const { name: _name, ...body } = validBody();
    const response = await fixture.app.inject({
      method: 'POST',
      url: backupSetsUrl(),
      headers: authHeaders(admin),
      payload: body,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toBe('body.name is missing.');
  });

  it('rejects a body over the size limit', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: backupSetsUrl(),
      headers: authHeaders(admin),
      payload: { ...validBody(), name: 'x'.repeat(100 * 1024) },
    });
    expect(response.statusCode).toBe(413);
    expect(errorCode(response)).toBe('PAYLOAD_TOO_LARGE');
  });

  it('rejects a wrong content type', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: backupSetsUrl(),
      headers: { ...authHeaders(admin), 'content-type': 'text/plain' },
      payload: 'kind=microsoft365',
    });
    expect(response.statusCode).toBe(415);
    expect(errorCode(response)).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('rejects malformed JSON', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: backupSetsUrl(),
      headers: { ...authHeaders(admin), 'content-type': 'application/json' },
      payload: '{"kind":',
    });
    expect(response.statusCode).toBe(400);
    expect(errorCode(response)).toBe('INVALID_INPUT');
  });

  it('rejects a malformed company id', async () => {
    const response = await fixture.app.inject({
      method: 'GET',
      url: backupSetsUrl('123'),
      headers: authHeaders(admin),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain('companyId "123"');
  });

  it('rejects a malformed backup set id', async () => {
    const response = await fixture.app.inject({
      method: 'GET',
      url: `${backupSetsUrl()}/abc`,
      headers: authHeaders(admin),
    });
    expect(response.statusCode).toBe(400);
    expect(errorCode(response)).toBe('INVALID_INPUT');
  });

  it("does not reveal another company's backup set through an own company path", async () => {
    const foreign = fixture.backupSets[fixture.companies.b1];
    const response = await fixture.app.inject({
      method: 'GET',
      url: `${backupSetsUrl()}/${foreign}`,
      headers: authHeaders(admin),
    });
    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain('Backups of b1');
  });

  it('answers a Company Admin naming another company with NOT_FOUND', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: backupSetsUrl(fixture.companies.a2),
      headers: authHeaders(admin),
      payload: validBody(),
    });
    expect(response.statusCode).toBe(404);
    expect(errorCode(response)).toBe('NOT_FOUND');
  });

  it('forbids a Company Viewer to create a backup set', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: backupSetsUrl(),
      headers: authHeaders(viewer),
      payload: validBody(),
    });
    expect(response.statusCode).toBe(403);
    expect(errorCode(response)).toBe('FORBIDDEN');
  });

  it('answers an unknown route with ROUTE_NOT_FOUND', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/api/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(errorCode(response)).toBe('ROUTE_NOT_FOUND');
  });
});

describe('companies API', () => {
  it('lists every company of the partner to a Partner Admin', async () => {
    const response = await fixture.app.inject({
      method: 'GET',
      url: '/api/companies',
      headers: authHeaders(partnerAdmin),
    });
    const ids = response
      .json()
      .companies.map((company: { id: string }) => company.id)
      .sort();
    expect(ids).toEqual([fixture.companies.a1, fixture.companies.a2].sort());
  });

  it('lists only their own company to a Company Viewer', async () => {
    const response = await fixture.app.inject({
      method: 'GET',
      url: '/api/companies',
      headers: authHeaders(viewer),
    });
    expect(response.json().companies.map((company: { id: string }) => company.id)).toEqual([
      fixture.companies.a1,
    ]);
  });
});

describe('service endpoints', () => {
  it('answers health and readiness', async () => {
    expect((await fixture.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await fixture.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ok' });
  });

  it('serves the OpenAPI document', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json().paths)).toContain('/api/companies/{companyId}/backup-sets');
  });
});
