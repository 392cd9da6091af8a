import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';

/** The chain of events that belong to no company, such as a platform master key rotation. */
export const platformChainId = '00000000-0000-0000-0000-000000000000';
const genesisHash = '0'.repeat(64);

export interface AuditActor {
  userId: string | null;
  /** Email address of the user, or a system name such as `system:switch-finisher`. */
  label: string;
}

export const systemActor = (name: string): AuditActor => ({ userId: null, label: `system:${name}` });

export interface AuditEventInput {
  companyId: string | null;
  actor: AuditActor;
  /** Dotted action name, e.g. `connection.tested`, `switch.finished`. */
  action: string;
  outcome: 'success' | 'failure';
  /** One line for people, e.g. "Test connection failed: ROLE_ACCESS_DENIED". */
  summary: string;
  /** Non-secret facts: ids, codes, ARNs. Never keys, tokens, passwords or External IDs. */
  details?: Record<string, unknown>;
}

export interface AuditEvent {
  companyId: string;
  sequence: number;
  time: string;
  actor: string;
  action: string;
  outcome: 'success' | 'failure';
  summary: string;
  details: Record<string, unknown>;
}

/** JSON with object keys sorted at every level, so a hash does not depend on key order (jsonb reorders). */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function eventHash(previousHash: string, event: AuditEvent, actorUserId: string | null): string {
  const body = canonicalJson({ ...event, actorUserId });
  return createHash('sha256').update(previousHash).update('\n').update(body).digest('hex');
}

/**
 * Appends an event to its company's hash chain: each event's hash covers the previous event's hash
 * and its own fields, so removing, reordering or editing an event breaks the chain. Appends to one
 * chain are serialised by a transaction-scoped advisory lock on the company id, held only for the
 * read of the tail and the insert; inside a caller's transaction the lock lasts until its commit.
 */
export async function appendAuditEvent(db: Kysely<Database>, input: AuditEventInput): Promise<AuditEvent> {
  if (db.isTransaction) return appendLocked(db, input);
  return db.transaction().execute((trx) => appendLocked(trx, input));
}

async function appendLocked(db: Kysely<Database>, input: AuditEventInput): Promise<AuditEvent> {
  const companyId = input.companyId ?? platformChainId;
  await sql`select pg_advisory_xact_lock(hashtextextended(${`audit:${companyId}`}, 0))`.execute(db);

  const tail = await db
    .selectFrom('audit_events')
    .select(['sequence', 'hash'])
    .where('company_id', '=', companyId)
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirst();

  const event: AuditEvent = {
    companyId,
    sequence: (tail?.sequence ?? 0) + 1,
    time: new Date().toISOString(),
    actor: input.actor.label,
    action: input.action,
    outcome: input.outcome,
    summary: input.summary,
    details: JSON.parse(JSON.stringify(input.details ?? {})),
  };
  const previousHash = tail?.hash ?? genesisHash;
  await db
    .insertInto('audit_events')
    .values({
      company_id: companyId,
      sequence: event.sequence,
      time: new Date(event.time),
      actor_user_id: input.actor.userId,
      actor: event.actor,
      action: event.action,
      outcome: event.outcome,
      summary: event.summary,
      details: JSON.stringify(event.details),
      previous_hash: previousHash,
      hash: eventHash(previousHash, event, input.actor.userId),
    })
    .execute();
  return event;
}

export async function listAuditEvents(
  db: Kysely<Database>,
  companyId: string,
  options: { limit: number; before?: number | undefined },
): Promise<AuditEvent[]> {
  let query = db
    .selectFrom('audit_events')
    .select(['company_id', 'sequence', 'time', 'actor', 'action', 'outcome', 'summary', 'details'])
    .where('company_id', '=', companyId);
  if (options.before !== undefined) query = query.where('sequence', '<', options.before);
  const rows = await query.orderBy('sequence', 'desc').limit(options.limit).execute();
  return rows.map((row) => ({
    companyId: row.company_id,
    sequence: row.sequence,
    time: new Date(row.time).toISOString(),
    actor: row.actor,
    action: row.action,
    outcome: row.outcome,
    summary: row.summary,
    details: row.details,
  }));
}

export interface ChainProblem {
  companyId: string;
  sequence: number;
  problem: string;
}

/** Recomputes every chain; returns the first problem of each broken chain and the number of events checked. */
export async function verifyAuditChains(
  db: Kysely<Database>,
): Promise<{ checked: number; problems: ChainProblem[] }> {
  const rows = await db
    .selectFrom('audit_events')
    .selectAll()
    .orderBy('company_id')
    .orderBy('sequence')
    .execute();
  const problems: ChainProblem[] = [];
  let checked = 0;
  let chain: string | undefined;
  let expectedSequence = 1;
  let previousHash = genesisHash;
  let broken = false;

  for (const row of rows) {
    if (row.company_id !== chain) {
      chain = row.company_id;
      expectedSequence = 1;
      previousHash = genesisHash;
      broken = false;
    }
    checked += 1;
    if (broken) continue;

    const event: AuditEvent = {
      companyId: row.company_id,
      sequence: row.sequence,
      time: new Date(row.time).toISOString(),
      actor: row.actor,
      action: row.action,
      outcome: row.outcome,
      summary: row.summary,
      details: row.details,
    };
    let problem: string | undefined;
    if (row.sequence !== expectedSequence)
      problem = `expected sequence ${expectedSequence}, found ${row.sequence}`;
    else if (row.previous_hash !== previousHash) problem = 'previous_hash does not match the event before it';
    else if (row.hash !== eventHash(previousHash, event, row.actor_user_id))
      problem = 'hash does not match the event';

    if (problem) {
      problems.push({ companyId: row.company_id, sequence: row.sequence, problem });
      broken = true;
      continue;
    }
    expectedSequence += 1;
    previousHash = row.hash;
  }
  return { checked, problems };
}
