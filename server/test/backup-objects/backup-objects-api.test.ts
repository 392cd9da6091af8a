import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
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
let companyId: string;
let backupSetId: string;

beforeAll(async () => {
  fixture = await createFixture();
  admin = await signIn(fixture.app, fixture.users.companyAdmin);
  companyId = fixture.companies.a1;
  backupSetId = fixture.backupSets[companyId]!;
});
afterAll(async () => {
  await fixture?.close();
});

function objectsUrl(): string {
  return `/api/companies/${companyId}/backup-sets/${backupSetId}/objects`;
}

async function upload(data: Buffer, name = 'test') {
  return fixture.app.inject({
    method: 'POST',
    url: `${objectsUrl()}?name=${name}`,
    headers: { ...authHeaders(admin), 'content-type': 'application/octet-stream' },
    payload: data,
  });
}

async function download(objectId: string) {
  return fixture.app.inject({
    method: 'GET',
    url: `${objectsUrl()}/${objectId}/content`,
    headers: authHeaders(admin),
  });
}

function storedPath(objectId: string): string {
  return path.join(fixture.config.dataDir, 'objects', backupSetId, `${objectId}.rdbo`);
}

describe('backup objects API', () => {
  it('round-trips a multi-frame object byte for byte', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const created = await upload(data, 'mailbox.pst');
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      name: 'mailbox.pst',
      sizeBytes: data.length,
      companyId,
      backupSetId,
    });

    const response = await download(created.json().id);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(response.rawPayload.equals(data)).toBe(true);
  });

  it('stores ciphertext, not the plaintext', async () => {
    const data = Buffer.from('a recognisable plaintext marker '.repeat(100));
    const created = await upload(data);
    const stored = fs.readFileSync(storedPath(created.json().id));
    expect(stored.includes(Buffer.from('recognisable plaintext marker'))).toBe(false);
    expect(stored.length).toBeGreaterThan(data.length);
  });

  it('round-trips an empty object', async () => {
    const created = await upload(Buffer.alloc(0));
    expect(created.statusCode).toBe(201);
    const response = await download(created.json().id);
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.length).toBe(0);
  });

  it('lists uploaded objects', async () => {
    const created = await upload(Buffer.from('listed'), 'listed.bin');
    const list = await fixture.app.inject({ method: 'GET', url: objectsUrl(), headers: authHeaders(admin) });
    expect(list.json().objects.map((object: { id: string }) => object.id)).toContain(created.json().id);
  });

  it('reports a damaged object by id before sending data', async () => {
    const created = await upload(randomBytes(200_000));
    const objectId = created.json().id;
    const file = storedPath(objectId);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 5]! ^= 0x01;
    fs.writeFileSync(file, bytes);

    const response = await download(objectId);
    expect(response.statusCode).toBe(422);
    expect(errorCode(response)).toBe('BACKUP_OBJECT_DAMAGED');
    expect(response.json().error.message).toContain(objectId);
  });

  it('rejects a JSON body with UNSUPPORTED_MEDIA_TYPE', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: objectsUrl(),
      headers: authHeaders(admin),
      payload: { data: 'x' },
    });
    expect(response.statusCode).toBe(415);
  });

  it('rejects a name with control characters', async () => {
    const response = await upload(Buffer.from('x'), 'bad%0Aname');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain('name');
  });

  it('answers an unknown object with NOT_FOUND', async () => {
    const response = await download(crypto.randomUUID());
    expect(response.statusCode).toBe(404);
    expect(errorCode(response)).toBe('NOT_FOUND');
  });
});

describe('company key rotation', () => {
  it('adds a version that the next upload uses, and older objects still download', async () => {
    const before = await upload(Buffer.from('written under version 1'));
    expect(before.json().backupKeyVersion).toBe(1);

    const rotated = await fixture.app.inject({
      method: 'POST',
      url: `/api/companies/${companyId}/keys/rotate`,
      headers: authHeaders(admin),
    });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json()).toEqual({ version: 2, deletedVersions: [] });

    const after = await upload(Buffer.from('written under version 2'));
    expect(after.json().backupKeyVersion).toBe(2);
    expect((await download(before.json().id)).payload).toBe('written under version 1');
    expect((await download(after.json().id)).payload).toBe('written under version 2');
  });

  it('lists versions with their provider key and no key material', async () => {
    const response = await fixture.app.inject({
      method: 'GET',
      url: `/api/companies/${companyId}/keys`,
      headers: authHeaders(admin),
    });
    const versions = response.json().versions;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect(versions[0]).toEqual({
      version: 1,
      providerType: 'cybersentriq',
      providerKeyId: expect.stringMatching(/^platform-master-key\/\d+$/),
      mechanism: 'AES-256-GCM',
      createdAt: expect.any(String),
    });
    expect(JSON.stringify(versions)).not.toMatch(/ciphertext|wrapped/);
  });

  it('deletes a version once no backup key needs it', async () => {
    const other = fixture.companies.a2;
    const partnerAdmin = await signIn(fixture.app, fixture.users.partnerAdmin);
    const rotate = () =>
      fixture.app.inject({
        method: 'POST',
        url: `/api/companies/${other}/keys/rotate`,
        headers: authHeaders(partnerAdmin),
      });
    // Company A2's version 1 wraps the fixture's backup key, so it stays; version 2 wraps nothing.
    expect((await rotate()).json()).toEqual({ version: 2, deletedVersions: [] });
    expect((await rotate()).json()).toEqual({ version: 3, deletedVersions: [2] });
  });
});
