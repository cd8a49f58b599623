import { index, integer, jsonb, pgSchema, primaryKey, text, timestamp } from './orm.ts';

/** The gateway's own state lives in its own PostgreSQL schema, like each subgraph's. */
export const gatewaySchema = pgSchema('gateway');

/**
 * One row per Idempotency-Key a client sent to a POST endpoint of the REST facade (Stripe's semantics):
 * claimed `in_flight` before the operation runs, then `completed` with the response to replay, and
 * forgotten after `expires_at` (24 hours).
 */
export const idempotencyKeys = gatewaySchema.table(
  'idempotency_keys',
  {
    /** Whose key it is (a hash of the caller's credentials): keys of different callers never collide. */
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    /** sha256 of the operation id and its variables: a key reused with a different request is refused. */
    fingerprint: text('fingerprint').notNull(),
    operationId: text('operation_id').notNull(),
    state: text('state', { enum: ['in_flight', 'completed'] }).notNull(),
    /** Random per claim, so a request whose lease ran out cannot overwrite the result of the one that took over. */
    lockToken: text('lock_token').notNull(),
    /** An in-flight claim older than this was abandoned (crashed process) and may be taken over. */
    lockedUntil: timestamp('locked_until', { withTimezone: true, precision: 3 }).notNull(),
    responseStatus: integer('response_status'),
    responseHeaders: jsonb('response_headers').$type<Record<string, string>>(),
    responseBody: text('response_body'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [primaryKey({ name: 'idempotency_keys_pkey', columns: [t.scope, t.key] }), index('idempotency_keys_expires_at_idx').on(t.expiresAt)],
);

export type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect;
