import { asc, eq, gt } from 'drizzle-orm';
import { decodeCursor, pageSize, toConnection } from '@ipay/platform';
import { merchants } from '../db/schema.ts';
import type { QueryResolvers } from '../generated/graphql.ts';

export const Query: QueryResolvers = {
  merchant: (_, { id }, { loaders }) => loaders.merchantById.load(id),
  merchantBySlug: async (_, { slug }, { db }) => {
    const [row] = await db.select().from(merchants).where(eq(merchants.slug, slug));
    return row ?? null;
  },
  merchants: async (_, { first, after }, { db }) => {
    const size = pageSize(first);
    const [afterSlug] = after ? decodeCursor(after, 1) : [];
    const rows = await db
      .select()
      .from(merchants)
      .where(afterSlug === undefined ? undefined : gt(merchants.slug, afterSlug))
      .orderBy(asc(merchants.slug))
      .limit(size + 1);
    return toConnection(rows, size, (row) => [row.slug]);
  },
};
