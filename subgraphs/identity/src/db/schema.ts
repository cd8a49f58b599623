import { char, pgSchema, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const identitySchema = pgSchema('identity');

export const merchants = identitySchema.table(
  'merchants',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    country: char('country', { length: 2 }).notNull(),
    defaultCurrency: char('default_currency', { length: 3 }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('merchants_slug_key').on(t.slug)],
);

export type MerchantRow = typeof merchants.$inferSelect;
