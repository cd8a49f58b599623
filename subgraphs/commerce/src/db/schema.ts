import { sql } from 'drizzle-orm';
import { boolean, char, check, index, integer, pgSchema, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { auditTables, outboxTable } from '@ipay/platform';

export const commerceSchema = pgSchema('commerce');

export const orderStatus = commerceSchema.enum('order_status', [
  'CREATED',
  'AWAITING_PAYMENT',
  'PAID',
  'OUT_FOR_DELIVERY',
  'RELEASED',
  'DELIVERED',
  'RETURNED',
  'REFUNDED',
  'CANCELLED',
]);

export const orders = commerceSchema.table(
  'orders',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    /** Sandbox (false) or live (true) data; the two never mix. */
    livemode: boolean('livemode').notNull(),
    merchantReference: text('merchant_reference').notNull(),
    status: orderStatus('status').notNull().default('CREATED'),
    /** Total in integer minor units of `currency`. */
    totalAmount: integer('total_amount').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    customerName: text('customer_name').notNull(),
    customerEmail: text('customer_email').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('orders_merchant_reference_key').on(t.merchantId, t.livemode, t.merchantReference),
    index('orders_merchant_created_idx').on(t.merchantId, t.createdAt.desc(), t.id.desc()),
    index('orders_created_idx').on(t.createdAt.desc(), t.id.desc()),
    check('orders_total_amount_nonnegative', sql`${t.totalAmount} >= 0`),
  ],
);

export type OrderRow = typeof orders.$inferSelect;

export const { auditLog, auditHead } = auditTables(commerceSchema);
export const outbox = outboxTable(commerceSchema);
