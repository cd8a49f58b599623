import { and, desc, eq, sql } from 'drizzle-orm';
import { auditTrailRoot, decodeCursor, deliveredEvent, notFound, pageSize, toConnection } from '@ipay/platform';
import { readableOrders } from '../loaders.ts';
import { orders, type OrderRow } from '../db/schema.ts';
import type { QueryResolvers } from '../generated/graphql.ts';

/** Orders sort newest first by (createdAt, id); the cursor is that key. */
export const orderCursorKey = (row: OrderRow) => [row.createdAt.toISOString(), row.id];

export const Query: QueryResolvers = {
  order: async (_, { id }, { loaders }) => (await loaders.orderById.load(id)) ?? Promise.reject(notFound('Order', id)),
  orders: async (_, { first, after, merchantId, status }, { db, auth }) => {
    const size = pageSize(first);
    const cursor = after ? decodeCursor(after, 2) : undefined;
    const rows = await db
      .select()
      .from(orders)
      .where(
        and(
          readableOrders(auth),
          merchantId ? eq(orders.merchantId, merchantId) : undefined,
          status ? eq(orders.status, status) : undefined,
          cursor ? sql`(${orders.createdAt}, ${orders.id}) < (${cursor[0]}::timestamptz, ${cursor[1]})` : undefined,
        ),
      )
      .orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(size + 1);
    return toConnection(rows, size, orderCursorKey);
  },
  auditTrail: auditTrailRoot,
  _event_orderEvents: (_, { event }, { auth }) => deliveredEvent(auth, event),
};
