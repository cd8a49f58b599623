import { eq } from 'drizzle-orm';
import { isIsoCurrency, type BusEvent, type Database, type Logger } from '@ipay/platform';
import { consumerOrders } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { normalizePostalCode, normalizeReference } from '../domain/consumer.ts';
import { CONSUMER_MAIL_EVENTS, queueConsumerMail } from './consumer-mail.ts';

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/**
 * Keeps identity's order projection (for consumer access) in step with commerce. At least once and in order:
 * inserting an order twice keeps the first row; a status change sets the status it announces.
 */
export async function projectOrderForConsumers(db: Database<typeof schema>, event: BusEvent, logger: Logger): Promise<void> {
  const p = event.payload;
  if (event.type === 'order.created') {
    const total = (p.total ?? {}) as Record<string, unknown>;
    const address = (p.shipping_address ?? null) as Record<string, unknown> | null;
    const customer = (p.customer ?? null) as Record<string, unknown> | null;
    if (!isString(p.order_id) || !isString(p.reference) || !isString(p.status) || !event.merchantId) {
      logger.error({ eventId: event.id }, 'order.created without order_id, reference, status or merchant id; not projected for consumers');
      return;
    }
    if (typeof total.amount_minor !== 'number' || !Number.isSafeInteger(total.amount_minor) || !isString(total.currency) || !isIsoCurrency(total.currency)) {
      logger.error({ eventId: event.id }, 'order.created without a total in minor units; not projected for consumers');
      return;
    }
    await db
      .insert(consumerOrders)
      .values({
        orderId: p.order_id,
        merchantId: event.merchantId,
        livemode: event.livemode,
        reference: normalizeReference(p.reference),
        postalCode: address && isString(address.postal_code) ? normalizePostalCode(address.postal_code) : null,
        country: address && isString(address.country) && address.country.length === 2 ? address.country.toUpperCase() : null,
        customerName: customer && isString(customer.name) ? customer.name : null,
        customerEmail: customer && isString(customer.email) ? customer.email.trim() : null,
        totalAmount: total.amount_minor,
        currency: total.currency,
        status: p.status,
      })
      .onConflictDoNothing();
  } else if (event.type === 'order.status_changed') {
    if (!isString(p.order_id) || !isString(p.to)) return;
    await db
      .update(consumerOrders)
      .set({ status: p.to, updatedAt: new Date(event.occurredAt) })
      .where(eq(consumerOrders.orderId, p.order_id));
  } else if (CONSUMER_MAIL_EVENTS.has(event.type)) {
    // In the same consumer as the orders it needs, so the order is always projected first.
    await queueConsumerMail(db, event, logger);
  }
}
