// The audit log: who changed what, when, from where, as before/after values of the safe fields that changed.
//
// HOW TO RECORD AN EVENT (for every service that changes something):
//   The event is written INSIDE the transaction that makes the change, so a change that fails leaves no event and an
//   event never describes a change that did not happen. `recordAuditEvent(tx, event)` (also `AuditLog#record`) takes
//   either transaction kind:
//   - MikroORM: an EntityManager inside `em.transactional(async (tx) => …)` (it throws outside a transaction):
//       await em.transactional(async (tx) => {
//         const authClient = await tx.findOneOrFail(AuthClient, id);
//         const before = { name: authClient.name, grants: authClient.grants };
//         Object.assign(authClient, { name, grants });
//         await recordAuditEvent(tx, { ...source, action: 'auth_client.updated', target: { type: 'auth_client', id },
//           changes: diffChanges(before, { name, grants }) });   // only the fields that changed are kept
//       });
//   - Plain SQL (db/sql.ts): the `SqlTransaction` of `sql.transaction(async (tx) => …)`:
//       await sql.transaction(async (tx) => {
//         const row = await tx.one('update auth_clients set … where id = $1 returning …', [id]);
//         if (row) await recordAuditEvent(tx, { ...source, action: 'auth_client.disabled', target: { type: 'auth_client', id },
//           changes: { enabled: { before: true, after: false } } });
//       });
//   - One plain-SQL statement (one round trip, no BEGIN/COMMIT): add the event to
//     the statement itself with `auditInsertSelect(event, 'changed', firstParameter)`, as AuthClientService.create does:
//       with changed as (update auth_clients set … where id = $1 returning id), audited as (${audit.text}) select …
//   `source` is an `AuditSource`: `auditSourceOf(context)` in a resolver (graphql/context.ts: the viewer, the IP and
//   user agent), `CLI_SOURCE` in the CLI. Services take it as their last, optional parameter; without one the change
//   counts as the operator's (actor `cli`), as for direct calls from tests.
//   `changes` holds only safe fields: `recordAuditEvent` refuses a field named like a secret, hash, token or password,
//   and a value that looks like one of our secrets or tokens. Build it with `diffChanges(before, after)`.
// The table is append-only (a trigger refuses UPDATE, DELETE and TRUNCATE); only `prune` deletes, through the one path
// the trigger allows, and it records that it did.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Sql, SqlTransaction } from '../db/sql.js';
import { isUuid } from '../shared/db-errors.js';
import { ValidationFailed } from '../shared/errors.js';
import {
  checkPageSize, decodeCursor, encodeCursor, type Page,
} from '../shared/paging.js';

