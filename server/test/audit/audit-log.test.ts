import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAuditEvent, listAuditEvents, verifyAuditChains } from '../../src/audit/audit-log.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

let database: TestDatabase;
const companyId = crypto.randomUUID();
const actor = { userId: null, label: 'tester@example.com' };

beforeEach(async () => {
  database = await createTestDatabase();
});
afterEach(async () => {
  await database.close();
});

function append(action: string, details: Record<string, unknown> = {}) {
  return appendAuditEvent(database.db, {
    companyId,
    actor,
    action,
    outcome: 'success',
    summary: action,
    details,
  });
}

describe('audit log', () => {
  it('chains events in sequence and verifies them', async () => {
    await append('a', { z: 1, a: { y: 2, b: 3 } });
    await append('b');
    await append('c');
    const events = await listAuditEvents(database.db, companyId, { limit: 10 });
    expect(events.map((event) => event.sequence)).toEqual([3, 2, 1]);
    expect(await verifyAuditChains(database.db)).toEqual({ checked: 3, problems: [] });
  });

  it('keeps one chain under concurrent appends', async () => {
    await Promise.all(Array.from({ length: 12 }, (_, i) => append(`event ${i}`)));
    const events = await listAuditEvents(database.db, companyId, { limit: 50 });
    expect(events.map((event) => event.sequence).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    expect((await verifyAuditChains(database.db)).problems).toEqual([]);
  });

  it('refuses updates and deletes', async () => {
    await append('a');
    await expect(sql`update audit_events set summary = 'changed'`.execute(database.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from audit_events`.execute(database.db)).rejects.toThrow(/append-only/);
  });

  it('detects an edited event', async () => {
    await append('a');
    await append('b', { code: 'ROLE_ACCESS_DENIED' });
    await append('c');
    // Only someone able to disable the trigger (a database owner) can edit; the chain still shows it.
    await sql`alter table audit_events disable trigger audit_events_append_only`.execute(database.db);
    await sql`update audit_events set details = '{"code":"OK"}' where sequence = 2`.execute(database.db);
    expect((await verifyAuditChains(database.db)).problems).toEqual([
      { companyId, sequence: 2, problem: 'hash does not match the event' },
    ]);
  });

  it('detects a deleted event', async () => {
    await append('a');
    await append('b');
    await append('c');
    await sql`alter table audit_events disable trigger audit_events_append_only`.execute(database.db);
    await sql`delete from audit_events where sequence = 2`.execute(database.db);
    expect((await verifyAuditChains(database.db)).problems).toEqual([
      { companyId, sequence: 3, problem: 'expected sequence 2, found 3' },
    ]);
  });
});
