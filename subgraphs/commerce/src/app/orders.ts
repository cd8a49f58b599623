import { and, eq, sql } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import { badUserInput, newId, wireMoney, type Database, type UnitOfWork } from '@ipay/platform';
import { merchants, orders, type MerchantRow, type OrderRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { assertTransition, type OrderStatus } from '../domain/order-status.ts';
import type { ValidOrder } from '../domain/order-input.ts';

type Schema = typeof schema;
type Uow = UnitOfWork<Schema>;
export type NewOrderRow = typeof orders.$inferInsert;

/** The merchant as commerce knows it (projection); an unknown merchant cannot take orders. */
export async function knownMerchant(db: Database<Schema>, merchantId: string, field = 'merchantId'): Promise<MerchantRow> {
  const [merchant] = await db.select().from(merchants).where(eq(merchants.id, merchantId));
  if (!merchant) throw badUserInput(field, `merchant ${merchantId} is not known to commerce`);
  return merchant;
}

export async function merchantSlugs(db: Database<Schema>): Promise<Map<string, string>> {
  const rows = await db.select({ id: merchants.id, slug: merchants.slug }).from(merchants);
  return new Map(rows.map((r) => [r.id, r.slug]));
}

export function orderRowFor(valid: ValidOrder, merchantId: string, livemode: boolean, source: NewOrderRow['source'], now = new Date()): NewOrderRow {
  return {
    id: newId('ord'),
    merchantId,
    livemode,
    merchantReference: valid.merchantReference,
    status: 'CREATED',
    totalAmount: valid.totalAmount,
    currency: valid.currency,
    customerName: valid.customerName,
    customerEmail: valid.customerEmail,
    customerPhone: valid.customerPhone,
    subtotalAmount: valid.subtotalAmount,
    shippingAmount: valid.shippingAmount,
    discountAmount: valid.discountAmount,
    adjustmentAmount: 0,
    lines: valid.lines,
    shippingAddress: valid.shippingAddress,
    source,
    createdAt: now,
    updatedAt: now,
  };
}

/** The agreed order.created contract. */
export function orderCreatedPayload(order: OrderRow, merchantSlug: string) {
  const address = order.shippingAddress;
  return {
    order_id: order.id,
    merchant: merchantSlug,
    merchant_id: order.merchantId,
    reference: order.merchantReference,
    status: order.status,
    total: wireMoney(order.totalAmount, order.currency),
    customer: { name: order.customerName, email: order.customerEmail },
    shipping_address: address
      ? { name: address.name, line1: address.line1, line2: address.line2, city: address.city, postal_code: address.postalCode, country: address.country }
      : null,
    source: order.source.toLowerCase(),
  };
}

/**
 * Inserts orders, skipping any whose natural key (merchant reference, or platform + external id) already exists, and
 * records each created order's audit entry and order.created event in the same transaction.
 */
export async function insertOrders(uow: Uow, rows: NewOrderRow[], slugOf: (merchantId: string) => string, action = 'order.create'): Promise<OrderRow[]> {
  if (!rows.length) return [];
  const created = await uow.tx.insert(orders).values(rows).onConflictDoNothing().returning();
  for (const order of created) {
    uow.audit({
      action,
      entityType: 'Order',
      entityId: order.id,
      merchantId: order.merchantId,
      livemode: order.livemode,
      before: null,
      after: auditView(order),
    });
    uow.emit({
      type: 'order.created',
      subjectId: order.id,
      merchantId: order.merchantId,
      livemode: order.livemode,
      payload: orderCreatedPayload(order, slugOf(order.merchantId)),
    });
  }
  return created;
}

/** What the audit trail keeps of an order: the business fields, not the personal address. */
export const auditView = (order: OrderRow) => ({
  merchantReference: order.merchantReference,
  status: order.status,
  totalAmount: order.totalAmount,
  currency: order.currency,
  source: order.source,
  externalId: order.externalId,
  cancellationReason: order.cancellationReason,
});

/**
 * Moves an order along the state machine under a row lock, audits it and emits order.status_changed. Throws
 * ILLEGAL_TRANSITION when the move is not allowed from the order's current status.
 */
export async function transitionOrder(
  uow: Uow,
  orderId: string,
  to: OrderStatus,
  options: { action: string; merchantSlug: string; reason?: string | null; cause?: string; expectedFrom?: (from: OrderStatus) => boolean },
): Promise<OrderRow> {
  const [before] = await uow.tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  if (!before) throw new GraphQLError(`Order ${orderId} not found`, { extensions: { code: 'NOT_FOUND', entity: 'Order', id: orderId } });
  assertTransition(before.status, to);
  const [after] = await uow.tx
    .update(orders)
    .set({ status: to, updatedAt: sql`now()`, ...(to === 'CANCELLED' ? { cancellationReason: options.reason ?? null } : {}) })
    .where(and(eq(orders.id, orderId), eq(orders.status, before.status)))
    .returning();
  uow.audit({
    action: options.action,
    entityType: 'Order',
    entityId: orderId,
    merchantId: before.merchantId,
    livemode: before.livemode,
    before: auditView(before),
    after: auditView(after!),
  });
  uow.emit({
    type: 'order.status_changed',
    subjectId: orderId,
    merchantId: before.merchantId,
    livemode: before.livemode,
    payload: {
      order_id: orderId,
      merchant: options.merchantSlug,
      from: before.status,
      to,
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.cause ? { cause: options.cause } : {}),
    },
  });
  return after!;
}
