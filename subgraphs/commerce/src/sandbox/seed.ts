import { SANDBOX_MERCHANTS, SANDBOX_ORDERS, sandboxId, type Database } from '@ipay/platform';
import { merchants, orders, retentionOffers, returnReasons, returns } from '../db/schema.ts';
import { offersFor, returnLinesFor, returnValue, type RetentionOfferRule } from '../domain/returns.ts';
import type * as schema from '../db/schema.ts';

export async function seed(db: Database<typeof schema>): Promise<void> {
  // Sandbox merchants are seeded by identity, not announced: the projection starts from the same fixture.
  await db
    .insert(merchants)
    .values(SANDBOX_MERCHANTS.map((m) => ({ id: m.id, slug: m.slug, name: m.name, country: m.country, currency: m.currency })))
    .onConflictDoNothing();
  await db
    .insert(orders)
    .values(
      SANDBOX_ORDERS.map((o) => ({
        id: o.id,
        merchantId: o.merchantId,
        livemode: false,
        merchantReference: o.reference,
        status: o.status,
        totalAmount: o.amount,
        currency: o.currency,
        customerName: o.customerName,
        customerEmail: o.customerEmail,
        shippingAddress: { ...o.shippingAddress, line2: null, region: null },
        subtotalAmount: o.amount,
        // One line worth the whole order, so a delivered sandbox order can be returned.
        lines: [{ sku: `${o.reference}-1`, name: 'Sandbox item', quantity: 1, unitAmount: o.amount }],
        source: 'SANDBOX' as const,
        createdAt: o.createdAt,
        updatedAt: o.createdAt,
      })),
    )
    .onConflictDoNothing();

  await seedReturn(db);
}

/**
 * Sandbox returns. Bella Moda's delivered sandbox order has a return waiting for the consumer's choice: a WRONG_SIZE return the
 * merchant's exchange offer applies to (confirm it with the plain refund, or accept the exchange).
 */
async function seedReturn(db: Database<typeof schema>): Promise<void> {
  const merchant = SANDBOX_MERCHANTS.find((m) => m.slug === 'bella-moda')!;
  const order = SANDBOX_ORDERS.find((o) => o.merchantId === merchant.id && o.status === 'DELIVERED')!;
  const reasonCode = 'WRONG_SIZE';
  const rule: RetentionOfferRule = {
    id: sandboxId('rof', `${merchant.slug}:exchange`),
    kind: 'EXCHANGE',
    partialRefundBps: null,
    bonusBps: null,
    reasonCodes: [reasonCode],
    active: true,
  };
  const lines = returnLinesFor([{ sku: `${order.reference}-1`, name: 'Sandbox item', quantity: 1, unitAmount: order.amount }], [], new Map());
  const value = returnValue(lines);
  const createdAt = new Date(order.createdAt.getTime() + 7 * 86_400_000);
  await db
    .insert(returnReasons)
    .values({
      id: sandboxId('rrs', `${merchant.slug}:${reasonCode}`),
      merchantId: merchant.id,
      livemode: false,
      code: reasonCode,
      label: 'Wrong size',
      createdAt,
      updatedAt: createdAt,
    })
    .onConflictDoNothing();
  await db
    .insert(retentionOffers)
    .values({ ...rule, reasonCodes: [...rule.reasonCodes!], merchantId: merchant.id, livemode: false, createdAt, updatedAt: createdAt })
    .onConflictDoNothing();
  await db
    .insert(returns)
    .values({
      id: sandboxId('ret', order.id),
      orderId: order.id,
      merchantId: merchant.id,
      livemode: false,
      status: 'REQUESTED',
      method: 'DROP_OFF',
      reasonCode,
      lines,
      currency: order.currency,
      valueAmount: value,
      offeredOffers: offersFor([rule], reasonCode, value),
      createdAt,
      updatedAt: createdAt,
    })
    .onConflictDoNothing();

  // Nordic Goods' delivered order came back: its DAMAGED return was received and waits for inspection.
  const nordic = SANDBOX_MERCHANTS.find((m) => m.slug === 'nordic-goods')!;
  const received = SANDBOX_ORDERS.find((o) => o.merchantId === nordic.id && o.status === 'DELIVERED')!;
  const receivedLines = returnLinesFor([{ sku: `${received.reference}-1`, name: 'Sandbox item', quantity: 1, unitAmount: received.amount }], [], new Map());
  const requestedAt = new Date(received.createdAt.getTime() + 7 * 86_400_000);
  const receivedAt = new Date(requestedAt.getTime() + 3 * 86_400_000);
  await db
    .insert(returnReasons)
    .values({
      id: sandboxId('rrs', `${nordic.slug}:DAMAGED`),
      merchantId: nordic.id,
      livemode: false,
      code: 'DAMAGED',
      label: 'Arrived damaged',
      createdAt: requestedAt,
      updatedAt: requestedAt,
    })
    .onConflictDoNothing();
  await db
    .insert(returns)
    .values({
      id: sandboxId('ret', received.id),
      orderId: received.id,
      merchantId: nordic.id,
      livemode: false,
      status: 'RECEIVED',
      method: 'DROP_OFF',
      reasonCode: 'DAMAGED',
      lines: receivedLines,
      currency: received.currency,
      valueAmount: returnValue(receivedLines),
      outcome: 'REFUND',
      confirmedAt: requestedAt,
      createdAt: requestedAt,
      updatedAt: receivedAt,
    })
    .onConflictDoNothing();
}
