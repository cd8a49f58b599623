import { boolean, index, pgSchema, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { auditTables, outboxTable } from '@ipay/platform';

export const logisticsSchema = pgSchema('logistics');

export const shipmentStatus = logisticsSchema.enum('shipment_status', [
  'LABEL_CREATED',
  'PICKED_UP',
  'IN_TRANSIT',
  'OUT_FOR_DELIVERY',
  'DELIVERY_FAILED',
  'DELIVERED',
  'RETURNED_TO_SENDER',
]);

export const carriers = logisticsSchema.table('carriers', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
});

export const shipments = logisticsSchema.table(
  'shipments',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull(),
    merchantId: text('merchant_id').notNull(),
    /** Sandbox (false) or live (true) data; the two never mix. */
    livemode: boolean('livemode').notNull(),
    carrierCode: text('carrier_code')
      .notNull()
      .references(() => carriers.code),
    trackingNumber: text('tracking_number').notNull(),
    status: shipmentStatus('status').notNull().default('LABEL_CREATED'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('shipments_carrier_tracking_key').on(t.carrierCode, t.trackingNumber),
    index('shipments_order_idx').on(t.orderId, t.createdAt.desc()),
  ],
);

export type CarrierRow = typeof carriers.$inferSelect;
export type ShipmentRow = typeof shipments.$inferSelect;

export const { auditLog, auditHead } = auditTables(logisticsSchema);
export const outbox = outboxTable(logisticsSchema);
