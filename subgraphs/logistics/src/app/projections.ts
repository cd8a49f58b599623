import { eq } from 'drizzle-orm';
import { parseOrderPaymentState, type BusEvent, type EventBus, type Logger, type Subscription } from '@ipay/platform';
import { orderPaymentStates, orderProjections } from '../db/schema.ts';
import type { LogisticsServices } from './services.ts';
import { lockOrder, reconcileReleases } from './releases.ts';
import { runAsSystem, type Db } from './system.ts';

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/** order.created → what logistics needs of an order: merchant slug, mode, currency, shipping address, status. Idempotent. */
export async function applyOrderCreated(db: Db, event: BusEvent, logger: Logger): Promise<void> {
  const p = event.payload;
  const orderId = str(p.order_id);
  const slug = str(p.merchant);
  const merchantId = str(p.merchant_id) ?? event.merchantId;
  const total = obj(p.total);
  const currency = str(total?.currency);
  const amount = int(total?.amount_minor);
  if (!orderId || !slug || !merchantId || !currency || amount === null) {
    logger.warn({ eventId: event.id }, 'order.created without order_id, merchant, merchant_id or total; skipped');
    return;
  }
  const address = obj(p.shipping_address);
  const shippingAddress =
    address && str(address.country) && str(address.postal_code)
      ? {
          name: str(address.name) ?? undefined,
          line1: str(address.line1) ?? undefined,
          line2: str(address.line2),
          city: str(address.city) ?? undefined,
          postal_code: str(address.postal_code)!,
          country: str(address.country)!,
        }
      : null;
  const values = {
    orderId,
    merchantId,
    merchantSlug: slug,
    livemode: event.livemode,
    reference: str(p.reference),
    currency,
    totalMinor: amount,
    shippingAddress,
    updatedAt: new Date(),
  };
  // The status only on first sight: a redelivered order.created never rolls a later status_changed back.
  await db
    .insert(orderProjections)
    .values({ ...values, status: str(p.status) ?? 'CREATED' })
    .onConflictDoUpdate({ target: orderProjections.orderId, set: values });
}

/**
 * order.status_changed → the order's status. Commerce's state machine only moves forward, so the newest event
 * (time-ordered ids) holds, and CANCELLED is final. A cancellation revokes the order's release authorizations in
 * the same transaction.
 */
export async function applyOrderStatusChanged(db: Db, services: LogisticsServices, event: BusEvent, logger: Logger): Promise<void> {
  const orderId = str(event.payload.order_id);
  const to = str(event.payload.to);
  if (!orderId || !to) {
    logger.warn({ eventId: event.id }, 'order.status_changed without order_id or to; skipped');
    return;
  }
  await runAsSystem(db, 'order-status', event.livemode, async (uow) => {
    await lockOrder(uow.tx, orderId);
    const [order] = await uow.tx.select().from(orderProjections).where(eq(orderProjections.orderId, orderId));
    if (!order) {
      logger.warn({ eventId: event.id, orderId }, 'order.status_changed for an order logistics never saw created; skipped');
      return recordSkip(uow, orderId, event, 'unknown order');
    }
    const stale = order.status === 'CANCELLED' || (order.statusEventId !== null && order.statusEventId >= event.id);
    if (!stale) {
      await uow.tx.update(orderProjections).set({ status: to, statusEventId: event.id, updatedAt: new Date() }).where(eq(orderProjections.orderId, orderId));
      uow.audit({
        action: 'order.status_projected',
        entityType: 'Order',
        entityId: orderId,
        merchantId: order.merchantId,
        before: { status: order.status },
        after: { status: to, cause: event.id },
      });
    } else {
      recordSkip(uow, orderId, event, `already ${order.status}`);
    }
    // Always reconcile (also on a redelivery): the revocation is idempotent and must not depend on the first try.
    await reconcileReleases(uow, services, orderId, event.id);
  });
}

/**
 * order.payment_state_changed → the order's payment state, keyed by order and applied only with a higher version
 * (never "last event wins"); then the order's releases follow it: issued when fully paid and shipped, revoked when it
 * stops being fully paid.
 */
export async function applyPaymentState(db: Db, services: LogisticsServices, event: BusEvent, logger: Logger): Promise<void> {
  const state = parseOrderPaymentState(event.payload);
  if (!state || !event.merchantId) {
    logger.warn({ eventId: event.id }, 'order.payment_state_changed that does not hold to the contract; skipped');
    return;
  }
  const merchantId = event.merchantId;
  await runAsSystem(db, 'payment-state', event.livemode, async (uow) => {
    await lockOrder(uow.tx, state.order_id);
    const [current] = await uow.tx.select().from(orderPaymentStates).where(eq(orderPaymentStates.orderId, state.order_id));
    if (current && current.version >= state.version) {
      recordSkip(uow, state.order_id, event, `version ${state.version} is not newer than ${current.version}`);
    } else {
      const values = {
        orderId: state.order_id,
        merchantId,
        livemode: event.livemode,
        version: state.version,
        state: state.state,
        currency: state.amount_due.currency,
        amountDueMinor: state.amount_due.amount_minor,
        capturedMinor: state.captured.amount_minor,
        refundedMinor: state.refunded.amount_minor,
        paymentSessionId: state.payment_session_id,
        psp: state.psp,
        paidAt: state.paid_at ? new Date(state.paid_at) : null,
        eventId: event.id,
        updatedAt: new Date(),
      };
      await uow.tx.insert(orderPaymentStates).values(values).onConflictDoUpdate({ target: orderPaymentStates.orderId, set: values });
      uow.audit({
        action: 'order.payment_state_projected',
        entityType: 'Order',
        entityId: state.order_id,
        merchantId,
        before: current ? { version: current.version, state: current.state } : null,
        after: { version: state.version, state: state.state, paymentSessionId: state.payment_session_id, cause: event.id },
      });
    }
    await reconcileReleases(uow, services, state.order_id, event.id);
  });
}

/** An event that changed no projection still leaves a trace (and satisfies the audit rule of every mutation). */
function recordSkip(
  uow: { audit: (entry: Parameters<import('./system.ts').Uow['audit']>[0]) => void },
  orderId: string,
  event: BusEvent,
  reason: string,
): void {
  uow.audit({
    action: 'event.skipped',
    entityType: 'Order',
    entityId: orderId,
    merchantId: event.merchantId,
    after: { eventId: event.id, type: event.type, reason },
  });
}

export async function handleEvent(db: Db, services: LogisticsServices, event: BusEvent, logger: Logger): Promise<void> {
  switch (event.type) {
    case 'order.created':
      await applyOrderCreated(db, event, logger);
      return;
    case 'order.status_changed':
      await applyOrderStatusChanged(db, services, event, logger);
      return;
    // The only source of "paid": payment.* and refund.created of single sessions never decide a release.
    case 'order.payment_state_changed':
      await applyPaymentState(db, services, event, logger);
      return;
    default:
  }
}

/** One durable consumer, so order and payment events of an order are applied in the order they happened. */
export async function consumeCommerceAndPayments(db: Db, bus: EventBus, services: LogisticsServices, logger: Logger): Promise<Subscription[]> {
  return [await bus.consume('logistics-projections', (event) => handleEvent(db, services, event, logger))];
}
