import { createHash } from 'node:crypto';
import { SANDBOX_MERCHANTS, SANDBOX_ORDERS, sandboxId, type Database, type SandboxOrderStatus } from '@ipay/platform';
import { orderPaymentStates, orders, paymentSessions, type PaymentSessionRow } from '../db/schema.ts';
import { orderPaymentFacts } from '../domain/order-payment.ts';
import type * as schema from '../db/schema.ts';
import { paymentReferenceFromNumber } from '../domain/reference.ts';

/** What the payment of an order in each sandbox order status looks like; a new order has no session yet. */
const SESSION_STATUS: Record<SandboxOrderStatus, PaymentSessionRow['status'] | null> = {
  CREATED: null,
  AWAITING_PAYMENT: 'REQUESTED',
  PAID: 'CONFIRMED',
  OUT_FOR_DELIVERY: 'CONFIRMED',
  RELEASED: 'CONFIRMED',
  DELIVERED: 'CONFIRMED',
  RETURNED: 'CONFIRMED',
  REFUNDED: 'REFUNDED',
  CANCELLED: 'CANCELLED',
};

const PSPS = [
  { psp: 'adyen', method: 'card' },
  { psp: 'stripe', method: 'card' },
  { psp: 'mollie', method: 'ideal' },
];

const CAPTURED: ReadonlySet<PaymentSessionRow['status']> = new Set(['CONFIRMED', 'PARTIALLY_REFUNDED', 'REFUNDED']);

export async function seed(db: Database<typeof schema>): Promise<void> {
  // The orders projection starts with the sandbox orders commerce seeds (sandbox orders are not announced as events).
  const slugOf = new Map(SANDBOX_MERCHANTS.map((m) => [m.id, m.slug]));
  await db
    .insert(orders)
    .values(
      SANDBOX_ORDERS.map((order) => ({
        id: order.id,
        merchantId: order.merchantId,
        merchant: slugOf.get(order.merchantId)!,
        livemode: false,
        reference: order.reference,
        status: order.status,
        amount: order.amount,
        currency: order.currency,
        updatedAt: order.createdAt,
      })),
    )
    .onConflictDoNothing();

  const rows = SANDBOX_ORDERS.flatMap((order, i) => {
    const status = SESSION_STATUS[order.status];
    if (!status) return [];
    const referenceSeed = BigInt(`0x${createHash('sha256').update(order.id).digest('hex').slice(0, 12)}`);
    const createdAt = new Date(order.createdAt.getTime() + 5 * 60_000);
    const captured = CAPTURED.has(status) ? order.amount : 0;
    return [
      {
        id: sandboxId('pay', order.id),
        reference: paymentReferenceFromNumber(referenceSeed),
        orderId: order.id,
        merchantId: order.merchantId,
        livemode: false,
        status,
        amount: order.amount,
        currency: order.currency,
        ...PSPS[i % PSPS.length]!,
        authorizedAmount: captured,
        capturedAmount: captured,
        refundedAmount: status === 'REFUNDED' ? order.amount : 0,
        expiresAt: new Date(createdAt.getTime() + 24 * 3600_000),
        createdAt,
        updatedAt: createdAt,
      },
    ];
  });
  await db.insert(paymentSessions).values(rows).onConflictDoNothing();

  // The orders' payment state as payments would have published it (version 1), so later changes continue from it.
  const states = SANDBOX_ORDERS.flatMap((order) => {
    const session = rows.find((r) => r.orderId === order.id);
    if (!session) return [];
    const facts = orderPaymentFacts(order.amount, [
      {
        id: session.id,
        psp: session.psp,
        status: session.status,
        amount: session.amount,
        capturedAmount: session.capturedAmount,
        refundedAmount: session.refundedAmount,
        supersededReason: null,
      },
    ]);
    if (facts.state === 'UNPAID' && !facts.sessionId) return [];
    return [
      {
        orderId: order.id,
        merchantId: order.merchantId,
        livemode: false,
        version: 1,
        state: facts.state,
        amountDue: order.amount,
        captured: facts.captured,
        refunded: facts.refunded,
        currency: order.currency,
        sessionId: facts.sessionId,
        psp: facts.psp,
        paidAt: facts.captured > 0 ? session.createdAt : null,
        updatedAt: session.createdAt,
      },
    ];
  });
  if (states.length > 0) await db.insert(orderPaymentStates).values(states).onConflictDoNothing();
}
