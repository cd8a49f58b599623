import { sql } from 'drizzle-orm';
import { bigint, boolean, char, check, date, index, integer, pgSchema, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { auditTables, outboxTable } from '@ipay/platform';

export const financeSchema = pgSchema('finance');

export const settlementStatus = financeSchema.enum('settlement_status', ['OPEN', 'CLOSED', 'PAID']);

export const settlements = financeSchema.table(
  'settlements',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    /** Sandbox (false) or live (true) data; the two never mix. */
    livemode: boolean('livemode').notNull(),
    periodStart: timestamp('period_start', { withTimezone: true, precision: 3 }).notNull(),
    periodEnd: timestamp('period_end', { withTimezone: true, precision: 3 }).notNull(),
    status: settlementStatus('status').notNull().default('OPEN'),
    currency: char('currency', { length: 3 }).notNull(),
    /** Totals in integer minor units; always the sums of the settlement's lines. */
    grossAmount: integer('gross_amount').notNull(),
    feeAmount: integer('fee_amount').notNull(),
    netAmount: integer('net_amount').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('settlements_merchant_period_key').on(t.merchantId, t.livemode, t.currency, t.periodStart),
    check('settlements_net_is_gross_minus_fees', sql`${t.netAmount} = ${t.grossAmount} - ${t.feeAmount}`),
  ],
);

export const settlementLines = financeSchema.table(
  'settlement_lines',
  {
    settlementId: text('settlement_id')
      .notNull()
      .references(() => settlements.id),
    orderId: text('order_id').notNull(),
    grossAmount: integer('gross_amount').notNull(),
    feeAmount: integer('fee_amount').notNull(),
    netAmount: integer('net_amount').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.settlementId, t.orderId] }),
    // An order's money is settled once.
    uniqueIndex('settlement_lines_order_key').on(t.orderId),
    index('settlement_lines_settlement_idx').on(t.settlementId),
    check('settlement_lines_net_is_gross_minus_fee', sql`${t.netAmount} = ${t.grossAmount} - ${t.feeAmount}`),
  ],
);

export type SettlementRow = typeof settlements.$inferSelect;
export type SettlementLineRow = typeof settlementLines.$inferSelect;

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
