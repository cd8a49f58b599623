import { SANDBOX_MERCHANTS, type Database } from '@ipay/platform';
import { merchants } from './db/schema.ts';
import type * as schema from './db/schema.ts';

export async function seed(db: Database<typeof schema>): Promise<void> {
  await db
    .insert(merchants)
    .values(SANDBOX_MERCHANTS.map((m) => ({ id: m.id, slug: m.slug, name: m.name, country: m.country, defaultCurrency: m.currency })))
    .onConflictDoNothing();
}
