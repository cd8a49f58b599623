import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';

type PgSchema = ReturnType<typeof pgSchema>;

/**
 * Each subgraph's outbox: events written in the transaction of the change they describe (no event without its
 * change, no change without its event); a relay publishes them to the bus afterwards, at least once.
 */
export function outboxTable(schema: PgSchema) {
  return schema.table(
    'outbox',
    {
      id: text('id').primaryKey(),
      type: text('type').notNull(),
      version: integer('version').notNull(),
      occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
      merchantId: text('merchant_id'),
      livemode: boolean('livemode').notNull(),
      carrierCode: text('carrier_code'),
      subjectType: text('subject_type').notNull(),
      subjectId: text('subject_id').notNull(),
      payload: jsonb('payload').notNull(),
      publishedAt: timestamp('published_at', { withTimezone: true, precision: 3 }),
    },
    (t) => [
      index('outbox_unpublished_idx')
        .on(t.id)
        .where(sql`published_at is null`),
    ],
  );
}

export type OutboxTable = ReturnType<typeof outboxTable>;
export type OutboxRow = OutboxTable['$inferSelect'];
