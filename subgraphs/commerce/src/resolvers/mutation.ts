import { and, eq } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import { badUserInput, notFound, scopeCondition } from '@ipay/platform';
import { idempotencyKeys, integrations, merchants, orders, type IntegrationRow } from '../db/schema.ts';
import type { Context } from '../context.ts';
import { CANCELLABLE, illegalTransition } from '../domain/order-status.ts';
import { requestFingerprint, validateOrderInput } from '../domain/order-input.ts';
import type { MutationResolvers } from '../generated/graphql.ts';
import { createImportJob, parseImport, runImportJob } from '../services/imports.ts';
import { insertOrders, knownMerchant, orderRowFor, transitionOrder } from '../services/orders.ts';
import * as returns from '../services/returns.ts';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{8,255}$/;

function idempotencyConflict(key: string): GraphQLError {
  return new GraphQLError(`idempotencyKey: "${key}" was already used with a different request body`, {
    extensions: { code: 'IDEMPOTENCY_CONFLICT', field: 'idempotencyKey' },
  });
}

/** Thrown inside the transaction when a concurrent request with the same key committed first. */
class KeyTaken extends Error {}

async function integrationFor(ctx: Context, id: string, permission: 'integrations:manage' | 'integrations:read'): Promise<IntegrationRow> {
  const scope = ctx.auth.require(permission);
  const [row] = await ctx.db.select().from(integrations).where(and(eq(integrations.id, id), scopeCondition(scope, ctx.auth.livemode, integrations)));
  if (!row) throw notFound('Integration', id);
  return row;
}

export const Mutation: MutationResolvers = {
  createOrder: async (_, { input, idempotencyKey }, ctx) => {
    const { auth, db } = ctx;
    auth.requireMerchant('orders:create', input.merchantId);
    const livemode = auth.livemode;
    if (!IDEMPOTENCY_KEY.test(idempotencyKey)) throw badUserInput('idempotencyKey', 'must be 8 to 255 printable characters without spaces');
    const valid = validateOrderInput(input);
    const fingerprint = requestFingerprint(input.merchantId, valid);
    const merchant = await knownMerchant(db, input.merchantId, 'merchantId');

    /** A key seen before: the same body replays its order, another body is a conflict. */
    const replay = async () => {
      const [stored] = await db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.merchantId, input.merchantId), eq(idempotencyKeys.livemode, livemode), eq(idempotencyKeys.key, idempotencyKey)));
      if (!stored) return null;
      if (stored.requestHash !== fingerprint) throw idempotencyConflict(idempotencyKey);
      const [order] = await db.select().from(orders).where(eq(orders.id, stored.orderId));
      return order ?? null;
    };
    const earlier = await replay();
    if (earlier) return earlier;
    try {
      return await ctx.mutate(async (uow) => {
        const row = orderRowFor(valid, input.merchantId, livemode, 'API');
        // The key row is claimed first: a concurrent duplicate waits on it and then finds it taken.
        const claimed = await uow.tx
          .insert(idempotencyKeys)
          .values({ merchantId: input.merchantId, livemode, key: idempotencyKey, requestHash: fingerprint, orderId: row.id! })
          .onConflictDoNothing()
          .returning();
        if (!claimed.length) throw new KeyTaken();
        const [created] = await insertOrders(uow, [row], () => merchant.slug);
        if (!created) throw badUserInput('merchantReference', `"${valid.merchantReference}" is already used by another order of this merchant`);
        return created;
      });
    } catch (error) {
      if (!(error instanceof KeyTaken)) throw error;
      const order = await replay();
      if (!order) throw error;
      return order;
    }
  },

  cancelOrder: async (_, { id, reason }, ctx) => {
    const order = await ctx.loaders.orderById.load(id);
    if (!order) throw notFound('Order', id);
    ctx.auth.requireMerchant('orders:cancel', order.merchantId, 'Order', id);
    const text = reason.trim();
    if (!text) throw badUserInput('reason', 'is required');
    if (text.length > 500) throw badUserInput('reason', 'must be at most 500 characters');
    if (!CANCELLABLE.includes(order.status)) throw illegalTransition(order.status, 'CANCELLED');
    const [merchant] = await ctx.db.select({ slug: merchants.slug }).from(merchants).where(eq(merchants.id, order.merchantId));
    return ctx.mutate((uow) => transitionOrder(uow, id, 'CANCELLED', { action: 'order.cancel', merchantSlug: merchant?.slug ?? order.merchantId, reason: text }));
  },

  importOrders: async (_, { merchantId, format, content }, ctx) => {
    ctx.auth.requireMerchant('orders:import', merchantId);
    const merchant = await knownMerchant(ctx.db, merchantId);
    const rows = parseImport(format, content);
    const job = await createImportJob(ctx.mutate, merchantId, ctx.auth.livemode, format, rows.length);
    // The job runs after the response; clients poll importJob(id). Its transactions still carry the caller as actor.
    void runImportJob(ctx.db, ctx.mutate, job, rows, merchant.slug, ctx.logger);
    return job;
  },

  connectIntegration: async (_, { merchantId, platform, credentials, baseUrl, authBaseUrl }, ctx) => {
    ctx.auth.requireMerchant('integrations:manage', merchantId);
    return ctx.services.integrations.connect(ctx.mutate, { merchantId, livemode: ctx.auth.livemode, platform: platform.trim().toLowerCase(), credentials, baseUrl, authBaseUrl });
  },

  disconnectIntegration: async (_, { id }, ctx) => ctx.services.integrations.disconnect(ctx.mutate, await integrationFor(ctx, id, 'integrations:manage')),

  syncIntegrationNow: async (_, { id }, ctx) => {
    const row = await integrationFor(ctx, id, 'integrations:manage');
    if (row.status === 'DISCONNECTED' || row.status === 'PENDING') throw badUserInput('id', `integration is ${row.status}; connect it first`);
    return (await ctx.services.integrations.syncNow(id)).row;
  },

  createReturnReason: (_, { merchantId, input }, ctx) => returns.createReturnReason(ctx, merchantId, input),
  updateReturnReason: (_, { id, input }, ctx) => returns.updateReturnReason(ctx, id, input),
  archiveReturnReason: (_, { id }, ctx) => returns.updateReturnReason(ctx, id, {}, true),
  createRetentionOffer: (_, { merchantId, input }, ctx) => returns.createRetentionOffer(ctx, merchantId, input),
  updateRetentionOffer: (_, { id, input }, ctx) => returns.updateRetentionOffer(ctx, id, input),
  deleteRetentionOffer: (_, { id }, ctx) => returns.deleteRetentionOffer(ctx, id),
  requestReturn: (_, { input }, ctx) => returns.requestReturn(ctx, input),
  confirmReturn: (_, { id }, ctx) => returns.confirmReturn(ctx, id),
  acceptRetentionOffer: (_, { returnId, offerId }, ctx) => returns.acceptRetentionOffer(ctx, returnId, offerId),
  inspectReturn: (_, { id, approved, note }, ctx) => returns.inspectReturn(ctx, id, approved, note),
};
