import { createHash } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { bigint, boolean, check, index, jsonb, pgSchema, smallint, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { Authorization } from './auth/guard.ts';
import type { DataScope } from './auth/principal.ts';
import type { Database } from './db.ts';
import { newId } from './ids.ts';
import { decodeCursor, pageSize, toConnection } from './pagination.ts';

type PgSchema = ReturnType<typeof pgSchema>;

/**
 * Every subgraph keeps its own audit trail in its own schema (a mutation and its audit record commit in one
 * transaction, and no table is shared). Records form a hash chain: each hash covers the record and the
 * previous hash, and `audit_head` holds the newest position and hash, so an edited, deleted or truncated
 * record breaks verification.
 */
export function auditTables(schema: PgSchema) {
  const auditLog = schema.table(
    'audit_log',
    {
      id: text('id').primaryKey(),
      /** 1, 2, 3, … without gaps: a missing position is a deleted record. */
      position: bigint('position', { mode: 'number' }).notNull(),
      occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
      principalKind: text('principal_kind').notNull(),
      principalId: text('principal_id').notNull(),
      credentialId: text('credential_id'),
      merchantId: text('merchant_id'),
      livemode: boolean('livemode').notNull(),
      action: text('action').notNull(),
      entityType: text('entity_type').notNull(),
      entityId: text('entity_id').notNull(),
      before: jsonb('before'),
      after: jsonb('after'),
      changes: jsonb('changes').notNull(),
      requestId: text('request_id'),
      sourceIp: text('source_ip'),
      prevHash: text('prev_hash').notNull(),
      hash: text('hash').notNull(),
    },
    (t) => [
      uniqueIndex('audit_log_position_key').on(t.position),
      index('audit_log_merchant_idx').on(t.merchantId, t.position),
      index('audit_log_entity_idx').on(t.entityType, t.entityId),
    ],
  );
  const auditHead = schema.table(
    'audit_head',
    {
      id: smallint('id').primaryKey().default(1),
      position: bigint('position', { mode: 'number' }).notNull(),
      hash: text('hash').notNull(),
    },
    (t) => [check('audit_head_single_row', sql`${t.id} = 1`)],
  );
  return { auditLog, auditHead };
}

export type AuditTables = ReturnType<typeof auditTables>;
export type AuditRow = AuditTables['auditLog']['$inferSelect'];

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  /** `<entity>.<verb>`, e.g. `order.cancel`. */
  action: string;
  entityType: string;
  entityId: string;
  merchantId: string | null;
  /** Defaults to the actor's mode; system actors (jobs, PSP callbacks) act in the entity's mode. */
  livemode?: boolean;
  /** Absent for a creation / a deletion. */
  before?: unknown;
  after?: unknown;
}

export interface AuditActor {
  principalKind: string;
  principalId: string;
  credentialId: string | null;
  livemode: boolean;
  requestId: string | null;
  sourceIp: string | null;
}

/** JSON with sorted keys, so a record hashes the same however PostgreSQL's jsonb reorders it. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** What JSON storage gives back (dates as ISO strings), so the hash is computed over what is stored. */
const asStored = (value: unknown) => (value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown));

/** Field-level changes between two snapshots: `{ field: { from, to } }`. */
export function diffSnapshots(before: unknown, after: unknown): Record<string, { from: unknown; to: unknown }> {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = (after ?? {}) as Record<string, unknown>;
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (canonicalJson(a[key]) !== canonicalJson(b[key])) changes[key] = { from: a[key] ?? null, to: b[key] ?? null };
  }
  return changes;
}

type HashedFields = Omit<AuditRow, 'hash'>;

export function auditHash(row: HashedFields): string {
  const { occurredAt, ...rest } = row;
  return createHash('sha256')
    .update(canonicalJson({ ...rest, occurredAt: occurredAt.toISOString() }))
    .digest('hex');
}

/** Appends entries at the head of the chain; the head row lock serialises writers of this subgraph. */
export async function appendAudit(db: Database<any>, tables: AuditTables, entries: readonly AuditEntry[], actor: AuditActor): Promise<AuditRow[]> {
  const { auditLog, auditHead } = tables;
  await db.insert(auditHead).values({ id: 1, position: 0, hash: GENESIS_HASH }).onConflictDoNothing();
  const [head] = await db.select().from(auditHead).where(eq(auditHead.id, 1)).for('update');
  let position = head!.position;
  let prevHash = head!.hash;
  const occurredAt = new Date();
  const rows: AuditRow[] = entries.map((entry) => {
    position += 1;
    const before = asStored(entry.before);
    const after = asStored(entry.after);
    const fields: HashedFields = {
      id: newId('aud'),
      position,
      occurredAt,
      ...actor,
      livemode: entry.livemode ?? actor.livemode,
      merchantId: entry.merchantId,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      before,
      after,
      changes: asStored(diffSnapshots(before, after)),
      prevHash,
    };
    const row = { ...fields, hash: auditHash(fields) };
    prevHash = row.hash;
    return row;
  });
  await db.insert(auditLog).values(rows);
  await db.update(auditHead).set({ position, hash: prevHash }).where(eq(auditHead.id, 1));
  return rows;
}

