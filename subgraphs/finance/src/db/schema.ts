import { sql } from 'drizzle-orm';
import { bigint, boolean, char, check, date, index, integer, pgSchema, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { auditTables, outboxTable } from '@ipay/platform';

export const financeSchema = pgSchema('finance');

// ───────────────────────────── settlement ─────────────────────────────
// Settlement engine, fee schedules and four-eyes approval (issue 13, "fin"). Plain tables other parts of finance
// (controls, reconciliation) may read: `settlement_orders` (every order's payment fact as finance last applied it),
// `settlements` and `settlement_lines` (totals are the sums of the lines: a deferred database check guarantees it).

export const settlementStatus = financeSchema.enum('settlement_status', ['OPEN', 'CLOSED', 'APPROVED', 'PAID']);
export const settlementPeriodKind = financeSchema.enum('settlement_period_kind', ['DAILY', 'WEEKLY', 'MONTHLY']);
export const settlementLineKind = financeSchema.enum('settlement_line_kind', ['COLLECTION', 'REFUND', 'ADJUSTMENT']);

export const settlements = financeSchema.table(
  'settlements',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    /** The merchant's slug as events carry it (`merchant`), for statements and event payloads. */
    merchantSlug: text('merchant_slug').notNull().default(''),
    /** Sandbox (false) or live (true) data; the two never mix. */
    livemode: boolean('livemode').notNull(),
    periodKind: settlementPeriodKind('period_kind').notNull().default('MONTHLY'),
    /** [period_start, period_end) in UTC. */
    periodStart: timestamp('period_start', { withTimezone: true, precision: 3 }).notNull(),
    periodEnd: timestamp('period_end', { withTimezone: true, precision: 3 }).notNull(),
    status: settlementStatus('status').notNull().default('OPEN'),
    currency: char('currency', { length: 3 }).notNull(),
    /** Totals in integer minor units; always the sums of the settlement's lines (deferred trigger check). */
    grossAmount: integer('gross_amount').notNull(),
    feeAmount: integer('fee_amount').notNull(),
    netAmount: integer('net_amount').notNull(),
    lineCount: integer('line_count').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    closedAt: timestamp('closed_at', { withTimezone: true, precision: 3 }),
    /** Principal id (usr_…, key_…, system:…) that closed it; the four-eyes rule compares the approver with it. */
    closedBy: text('closed_by'),
    /** Fixed at close: whether the net exceeded the currency's approval threshold (or none was configured). */
    requiresFourEyes: boolean('requires_four_eyes'),
    approvedAt: timestamp('approved_at', { withTimezone: true, precision: 3 }),
    approvedBy: text('approved_by'),
    paidAt: timestamp('paid_at', { withTimezone: true, precision: 3 }),
    paidBy: text('paid_by'),
    /** The bank transfer / payout reference the money left with. */
    payoutReference: text('payout_reference'),
  },
  (t) => [
    uniqueIndex('settlements_merchant_period_key').on(t.merchantId, t.livemode, t.currency, t.periodStart),
    index('settlements_status_idx').on(t.status, t.periodEnd),
    check('settlements_net_is_gross_minus_fees', sql`${t.netAmount} = ${t.grossAmount} - ${t.feeAmount}`),
    check('settlements_period_ordered', sql`${t.periodStart} < ${t.periodEnd}`),
  ],
);

