import { and, desc, eq, gte, ilike, lt, or, sql } from 'drizzle-orm';
import { auditTrailRoot, badUserInput, decodeCursor, deliveredEvent, notFound, pageSize, preparedQuery, scopeCondition, toConnection } from '@ipay/platform';
import { readableOrders, readableOrdersPrepared } from '../db/loaders.ts';
import { importJobs, integrations, orders, retentionOffers, returnReasons, type OrderRow } from '../db/schema.ts';
import { listReturns, retentionStats } from '../app/returns.ts';
import type { QueryResolvers } from '../generated/graphql.ts';

/** Orders sort newest first by (createdAt, id); the cursor is that key. */
export const orderCursorKey = (row: OrderRow) => [row.createdAt.toISOString(), row.id];

/** `%`, `_` and `\` in a search are literal characters, not patterns. */
const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export const Query: QueryResolvers = {
  order: async (_, { id }, { loaders }) => (await loaders.orderById.load(id)) ?? Promise.reject(notFound('Order', id)),
  orderByReference: async (_, { merchantId, reference }, { db, auth }) => {
    auth.requireMerchant('orders:read', merchantId);
    const [row] = await db
      .select()
      .from(orders)
      .where(and(readableOrders(auth), eq(orders.merchantId, merchantId), eq(orders.merchantReference, reference.trim())));
    if (!row) throw notFound('Order', reference);
    return row;
  },
  orders: async (_, { first, after, merchantId, status, createdFrom, createdTo, search }, { db, auth }) => {
    const size = pageSize(first);
    const cursor = after ? decodeCursor(after, 2) : undefined;
    const term = search?.trim();
    if (term !== undefined && term.length > 100) throw badUserInput('search', 'must be at most 100 characters');
    if (createdFrom && createdTo && createdFrom >= createdTo) throw badUserInput('createdTo', 'must be after createdFrom');
    const pattern = term ? `%${likeEscape(term)}%` : undefined;
    // The list is built once per scope kind and set of filters given (the filters' values are placeholders).
    const scope = readableOrdersPrepared(auth);
    const has = { merchantId: !!merchantId, status: !!status, createdFrom: !!createdFrom, createdTo: !!createdTo, pattern: !!pattern, cursor: !!cursor };
    const shape = (Object.keys(has) as (keyof typeof has)[]).filter((filter) => has[filter]);
    const p = (name: string) => sql.placeholder(name);
    const query = preparedQuery(db, `commerce.orders:${scope.shape}:${shape.join(',')}`, (name) =>
      db
        .select()
        .from(orders)
        .where(
          and(
            scope.condition,
            has.merchantId ? eq(orders.merchantId, p('merchantId')) : undefined,
            has.status ? eq(orders.status, p('status')) : undefined,
            has.createdFrom ? gte(orders.createdAt, sql`${p('createdFrom')}::timestamptz`) : undefined,
            has.createdTo ? lt(orders.createdAt, sql`${p('createdTo')}::timestamptz`) : undefined,
            has.pattern
              ? or(ilike(orders.merchantReference, p('pattern')), ilike(orders.customerName, p('pattern')), ilike(orders.customerEmail, p('pattern')))
              : undefined,
            has.cursor ? sql`(${orders.createdAt}, ${orders.id}) < (${p('afterCreatedAt')}::timestamptz, ${p('afterId')})` : undefined,
          ),
        )
        .orderBy(desc(orders.createdAt), desc(orders.id))
        .limit(p('limit'))
        .prepare(name),
    );
    const rows = await query.execute({
      ...scope.values,
      merchantId,
      status,
      createdFrom: createdFrom?.toISOString(),
      createdTo: createdTo?.toISOString(),
      pattern,
      afterCreatedAt: cursor?.[0],
      afterId: cursor?.[1],
      limit: size + 1,
    });
    return toConnection(rows, size, orderCursorKey);
  },
  importJob: async (_, { id }, { db, auth }) => {
    const scope = auth.require('orders:import');
    const [job] = await db
      .select()
      .from(importJobs)
      .where(and(eq(importJobs.id, id), scopeCondition(scope, auth.livemode, importJobs)));
    if (!job) throw notFound('ImportJob', id);
    return job;
  },
  integrations: async (_, { merchantId }, { db, auth }) => {
    auth.requireMerchant('integrations:read', merchantId);
    return db
      .select()
      .from(integrations)
      .where(and(eq(integrations.merchantId, merchantId), eq(integrations.livemode, auth.livemode)))
      .orderBy(desc(integrations.createdAt));
  },
  return: async (_, { id }, { loaders }) => (await loaders.returnById.load(id)) ?? Promise.reject(notFound('Return', id)),
  returns: (_, { merchantId, status, first }, ctx) => listReturns(ctx, merchantId, status, first),
  returnReasons: async (_, { merchantId, includeArchived }, { db, auth }) => {
    auth.requireMerchant('orders:read', merchantId);
    return db
      .select()
      .from(returnReasons)
      .where(
        and(
          eq(returnReasons.merchantId, merchantId),
          eq(returnReasons.livemode, auth.livemode),
          includeArchived ? undefined : sql`${returnReasons.archivedAt} is null`,
        ),
      )
      .orderBy(returnReasons.code);
  },
  retentionOffers: async (_, { merchantId }, { db, auth }) => {
    auth.requireMerchant('orders:read', merchantId);
    return db
      .select()
      .from(retentionOffers)
      .where(and(eq(retentionOffers.merchantId, merchantId), eq(retentionOffers.livemode, auth.livemode)))
      .orderBy(retentionOffers.createdAt);
  },
  retentionStats: (_, { merchantId, from, to }, ctx) => retentionStats(ctx, merchantId, from, to),
  auditTrail: auditTrailRoot,
  _event_orderEvents: (_, { event }, { auth }) => deliveredEvent(auth, event),
};
