import { and, asc, desc, eq, getTableColumns, inArray, lte, sql } from 'drizzle-orm';
import type DataLoader from 'dataloader';
import { anyOf, groupLoader, preparedQuery, preparedScopeCondition, rowLoader, scopeCondition, type Authorization, type Database } from '@ipay/platform';
import { orders, quotes, returnReasons, returns, type OrderRow, type QuoteRow, type ReturnReasonRow, type ReturnRow } from './schema.ts';
import type * as schema from './schema.ts';

type OrderStatus = OrderRow['status'];

const orderScopeColumns = { merchantId: orders.merchantId, livemode: orders.livemode, orderId: orders.id };

/** The SQL condition limiting orders to what the caller may read, in its mode (sandbox or live). */
export const readableOrders = (auth: Authorization) => scopeCondition(auth.require('orders:read'), auth.livemode, orderScopeColumns);

/** The same condition for a prepared query (its values are placeholders). */
export const readableOrdersPrepared = (auth: Authorization) => preparedScopeCondition(auth.require('orders:read'), auth.livemode, orderScopeColumns);

/** Returns are read with the orders' scope. */
export const readableReturnRows = (auth: Authorization) => scopeCondition(auth.require('orders:read'), auth.livemode, returns);

export function createLoaders(db: Database<typeof schema>, auth: Authorization) {
  const merchantOrderLoaders = new Map<string, DataLoader<string, OrderRow[]>>();
  return {
    /** Quotes are read with the orders' scope. */
    quoteById: rowLoader<string, QuoteRow>(
      (ids) =>
        db
          .select()
          .from(quotes)
          .where(and(inArray(quotes.id, [...ids]), scopeCondition(auth.require('orders:read'), auth.livemode, quotes))),
      (row) => row.id,
    ),
    returnById: rowLoader<string, ReturnRow>(
      (ids) =>
        db
          .select()
          .from(returns)
          .where(and(inArray(returns.id, [...ids]), readableReturnRows(auth))),
      (row) => row.id,
    ),
    /** Each order's returns, newest first, for many orders in one statement. */
    returnsByOrderId: groupLoader<string, ReturnRow>(
      (orderIds) =>
        db
          .select()
          .from(returns)
          .where(and(inArray(returns.orderId, [...orderIds]), readableReturnRows(auth)))
          .orderBy(desc(returns.createdAt), desc(returns.id)),
      (row) => row.orderId,
    ),
    /** Reasons by `merchantId:code` in the caller's mode (a return's label), in one statement. */
    returnReasonByKey: rowLoader<string, ReturnReasonRow>(
      (keys) =>
        db
          .select()
          .from(returnReasons)
          .where(and(eq(returnReasons.livemode, auth.livemode), inArray(sql`${returnReasons.merchantId} || ':' || ${returnReasons.code}`, [...keys]))),
      (row) => `${row.merchantId}:${row.code}`,
    ),
    // Entity resolution of every order the gateway hands over: built once (see preparedQuery).
    orderById: rowLoader<string, OrderRow>(
      (ids) => {
        const scope = readableOrdersPrepared(auth);
        const query = preparedQuery(db, `commerce.orderById:${scope.shape}`, (name) =>
          db
            .select()
            .from(orders)
            .where(and(anyOf(orders.id, 'ids'), scope.condition))
            .prepare(name),
        );
        return query.execute({ ...scope.values, ids });
      },
      (row) => row.id,
    ),
    /**
     * The newest `limit` orders of each of many merchants, in one statement: a window function ranks each
     * merchant's orders so the page size applies per merchant, not to the whole batch.
     */
    ordersOfMerchants(limit: number, status: OrderStatus | null | undefined) {
      const key = `${limit}:${status ?? ''}`;
      let loader = merchantOrderLoaders.get(key);
      if (!loader) {
        loader = groupLoader<string, OrderRow>(
          async (merchantIds) => {
            const rank = sql<number>`row_number() over (partition by ${orders.merchantId} order by ${orders.createdAt} desc, ${orders.id} desc)`.as('rank');
            const ranked = db
              .select({ ...getTableColumns(orders), rank })
              .from(orders)
              .where(and(inArray(orders.merchantId, [...merchantIds]), readableOrders(auth), status ? eq(orders.status, status) : undefined))
              .as('ranked');
            const rows = await db.select().from(ranked).where(lte(ranked.rank, limit)).orderBy(asc(ranked.merchantId), desc(ranked.createdAt), desc(ranked.id));
            return rows.map(({ rank: _rank, ...order }) => order);
          },
          (row) => row.merchantId,
        );
        merchantOrderLoaders.set(key, loader);
      }
      return loader;
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