export const settlementLines = financeSchema.table(
  'settlement_lines',
  {
    id: text('id').primaryKey(),
    settlementId: text('settlement_id')
      .notNull()
      .references(() => settlements.id),
    kind: settlementLineKind('kind').notNull().default('COLLECTION'),
    /** The order the money belongs to (an adjustment may stand without one). */
    orderId: text('order_id'),
    /** The payment session that holds the order's funds (from order.payment_state_changed / refund.created). */
    paymentSessionId: text('payment_session_id'),
    refundId: text('refund_id'),
    /** What was collected (negative for a refund), IPAY's fee, and gross − fee; integer minor units. */
    grossAmount: integer('gross_amount').notNull(),
    feeAmount: integer('fee_amount').notNull(),
    netAmount: integer('net_amount').notNull(),
    /** The fee schedule entry the fee was taken from (collection lines). */
    feeScheduleId: text('fee_schedule_id'),
    /** When the fact happened (paid at, refunded at, adjustment made). */
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** Why: required for adjustments (e.g. which settlement it corrects). */
    reason: text('reason'),
    /** An adjustment correcting an approved settlement names it. */
    correctsSettlementId: text('corrects_settlement_id'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    // An order's collection is settled once, and each refund once.
    uniqueIndex('settlement_lines_collection_key').on(t.orderId).where(sql`kind = 'COLLECTION'`),
    uniqueIndex('settlement_lines_refund_key').on(t.refundId).where(sql`refund_id is not null`),
    index('settlement_lines_settlement_idx').on(t.settlementId, t.id),
    index('settlement_lines_order_idx').on(t.orderId),
    check('settlement_lines_net_is_gross_minus_fee', sql`${t.netAmount} = ${t.grossAmount} - ${t.feeAmount}`),
    check('settlement_lines_adjustment_has_reason', sql`${t.kind} <> 'ADJUSTMENT' or coalesce(length(${t.reason}), 0) > 0`),
  ],
);

export type SettlementRow = typeof settlements.$inferSelect;
export type SettlementLineRow = typeof settlementLines.$inferSelect;

/**
 * IPAY's fixed fee per order and currency, with validity: merchant_id '' is the platform schedule every merchant
 * falls back to. The entry in force at an instant is the one with the latest valid_from ≤ instant (< valid_to).
 */
export const feeSchedules = financeSchema.table(
  'fee_schedules',
  {
    id: text('id').primaryKey(),
    /** '' for the platform default. */
    merchantId: text('merchant_id').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    feeAmount: integer('fee_amount').notNull(),
    validFrom: timestamp('valid_from', { withTimezone: true, precision: 3 }).notNull(),
    validTo: timestamp('valid_to', { withTimezone: true, precision: 3 }),
    reason: text('reason'),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('fee_schedules_from_key').on(t.merchantId, t.currency, t.validFrom),
    check('fee_schedules_fee_not_negative', sql`${t.feeAmount} >= 0`),
    check('fee_schedules_validity_ordered', sql`${t.validTo} is null or ${t.validFrom} < ${t.validTo}`),
  ],
);

export type FeeScheduleRow = typeof feeSchedules.$inferSelect;

/** How often a merchant is settled (default MONTHLY); a change applies from the next settlement created. */
export const settlementSettings = financeSchema.table('settlement_settings', {
  merchantId: text('merchant_id').primaryKey(),
  periodKind: settlementPeriodKind('period_kind').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/** Settlements whose net exceeds this need a second person's approval (per currency; none configured: always). */
export const approvalThresholds = financeSchema.table(
  'settlement_approval_thresholds',
  {
    currency: char('currency', { length: 3 }).primaryKey(),
    amount: integer('amount').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [check('settlement_approval_thresholds_not_negative', sql`${t.amount} >= 0`)],
);

/** Each order's payment fact as finance last applied it (only a higher version replaces it). */
export const settlementOrders = financeSchema.table(
  'settlement_orders',
  {
    orderId: text('order_id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    merchantSlug: text('merchant_slug').notNull(),
    livemode: boolean('livemode').notNull(),
    version: integer('version').notNull(),
    state: text('state').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    amountDue: integer('amount_due').notNull(),
    captured: integer('captured').notNull(),
    refunded: integer('refunded').notNull(),
    paymentSessionId: text('payment_session_id'),
    psp: text('psp'),
    /** When the order became fully paid (null until then). */
    paidAt: timestamp('paid_at', { withTimezone: true, precision: 3 }),
    /** Event id of the applied version. */
    lastEventId: text('last_event_id').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index('settlement_orders_paid_idx').on(t.paidAt)],
);

/** Refunds announced by payments (refund.created); each becomes one negative line once its order's collection is settled. */
export const settlementRefunds = financeSchema.table('settlement_refunds', {
  refundId: text('refund_id').primaryKey(),
  orderId: text('order_id').notNull(),
  merchantId: text('merchant_id').notNull(),
  livemode: boolean('livemode').notNull(),
  paymentSessionId: text('payment_session_id'),
  currency: char('currency', { length: 3 }).notNull(),
  amount: integer('amount').notNull(),
  refundedAt: timestamp('refunded_at', { withTimezone: true, precision: 3 }).notNull(),
  /** The line it was settled in (null while its order's collection is not settled). */
  lineId: text('line_id'),
});

export type ApprovalThresholdRow = typeof approvalThresholds.$inferSelect;
export type SettlementOrderRow = typeof settlementOrders.$inferSelect;
export type SettlementRefundRow = typeof settlementRefunds.$inferSelect;

// ─────────────────────────── end settlement ───────────────────────────

/** Live dashboard counters per merchant, mode, UTC day and metric, projected from the event bus. */
export const kpiCounters = financeSchema.table(
  'kpi_counters',
  {
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    metric: text('metric').notNull(),
    /** Empty for counts without money. */
    currency: text('currency').notNull().default(''),
    count: integer('count').notNull().default(0),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.merchantId, t.livemode, t.day, t.metric, t.currency] })],
);

/** Events already counted: the projection is fed at least once and must count each event once. */
export const kpiEvents = financeSchema.table('kpi_events', {
  eventId: text('event_id').primaryKey(),
  countedAt: timestamp('counted_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export type KpiCounterRow = typeof kpiCounters.$inferSelect;

export const { auditLog, auditHead } = auditTables(financeSchema);
export const outbox = outboxTable(financeSchema);