/** Every action the log knows, including those of the client lifecycle. */
export const AUDIT_ACTIONS = [
  'auth_client.created',
  'auth_client.updated',
  'auth_client.disabled',
  'auth_client.enabled',
  'auth_client.deleted',
  'auth_client.secret_rotated',
  'auth_client.secret_revoked',
  'auth_client.tokens_revoked',
  'personal_access_token.created',
  'personal_access_token.revoked',
  'permission.granted',
  'permission.revoked',
  'user.created',
  'user.updated',
  'user.password_changed',
  'user.permissions_set',
  'user.super_admin_set',
  'user.deleted',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.user_added',
  'group.user_removed',
  'group.permissions_set',
  'audit_log.pruned',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_TARGET_TYPES = ['auth_client', 'personal_access_token', 'user', 'group', 'audit_log'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

/** Who made a change: a signed-in user, an auth client acting as itself (client credentials), or an operator's CLI. */
export type AuditActor = { type: 'user'; id: string } | { type: 'client'; id: string } | { type: 'cli' };
export type AuditActorType = AuditActor['type'];

/** Where a GraphQL request came from; absent for the CLI. */
export interface AuditRequest {
  /** The client's address as Express computes it (TRUST_PROXY decides which X-Forwarded-For hops count). */
  ip: string | null;
  userAgent: string | null;
}

/** Who and from where: what a service needs from its caller to record an event. */
export interface AuditSource {
  actor: AuditActor;
  request?: AuditRequest | null;
}

export const CLI_SOURCE: AuditSource = Object.freeze({ actor: Object.freeze({ type: 'cli' }) });

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
/** `{ field: { before, after } }` of the fields that changed; a created thing has `before: null`. */
export type AuditChanges = Record<string, { before: Json; after: Json }>;

export interface AuditEventDraft extends AuditSource {
  action: AuditAction;
  target: { type: AuditTargetType; id: string | null };
  changes?: AuditChanges | null;
}

/** An event as stored. */
export interface AuditEventRecord {
  id: string;
  occurredAt: Date;
  actorType: AuditActorType;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  changes: AuditChanges | null;
}

// Field names that could carry a credential: anything with hash or password in it (secret_hash, tokenHash, password),
// and anything that ends in secret(s) or token(s) (clientSecret, secrets, accessToken, tokens). What only describes one
// is fine: secretId, secretPrefix, secretExpiresAt, tokenPrefix, revokedCount.
const UNSAFE_FIELD = /hash|password|passphrase|(secret|token)s?$|^value$/i;
// Our client secrets and personal access tokens, whole (a displayed prefix is 10 characters).
const SECRET_VALUE = /\bac[sp]_[A-Za-z0-9_-]{16,}/;

/**
 * `changes` as the JSON text to store, or null when there are none; throws unless it is safe to store: no field named
 * like a credential, no value that looks like one.
 */
export function safeChangesJson(changes: AuditChanges): string | null {
  const fields = Object.keys(changes);
  for (const field of fields) {
    if (UNSAFE_FIELD.test(field)) throw new Error(`The audit log never records the field "${field}"`);
  }
  const json = JSON.stringify(changes);
  if (SECRET_VALUE.test(json)) throw new Error('The audit log never records a secret or token');
  return fields.length > 0 ? json : null;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The fields of `after` whose value differs from `before`, as `{ field: { before, after } }`; Dates become ISO text.
 * Pass only the safe fields you mean to record. `before` null means created: every field of `after` is listed.
 */
export function diffChanges<T extends Record<string, unknown>>(before: Partial<T> | null, after: T): AuditChanges {
  const changes: AuditChanges = {};
  for (const [field, value] of Object.entries(after)) {
    const old = before === null ? null : before[field];
    if (before !== null && same(old, value)) continue;
    changes[field] = { before: toJson(old), after: toJson(value) };
  }
  return changes;
}

/** `value` as JSON would give it back; plain text, flags, numbers and lists of text (most of what changes) directly. */
function toJson(value: unknown): Json {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value + 0 : null; // -0 is 0, NaN and Infinity null
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return [...value] as string[];
  return JSON.parse(JSON.stringify(value)) as Json;
}

const INSERT_COLUMNS = 'actor_type, actor_id, action, target_type, target_id, ip, user_agent, changes';

function insertValues(event: AuditEventDraft): unknown[] {
  const changes = event.changes ? safeChangesJson(event.changes) : null;
  const { actor, request } = event;
  return [
    actor.type,
    actor.type === 'cli' ? null : actor.id,
    event.action,
    event.target.type,
    event.target.id,
    request?.ip ?? null,
    request?.userAgent ?? null,
    changes,
  ];
}

/**
 * Writes one event in the caller's open transaction: an EntityManager inside `em.transactional`, or the SqlTransaction
 * of `sql.transaction`. It commits or rolls back with the change it describes.
 */
export async function recordAuditEvent(tx: EntityManager | SqlTransaction, event: AuditEventDraft): Promise<void> {
  const values = insertValues(event);
  if ('persist' in tx) {
    // Outside a transaction the row would be written at once, whatever became of the change: refuse.
    if (!tx.isInTransaction()) throw new Error('recordAuditEvent needs the EntityManager of em.transactional(…)');
    await tx.execute(`insert into audit_events (${INSERT_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?::jsonb)`, values, 'run');
  } else {
    await tx.run(`insert into audit_events (${INSERT_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`, values, { prepare: true });
  }
}

/**
 * For a change made by ONE plain-SQL statement: the `insert … select` that records its event in the same statement,
 * as a data-modifying CTE (`with changed as (insert … returning id), audited as (${text}) select … from changed`).
 * One event per row of `from`, whose id is the target's; none when the change touched no row. Parameters are
 * numbered from `firstParameter`.
 */
export function auditInsertSelect(
  event: Omit<AuditEventDraft, 'target'> & { target: { type: AuditTargetType } },
  from: string,
  firstParameter: number,
): { text: string; values: unknown[] } {
  const values = insertValues({ ...event, target: { type: event.target.type, id: null } });
  values.splice(4, 1); // the target id comes from the row
  const $ = (index: number) => `$${firstParameter + index}`;
  return {
    text: `insert into audit_events (${INSERT_COLUMNS})
      select ${$(0)}, ${$(1)}, ${$(2)}, ${$(3)}, ${from}.id::text, ${$(4)}, ${$(5)}, ${$(6)}::jsonb from ${from}`,
    values,
  };
}

export interface AuditEventFilter {
  action?: string | null;
  actorId?: string | null;
  targetId?: string | null;
}

const COLUMNS = `id, occurred_at as "occurredAt", actor_type as "actorType", actor_id as "actorId", action,
  target_type as "targetType", target_id as "targetId", ip, user_agent as "userAgent", changes`;

// A cursor is the sort key of the last row seen: the time (to the microsecond, as stored), then the id.
const cursorOf = (event: AuditEventRecord & { occurredAtText?: string }) => encodeCursor([event.occurredAtText ?? event.occurredAt.toISOString(), event.id]);

export class AuditLog {
  constructor(private readonly sql: Sql) {}

  /** See recordAuditEvent. */
  record(tx: EntityManager | SqlTransaction, event: AuditEventDraft): Promise<void> {
    return recordAuditEvent(tx, event);
  }

  /** One page of events, newest first, optionally only those of one action, actor or target. */
  async list({ first, after, ...filter }: AuditEventFilter & { first: number; after?: string | null }): Promise<Page<AuditEventRecord>> {
    checkPageSize(first);
    const values: unknown[] = [];
    const conditions: string[] = [];
    for (const [column, value] of [['action', filter.action], ['actor_id', filter.actorId], ['target_id', filter.targetId]] as const) {
      if (value === null || value === undefined) continue;
      if (value.includes('\u0000')) throw ValidationFailed.of(column === 'action' ? 'action' : column === 'actor_id' ? 'actorId' : 'targetId', 'must not contain NUL characters');
      conditions.push(`${column} = $${values.push(value)}`);
    }
    const where = [...conditions];
    if (after) {
      const [occurredAt, id] = decodeCursor(after, 2, ([time, id]) => /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(time!) && isUuid(id!));
      where.push(`(occurred_at, id) < ($${values.push(occurredAt)}::timestamptz, $${values.push(id)}::uuid)`);
    }
    const clause = (parts: string[]) => (parts.length > 0 ? `where ${parts.join(' and ')}` : '');
    // The text form keeps the microseconds a Date would lose, so a cursor never skips a row stored in the same millisecond.
    const rows = await this.sql.rows<AuditEventRecord & { occurredAtText: string }>(
      `select ${COLUMNS}, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "occurredAtText"
       from audit_events ${clause(where)} order by occurred_at desc, id desc limit $${values.push(first + 1)}`,
      values,
    );
    const filterValues = values.slice(0, conditions.length);
    return {
      items: rows.slice(0, first),
      hasNextPage: rows.length > first,
      countAll: async () => Number((await this.sql.one<{ count: string }>(`select count(*) from audit_events ${clause(conditions)}`, filterValues))?.count ?? 0),
      cursorOf,
    };
  }

  /**
   * Deletes the events that occurred before `before`, through the one path the append-only trigger allows, and records
   * that it did (with the count) in the same transaction. Returns how many were deleted.
   */
  async prune(before: Date, source: AuditSource = CLI_SOURCE): Promise<number> {
    if (Number.isNaN(before.getTime())) throw ValidationFailed.of('before', 'The date is not valid');
    return this.sql.transaction(async (tx) => {
      await tx.run("set local auth_clients.audit_prune = 'on'");
      const { rowCount } = await tx.run('delete from audit_events where occurred_at < $1', [before]);
      await tx.run("set local auth_clients.audit_prune = 'off'");
      await recordAuditEvent(tx, {
        ...source,
        action: 'audit_log.pruned',
        target: { type: 'audit_log', id: null },
        changes: { deletedCount: { before: null, after: rowCount }, prunedBefore: { before: null, after: before.toISOString() } },
      });
      return rowCount;
    });
  }
}
