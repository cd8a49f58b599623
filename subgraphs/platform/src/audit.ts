import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { assertNotDevelopmentSecret, isProduction, useDevelopmentSecret } from './config.ts';
import { and, asc, desc, eq, gt, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { bigint, boolean, check, index, jsonb, pgSchema, smallint, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { Authorization } from './auth/guard.ts';
import type { DataScope } from './auth/principal.ts';
import type { AnyDatabase } from './db.ts';
import { canonicalJson } from './canonical-json.ts';
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

const DEVELOPMENT_AUDIT_SECRET = 'ipay-development-audit-chain-secret-change-me';

/**
 * The keys of the audit chain: each record's hash is an HMAC-SHA256 with a server secret, so whoever can write the
 * database cannot rewrite the chain consistently. `AUDIT_CHAIN_SECRET` (≥ 32 characters) signs new records under
 * `AUDIT_CHAIN_KEY_ID` (default `k1`); on rotation the old secret moves to `AUDIT_CHAIN_PREVIOUS_SECRETS`
 * (`<keyId>:<secret>,…`) so records signed with it still verify. Records from before keyed chains (a plain SHA-256,
 * 64 hex digits) verify only where `AUDIT_CHAIN_ACCEPT_UNKEYED=true`, and never after a keyed record.
 */
export interface AuditKeyring {
  current: { id: string; secret: string };
  byId: Map<string, string>;
  acceptUnkeyed: boolean;
}

export function auditKeyringFromEnv(env: Record<string, string | undefined> = process.env): AuditKeyring {
  let secret = env.AUDIT_CHAIN_SECRET;
  if (secret) {
    if (secret.length < 32) throw new Error('AUDIT_CHAIN_SECRET must be at least 32 characters');
    assertNotDevelopmentSecret('AUDIT_CHAIN_SECRET', secret, [DEVELOPMENT_AUDIT_SECRET], env);
  } else {
    useDevelopmentSecret('AUDIT_CHAIN_SECRET', env);
    secret = DEVELOPMENT_AUDIT_SECRET;
  }
  const id = env.AUDIT_CHAIN_KEY_ID || 'k1';
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error('AUDIT_CHAIN_KEY_ID must be 1-32 letters, digits, _ or -');
  const byId = new Map<string, string>([[id, secret]]);
  for (const entry of (env.AUDIT_CHAIN_PREVIOUS_SECRETS ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.indexOf(':');
    if (at < 1) throw new Error('AUDIT_CHAIN_PREVIOUS_SECRETS holds <keyId>:<secret> pairs separated by commas');
    byId.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return { current: { id, secret }, byId, acceptUnkeyed: env.AUDIT_CHAIN_ACCEPT_UNKEYED === 'true' || !isProduction(env) };
}

let keyring: AuditKeyring | undefined;
const currentKeyring = () => (keyring ??= auditKeyringFromEnv());
/** Reads the keyring at start-up, so a production service without AUDIT_CHAIN_SECRET refuses to start. */
export const loadAuditKeyring = (): AuditKeyring => currentKeyring();

const hashedContent = (row: HashedFields) => {
  const { occurredAt, ...rest } = row;
  return canonicalJson({ ...rest, occurredAt: occurredAt.toISOString() });
};

/** `h1.<keyId>.<hex HMAC-SHA256>` over the record and the previous hash. */
export function auditHash(row: HashedFields, ring: AuditKeyring = currentKeyring()): string {
  return `h1.${ring.current.id}.${createHmac('sha256', ring.current.secret).update(hashedContent(row)).digest('hex')}`;
}

/** Whether `hash` is the right one for the record: keyed with a known key, or (where accepted) a legacy SHA-256. */
export function auditHashMatches(row: HashedFields, hash: string, ring: AuditKeyring = currentKeyring()): 'ok' | 'unkeyed' | 'mismatch' | 'unknown-key' {
  const keyed = /^h1\.([A-Za-z0-9_-]{1,32})\.([0-9a-f]{64})$/.exec(hash);
  if (keyed) {
    const secret = ring.byId.get(keyed[1]!);
    if (!secret) return 'unknown-key';
    const expected = createHmac('sha256', secret).update(hashedContent(row)).digest();
    return timingSafeEqual(expected, Buffer.from(keyed[2]!, 'hex')) ? 'ok' : 'mismatch';
  }
  if (/^[0-9a-f]{64}$/.test(hash) && createHash('sha256').update(hashedContent(row)).digest('hex') === hash) return 'unkeyed';
  return 'mismatch';
}

/** Appends entries at the head of the chain; the head row lock serialises writers of this subgraph. */
export async function appendAudit(db: AnyDatabase, tables: AuditTables, entries: readonly AuditEntry[], actor: AuditActor): Promise<AuditRow[]> {
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
export async function verifyAuditChain(db: AnyDatabase, tables: AuditTables, batchSize = 1000): Promise<ChainVerification> {
  const { auditLog, auditHead } = tables;
  const [head] = await db.select().from(auditHead).where(eq(auditHead.id, 1));
  const ring = currentKeyring();
  let seenKeyed = false;
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
      const match = auditHashMatches(fields, hash, ring);
      if (match === 'unknown-key') return broken(row.position, 'record is signed with a key this service does not hold (AUDIT_CHAIN_PREVIOUS_SECRETS?)');
      if (match === 'mismatch') return broken(row.position, 'record content does not match its hash (edited)');
      if (match === 'unkeyed') {
        if (!ring.acceptUnkeyed || seenKeyed) return broken(row.position, 'record has an unkeyed hash (rewritten without the chain secret?)');
      } else seenKeyed = true;
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
  db: AnyDatabase,
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
