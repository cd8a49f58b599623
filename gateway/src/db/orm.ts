/** drizzle-orm for the gateway's own tables (one drizzle instance with @ipay/platform's openDatabase). */
export { and, eq, lt, or } from 'drizzle-orm';
export { index, integer, jsonb, pgSchema, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
