import { and, eq } from 'drizzle-orm';
import type { GraphQLError } from 'graphql';
import { badUserInput, domainError, notFound, scopeCondition } from '@ipay/platform';
import { idempotencyKeys, integrations, merchants, orders, type IntegrationRow, type OrderRow } from '../db/schema.ts';
import type { Context } from '../context.ts';
import { CANCELLABLE, illegalTransition } from '../domain/order-status.ts';
import { requestFingerprint, validateOrderInput, type OrderInput } from '../domain/order-input.ts';
import { insertOrders, knownMerchant, orderRowFor, transitionOrder } from './orders.ts';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{8,255}$/;

function idempotencyConflict(key: string): GraphQLError {
  return domainError('IDEMPOTENCY_KEY_REUSED', `idempotencyKey: "${key}" was already used with a different request body`, { field: 'idempotencyKey' });
}

/** Thrown inside the transaction when a concurrent request with the same key committed first. */
class KeyTaken extends Error {}

/**
 * Creates an order once per idempotency key: the same key with the same body replays the order it created, with
 * another body it is a conflict; a concurrent duplicate waits on the key row and then replays.
 */
export async function createOrderIdempotently(ctx: Context, input: OrderInput & { merchantId: string }, idempotencyKey: string): Promise<OrderRow> {
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
}

/** The merchant cancels an order nothing has been paid or shipped for yet. */
export async function cancelOrder(ctx: Context, id: string, reason: string): Promise<OrderRow> {
  const order = await ctx.loaders.orderById.load(id);
  if (!order) throw notFound('Order', id);
  ctx.auth.requireMerchant('orders:cancel', order.merchantId, 'Order', id);
  const text = reason.trim();
  if (!text) throw badUserInput('reason', 'is required');
  if (text.length > 500) throw badUserInput('reason', 'must be at most 500 characters');
  if (!CANCELLABLE.includes(order.status)) throw illegalTransition(order.status, 'CANCELLED');
  const [merchant] = await ctx.db.select({ slug: merchants.slug }).from(merchants).where(eq(merchants.id, order.merchantId));
  return ctx.mutate((uow) => transitionOrder(uow, id, 'CANCELLED', { action: 'order.cancel', merchantSlug: merchant?.slug ?? order.merchantId, reason: text }));
}

/** An integration the caller may read or manage, in its mode. */
export async function integrationFor(ctx: Context, id: string, permission: 'integrations:manage' | 'integrations:read'): Promise<IntegrationRow> {
  const scope = ctx.auth.require(permission);
  const [row] = await ctx.db
    .select()
    .from(integrations)
    .where(and(eq(integrations.id, id), scopeCondition(scope, ctx.auth.livemode, integrations)));
  if (!row) throw notFound('Integration', id);
  return row;
}
