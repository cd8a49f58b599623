import { bigserial, bigint, boolean, integer, jsonb, pgSchema, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** The SQL event bus's log: shared infrastructure (like a JetStream stream), not a domain's table. */
export const eventsSchema = pgSchema('events');

export const eventLog = eventsSchema.table(
  'log',
  {
    position: bigserial('position', { mode: 'number' }).primaryKey(),
    id: text('id').notNull(),
    type: text('type').notNull(),
    version: integer('version').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
    source: text('source').notNull(),
    merchantId: text('merchant_id'),
    livemode: boolean('livemode').notNull(),
    carrierCode: text('carrier_code'),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    payload: jsonb('payload').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('log_id_key').on(t.id)],
);

/** Where each durable consumer is in the log. */
export const consumerOffsets = eventsSchema.table('consumer_offsets', {
  name: text('name').primaryKey(),
  position: bigint('position', { mode: 'number' }).notNull(),
  /** The process currently working this consumer, until its lease runs out (a crashed one loses it). */
  leaseOwner: text('lease_owner'),
  leasedUntil: timestamp('leased_until', { withTimezone: true, precision: 3 }),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});
