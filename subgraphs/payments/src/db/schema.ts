import { sql } from 'drizzle-orm';
import { boolean, char, check, index, integer, pgSchema, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { auditTables, outboxTable } from '@ipay/platform';

export const paymentsSchema = pgSchema('payments');

export const paymentSessionStatus = paymentsSchema.enum('payment_session_status', [
  'CREATED',
  'REQUESTED',
  'AUTHORISED',
  'CONFIRMED',
  'FAILED',
  'EXPIRED',
  'CANCELLED',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
]);

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
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('payment_sessions_reference_key').on(t.reference),
    index('payment_sessions_order_idx').on(t.orderId, t.createdAt.desc()),
    check('payment_sessions_amount_positive', sql`${t.amount} > 0`),
  ],
);

export type PaymentSessionRow = typeof paymentSessions.$inferSelect;

export const { auditLog, auditHead } = auditTables(paymentsSchema);
export const outbox = outboxTable(paymentsSchema);