export interface ChainVerification {
  valid: boolean;
  checkedRecords: number;
  /** The first position where the chain breaks, and why. */
  brokenAtPosition: number | null;
  reason: string | null;
}

/** Re-hashes the whole chain in pages and checks every link and the head. */
export async function verifyAuditChain(db: Database<any>, tables: AuditTables, batchSize = 1000): Promise<ChainVerification> {
  const { auditLog, auditHead } = tables;
  const [head] = await db.select().from(auditHead).where(eq(auditHead.id, 1));
  let expectedPosition = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  const broken = (position: number, reason: string): ChainVerification => ({ valid: false, checkedRecords: checked, brokenAtPosition: position, reason });
  for (;;) {
    const rows = await db
      .select()
      .from(auditLog)
      .where(gt(auditLog.position, expectedPosition - 1))
      .orderBy(asc(auditLog.position))
      .limit(batchSize);
    for (const row of rows) {
      if (row.position !== expectedPosition) return broken(expectedPosition, `record at position ${expectedPosition} is missing`);
      if (row.prevHash !== prevHash) return broken(row.position, 'previous-hash link does not match the record before it');
      const { hash, ...fields } = row;
      if (auditHash(fields) !== hash) return broken(row.position, 'record content does not match its hash (edited)');
      prevHash = hash;
      expectedPosition += 1;
      checked += 1;
    }
    if (rows.length < batchSize) break;
  }
  const headPosition = head?.position ?? 0;
  const headHash = head?.hash ?? GENESIS_HASH;
  if (headPosition !== checked || headHash !== prevHash) {
    return broken(checked + 1, `chain ends at position ${checked} but its head says ${headPosition} (records deleted at the end)`);
  }
  return { valid: true, checkedRecords: checked, brokenAtPosition: null, reason: null };
}

export interface AuditFilter {
  merchantId?: string | null;
  entityType?: string | null;
  entityId?: string | null;
  action?: string | null;
  principalId?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** Audit records newest first, filtered, paged, and limited in SQL to what the caller's `audit:read` scope reaches. */
export async function listAuditRecords(
  db: Database<any>,
  tables: AuditTables,
  auth: Authorization,
  args: { filter?: AuditFilter | null; first: number; after?: string | null },
) {
  const { auditLog } = tables;
  const scope = auth.require('audit:read');
  const size = pageSize(args.first);
  const f = args.filter ?? {};
  const cursor = args.after ? Number(decodeCursor(args.after, 1)[0]) : undefined;
  const conditions: (SQL | undefined)[] = [
    eq(auditLog.livemode, auth.livemode),
    auditScope(scope, auditLog.merchantId),
    f.merchantId ? eq(auditLog.merchantId, f.merchantId) : undefined,
    f.entityType ? eq(auditLog.entityType, f.entityType) : undefined,
    f.entityId ? eq(auditLog.entityId, f.entityId) : undefined,
    f.action ? eq(auditLog.action, f.action) : undefined,
    f.principalId ? eq(auditLog.principalId, f.principalId) : undefined,
    f.from ? sql`${auditLog.occurredAt} >= ${f.from.toISOString()}::timestamptz` : undefined,
    f.to ? sql`${auditLog.occurredAt} < ${f.to.toISOString()}::timestamptz` : undefined,
    cursor !== undefined && Number.isSafeInteger(cursor) ? lt(auditLog.position, cursor) : undefined,
  ];
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.position))
    .limit(size + 1);
  return toConnection(rows, size, (row) => [String(row.position)]);
}

function auditScope(scope: DataScope, merchantColumn: AuditTables['auditLog']['merchantId']): SQL | undefined {
  if (scope.kind === 'ALL') return undefined;
  if (scope.kind === 'MERCHANTS' && scope.merchantIds.length) return inArray(merchantColumn, scope.merchantIds);
  // Carrier partners do not read audit trails of merchant data.
  return sql`false`;
}
