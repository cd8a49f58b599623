import { sql } from 'drizzle-orm';
import { boolean, char, check, index, integer, jsonb, pgSchema, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { ORDER_PAYMENT_STATES, auditTables, outboxTable } from '@ipay/platform';
import { PAYMENT_SESSION_STATUSES } from '../domain/state-machine.ts';

export const paymentsSchema = pgSchema('payments');

/** The state machine's statuses (src/domain/state-machine.ts is the one list). */
export const paymentSessionStatus = paymentsSchema.enum('payment_session_status', PAYMENT_SESSION_STATUSES);

export const paymentSessions = paymentsSchema.table(
  'payment_sessions',
  {
    id: text('id').primaryKey(),
    reference: text('reference').notNull(),
    orderId: text('order_id').notNull(),
    merchantId: text('merchant_id').notNull(),
    /** Sandbox (false) or live (true) data; the two never mix. */
    livemode: boolean('livemode').notNull(),
    status: paymentSessionStatus('status').notNull().default('CREATED'),
    /** Amount in integer minor units of `currency`. */
    amount: integer('amount').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    psp: text('psp').notNull(),
    method: text('method').notNull(),
    /** The PSP's id of the payment (Adyen pspReference, Stripe pi_, Mollie tr_); null until the PSP answered. */
    pspReference: text('psp_reference'),
    /** What the shopper's front-end does next (redirect URL, SDK payload), as the PSP answered. */
    nextAction: jsonb('next_action'),
    authorizedAmount: integer('authorized_amount').notNull().default(0),
    capturedAmount: integer('captured_amount').notNull().default(0),
    refundedAmount: integer('refunded_amount').notNull().default(0),
    /**
     * Set when the session may no longer hold the order's funds (replaced by a newer session, order cancelled, or it
     * reached the funds while another session held them): cancelled at the PSP while open, any capture reversed.
     */
    supersededAt: timestamp('superseded_at', { withTimezone: true, precision: 3 }),
    supersededReason: text('superseded_reason'),
    /** When the PSP accepted our cancellation of a superseded session (null: not yet asked, or to be asked again). */
    pspCancelRequestedAt: timestamp('psp_cancel_requested_at', { withTimezone: true, precision: 3 }),
    /** Incremented on every stored change (optimistic check on top of the row lock). */
    version: integer('version').notNull().default(0),
    /** The caller's idempotency key and a hash of the request it came with (same key + other body is refused). */
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash'),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('payment_sessions_reference_key').on(t.reference),
    uniqueIndex('payment_sessions_idempotency_key').on(t.merchantId, t.livemode, t.idempotencyKey),
    index('payment_sessions_order_idx').on(t.orderId, t.createdAt.desc()),
    index('payment_sessions_psp_reference_idx').on(t.psp, t.pspReference),
    // At most one session holds an order's funds: a database fact, not only a check in code. (Written without the
    // newer enum values so that it applies in the same migration transaction that adds them.)
    uniqueIndex('payment_sessions_one_funds_holder_per_order')
      .on(t.orderId)
      .where(sql`${t.supersededAt} is null and ${t.status} not in ('CREATED', 'REQUESTED', 'FAILED', 'EXPIRED', 'CANCELLED')`),
    // Superseded sessions still open at the PSP, for the sweep that cancels them there.
    index('payment_sessions_superseded_open_idx')
      .on(t.supersededAt)
      .where(sql`${t.supersededAt} is not null and ${t.pspCancelRequestedAt} is null`),
    // The expiry sweep reads open sessions by expiry.
    index('payment_sessions_open_expiry_idx')
      .on(t.expiresAt)
      .where(sql`${t.status} in ('CREATED', 'REQUESTED')`),
    check('payment_sessions_amount_positive', sql`${t.amount} > 0`),
    // The money invariants hold in the database too, whatever the code above it does.
    check(
      'payment_sessions_amounts_ordered',
      sql`0 <= ${t.refundedAmount} and ${t.refundedAmount} <= ${t.capturedAmount} and ${t.capturedAmount} <= ${t.authorizedAmount} and ${t.authorizedAmount} <= ${t.amount}`,
    ),
  ],
);

export type PaymentSessionRow = typeof paymentSessions.$inferSelect;

/** Every event that reached a session (PSP notifications and answers, our own commands): its history. */
export const paymentEvents = paymentsSchema.table(
  'payment_events',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => paymentSessions.id),
    /** The PSP's event id (`adyen:<pspReference>:<eventCode>:<success>`) or our command's key; the deduplication key. */
    eventId: text('event_id'),
    eventType: text('event_type').notNull(),
    source: text('source').notNull(),
    pspReference: text('psp_reference'),
    pspStatusCode: text('psp_status_code'),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true, precision: 3 }).notNull(),
    /** The stored raw webhook body (psp_notifications.id) this came from. */
    rawPayloadRef: text('raw_payload_ref'),
    outcome: text('outcome').notNull(),
    fromStatus: paymentSessionStatus('from_status').notNull(),
    toStatus: paymentSessionStatus('to_status').notNull(),
    reason: text('reason').notNull(),
    amount: integer('amount'),
    refundedTotal: integer('refunded_total'),
    currency: char('currency', { length: 3 }).notNull(),
    authorizedAmount: integer('authorized_amount').notNull(),
    capturedAmount: integer('captured_amount').notNull(),
    refundedAmount: integer('refunded_amount').notNull(),
  },
  (t) => [uniqueIndex('payment_events_session_event_key').on(t.sessionId, t.eventId), index('payment_events_session_idx').on(t.sessionId, t.recordedAt)],
);

