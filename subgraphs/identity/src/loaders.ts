import { inArray } from 'drizzle-orm';
import { rowLoader, type Database } from '@ipay/platform';
import { merchants, type MerchantRow } from './db/schema.ts';
import type * as schema from './db/schema.ts';

export function createLoaders(db: Database<typeof schema>) {
  return {
    merchantById: rowLoader<string, MerchantRow>(
      (ids) => db.select().from(merchants).where(inArray(merchants.id, [...ids])),
      (row) => row.id,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
