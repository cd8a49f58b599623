import { eq, sql } from 'drizzle-orm';
import type { BusEvent, EventBus, Logger, Subscription } from '@ipay/platform';
import { orderProjections, paymentProjections } from '../db/schema.ts';
import type { LogisticsServices } from '../services.ts';
import { issueReleaseForOrder } from './releases.ts';
import type { Db } from './system.ts';

const PAYMENT_STATUSES = ['CREATED', 'REQUESTED', 'AUTHORISED', 'CONFIRMED', 'FAILED', 'EXPIRED', 'CANCELLED', 'PARTIALLY_REFUNDED', 'REFUNDED'];

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/** order.created → what logistics needs of an order: merchant slug, mode, currency, shipping address. Idempotent. */
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
  const values = { orderId, merchantId, merchantSlug: slug, livemode: event.livemode, reference: str(p.reference), currency, totalMinor: amount, shippingAddress, updatedAt: new Date() };
  await db.insert(orderProjections).values(values).onConflictDoUpdate({ target: orderProjections.orderId, set: values });
}

/**
 * payment.* and refund.created → the order's payment status. Events are applied only if newer than the last one
 * applied (ids are time-ordered), so a redelivered payment.requested never rolls CONFIRMED back.
 * Returns the order id when the payment became CONFIRMED.
 */
export async function applyPaymentEvent(db: Db, event: BusEvent, logger: Logger): Promise<string | null> {
  const p = event.payload;
  const orderId = str(p.order_id);
  const payment = obj(p.payment);
  const status = str(payment?.status)?.toUpperCase() ?? null;
  if (!orderId || !payment || !status || !PAYMENT_STATUSES.includes(status) || !event.merchantId) {
    logger.warn({ eventId: event.id, type: event.type }, 'payment event without order_id, payment or a known status; skipped');
    return null;
  }
  const [current] = await db.select().from(paymentProjections).where(eq(paymentProjections.orderId, orderId));
  if (current && current.lastEventId > event.id) return null;
  // A redelivery of the event last applied: nothing to store, but finish its follow-up (issuing is idempotent).
  if (current && current.lastEventId === event.id) return current.status === 'CONFIRMED' && event.type === 'payment.confirmed' ? orderId : null;
  if (event.type === 'refund.created') {
    if (!current) return null; // a refund of a payment never seen: nothing to update
    await db.update(paymentProjections).set({ status, lastEventId: event.id, updatedAt: new Date() }).where(eq(paymentProjections.orderId, orderId));
    return null;
  }
  const paymentId = str(payment.id);
  const psp = str(payment.psp);
  const currency = str(payment.currency);
  const amount = int(payment.amount_minor);
  if (!paymentId || !psp || !currency || amount === null) {
    logger.warn({ eventId: event.id, type: event.type }, 'payment event without payment id, psp or amount; skipped');
    return null;
  }
  const values = { orderId, merchantId: event.merchantId, livemode: event.livemode, paymentId, psp, status, amountMinor: amount, currency, lastEventId: event.id, updatedAt: new Date() };
  await db
    .insert(paymentProjections)
    .values(values)
    .onConflictDoUpdate({ target: paymentProjections.orderId, set: values, setWhere: sql`${paymentProjections.lastEventId} < ${event.id}` });
  return status === 'CONFIRMED' ? orderId : null;
}

export async function handleEvent(db: Db, services: LogisticsServices, event: BusEvent, logger: Logger): Promise<void> {
  switch (event.type) {
    case 'order.created':
      await applyOrderCreated(db, event, logger);
      return;
    case 'payment.requested':
    case 'payment.confirmed':
    case 'payment.failed':
    case 'refund.created': {
      const confirmedOrder = await applyPaymentEvent(db, event, logger);
      // Pay on arrival: a confirmed payment of a shipped order gets its release code now.
      if (confirmedOrder) await issueReleaseForOrder(db, services, confirmedOrder, event.livemode);
      return;
    }
    default:
  }
}

/** One durable consumer, so order and payment events of an order are applied in the order they happened. */
export async function consumeCommerceAndPayments(db: Db, bus: EventBus, services: LogisticsServices, logger: Logger): Promise<Subscription[]> {
  return [await bus.consume('logistics-projections', (event) => handleEvent(db, services, event, logger))];
}