export type PaymentEventRow = typeof paymentEvents.$inferSelect;

/** Raw webhook bodies as received (support and reconciliation read them; signatures were over these bytes). */
export const pspNotifications = paymentsSchema.table('psp_notifications', {
  id: text('id').primaryKey(),
  psp: text('psp').notNull(),
  livemode: boolean('livemode').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  body: text('body').notNull(),
});

export const refundStatus = paymentsSchema.enum('refund_status', ['PENDING', 'SUCCEEDED', 'FAILED']);
/** REQUESTED: createRefund; CAPTURE_REVERSAL: paid back automatically (a superseded session's or a cancelled order's capture). */
export const refundKind = paymentsSchema.enum('refund_kind', ['REQUESTED', 'CAPTURE_REVERSAL']);

export const refunds = paymentsSchema.table(
  'refunds',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => paymentSessions.id),
    orderId: text('order_id').notNull(),
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    amount: integer('amount').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    reason: text('reason').notNull(),
    kind: refundKind('kind').notNull().default('REQUESTED'),
    /** PENDING until the PSP reports the refund; PENDING and SUCCEEDED refunds count against the captured amount. */
    status: refundStatus('status').notNull().default('PENDING'),
    /** The PSP's id of the refund (Adyen modification pspReference, Stripe re_, Mollie re_). */
    pspReference: text('psp_reference'),
    failureReason: text('failure_reason'),
    idempotencyKey: text('idempotency_key').notNull(),
    requestHash: text('request_hash').notNull(),
    /** When refund.created went out: once the PSP accepted the refund (or reported it), exactly once. */
    announcedAt: timestamp('announced_at', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('refunds_idempotency_key').on(t.sessionId, t.idempotencyKey),
    index('refunds_session_idx').on(t.sessionId, t.createdAt),
    check('refunds_amount_positive', sql`${t.amount} > 0`),
  ],
);

export type RefundRow = typeof refunds.$inferSelect;

/** Payments' own view of orders, fed by commerce's order.created / order.status_changed events. */
export const orders = paymentsSchema.table('orders', {
  id: text('id').primaryKey(),
  merchantId: text('merchant_id').notNull(),
  /** The merchant's slug, for event payloads. */
  merchant: text('merchant').notNull(),
  livemode: boolean('livemode').notNull(),
  reference: text('reference').notNull(),
  status: text('status').notNull(),
  amount: integer('amount').notNull(),
  currency: char('currency', { length: 3 }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export type OrderRow = typeof orders.$inferSelect;

export const orderPaymentStateEnum = paymentsSchema.enum('order_payment_state', ORDER_PAYMENT_STATES);

/**
 * The order's payment state as payments publishes it (`order.payment_state_changed`): written in the same transaction
 * as every session change that moves it, `version` + 1 per change.
 */
export const orderPaymentStates = paymentsSchema.table(
  'order_payment_states',
  {
    orderId: text('order_id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    version: integer('version').notNull(),
    state: orderPaymentStateEnum('state').notNull(),
    amountDue: integer('amount_due').notNull(),
    captured: integer('captured').notNull(),
    refunded: integer('refunded').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    /** The session that holds (or last held) the order's funds. */
    sessionId: text('session_id'),
    psp: text('psp'),
    paidAt: timestamp('paid_at', { withTimezone: true, precision: 3 }),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    check('order_payment_states_version_positive', sql`${t.version} >= 1`),
    check('order_payment_states_money', sql`0 <= ${t.refunded} and ${t.refunded} <= ${t.captured}`),
  ],
);

export type OrderPaymentStateRow = typeof orderPaymentStates.$inferSelect;

export const { auditLog, auditHead } = auditTables(paymentsSchema);
export const outbox = outboxTable(paymentsSchema);
