import { and, desc, eq, sql } from 'drizzle-orm';
import { decodeCursor, pageSize, toConnection } from '@ipay/platform';
import { orders, type OrderRow } from '../db/schema.ts';
import type { QueryResolvers } from '../generated/graphql.ts';

/** Orders sort newest first by (createdAt, id); the cursor is that key. */
export const orderCursorKey = (row: OrderRow) => [row.createdAt.toISOString(), row.id];

export const Query: QueryResolvers = {
  order: (_, { id }, { loaders }) => loaders.orderById.load(id),
  orders: async (_, { first, after, merchantId, status }, { db }) => {
    const size = pageSize(first);
    const cursor = after ? decodeCursor(after, 2) : undefined;
    const rows = await db
      .select()
      .from(orders)
      .where(
        and(
          merchantId ? eq(orders.merchantId, merchantId) : undefined,
          status ? eq(orders.status, status) : undefined,
          cursor ? sql`(${orders.createdAt}, ${orders.id}) < (${cursor[0]}::timestamptz, ${cursor[1]})` : undefined,
        ),
      )
      .orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(size + 1);
    return toConnection(rows, size, orderCursorKey);
  },
};
