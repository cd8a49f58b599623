import { and, asc, eq, ne } from 'drizzle-orm';
import { newId, wireMoney } from '@ipay/platform';
import { orderPaymentStates, orders, paymentSessions, refunds, type OrderRow, type PaymentSessionRow } from '../db/schema.ts';
import { afterChange, orderPaymentFacts, sameFacts, type OrderPaymentFacts, type SessionFacts } from '../domain/order-payment.ts';
import type { Tx, Uow } from './payments.ts';

/**
 * The order-level half of every session change, inside the caller's unit of work and under the order's row lock
 * (`lockOrder`, always taken before the session's lock, by every path that can move a session: start, PSP answer, PSP
 * notification, expiry, order cancellation). The partial unique index `payment_sessions_one_funds_holder_per_order`
 * backs the "one funds-holding session per order" rule in the database.
 */

/** Locks the payments projection row of an order until the transaction ends; null when payments does not know it. */
export async function lockOrder(tx: Tx, orderId: string): Promise<OrderRow | null> {
  const [row] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  return row ?? null;
}

export async function sessionsOfOrder(tx: Tx, orderId: string): Promise<PaymentSessionRow[]> {
  return tx.select().from(paymentSessions).where(eq(paymentSessions.orderId, orderId)).orderBy(asc(paymentSessions.createdAt), asc(paymentSessions.id));
}

export const factsOf = (row: PaymentSessionRow): SessionFacts => ({
  id: row.id,
  psp: row.psp,
  status: row.status,
  amount: row.amount,
  capturedAmount: row.capturedAmount,
  refundedAmount: row.refundedAmount,
  supersededReason: row.supersededAt ? (row.supersededReason ?? 'superseded') : null,
});

/** Marks a session as no longer allowed to hold the order's funds (audited). */
export async function supersede(uow: Uow, row: PaymentSessionRow, reason: string): Promise<PaymentSessionRow> {
  const [updated] = await uow.tx
    .update(paymentSessions)
    .set({ supersededAt: new Date(), supersededReason: reason, version: row.version + 1, updatedAt: new Date() })
    .where(eq(paymentSessions.id, row.id))
    .returning();
  uow.audit({
    action: 'payment_session.supersede',
    entityType: 'PaymentSession',
    entityId: row.id,
    merchantId: row.merchantId,
    livemode: row.livemode,
    before: { status: row.status, supersededReason: row.supersededReason, version: row.version },
    after: { status: updated!.status, supersededReason: reason, version: updated!.version },
  });
  return updated!;
}

/** What is already being paid back of a session's capture: refunds pending at or accepted by the PSP. */
async function reservedRefunds(tx: Tx, sessionId: string): Promise<number> {
  const rows = await tx
    .select({ amount: refunds.amount })
    .from(refunds)
    .where(and(eq(refunds.sessionId, sessionId), ne(refunds.status, 'FAILED')));
  return rows.reduce((sum, r) => sum + r.amount, 0);
}

/**
 * After a session was stored: a capture it may not keep is reversed (a CAPTURE_REVERSAL refund row, audited, and
 * `payment.capture_reversed` for the merchant); the PSP call follows the commit (`settlePspWork`). Superseded sessions
 * still open at the PSP are cancelled there by the same follow-up.
 */
export async function reverseWhatCannotBeKept(uow: Uow, order: OrderRow, row: PaymentSessionRow): Promise<void> {
  const { reverse } = afterChange(order.status, factsOf(row), await reservedRefunds(uow.tx, row.id));
  if (reverse <= 0) return;
  const why = row.supersededAt ? (row.supersededReason ?? 'the session was superseded') : 'the order was cancelled';
  const now = new Date();
  const [refund] = await uow.tx
    .insert(refunds)
    .values({
      id: newId('ref'),
      sessionId: row.id,
      orderId: row.orderId,
      merchantId: row.merchantId,
      livemode: row.livemode,
      amount: reverse,
      currency: row.currency,
      reason: `capture reversed: ${why}`,
      kind: 'CAPTURE_REVERSAL',
      idempotencyKey: `capture-reversal:${row.id}:${row.capturedAmount}`,
      requestHash: 'system',
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (!refund) return;
  uow.audit({
    action: 'refund.reverse_capture',
    entityType: 'Refund',
    entityId: refund.id,
    merchantId: refund.merchantId,
    livemode: refund.livemode,
    after: { sessionId: row.id, amount: refund.amount, currency: refund.currency, reason: refund.reason, kind: refund.kind },
  });
  uow.emit({
    type: 'payment.capture_reversed',
    subjectId: row.id,
    merchantId: row.merchantId,
    livemode: row.livemode,
    payload: {
      order_id: row.orderId,
      merchant: order.merchant,
      payment: {
        id: row.id,
        reference: row.reference,
        psp: row.psp,
        status: row.status.toLowerCase(),
        captured_minor: row.capturedAmount,
        ...wireMoney(row.amount, row.currency),
      },
      refund: { id: refund.id, ...wireMoney(refund.amount, refund.currency) },
      reason: why,
    },
  });
}

function payloadOf(order: OrderRow, facts: OrderPaymentFacts, version: number, paidAt: Date | null) {
  const money = (amount: number) => wireMoney(amount, order.currency);
  return {
    order_id: order.id,
    merchant: order.merchant,
    version,
    state: facts.state,
    amount_due: money(facts.amountDue),
    captured: money(facts.captured),
    refunded: money(facts.refunded),
    outstanding: money(Math.max(facts.amountDue - facts.captured, 0)),
    payment_session_id: facts.sessionId,
    psp: facts.psp,
    paid_at: paidAt ? `${paidAt.toISOString().slice(0, 19)}Z` : null,
  };
}

/**
 * Recomputes the order's payment state from its sessions and, when it moved, stores it with version + 1 and emits
 * `order.payment_state_changed` in the same transaction. A change that does not move the holder's money (an abandoned
 * session expiring, a superseded session failing) changes nothing here.
 */
export async function publishOrderPaymentState(uow: Uow, order: OrderRow): Promise<void> {
  const tx = uow.tx;
  const facts = orderPaymentFacts(order.amount, (await sessionsOfOrder(tx, order.id)).map(factsOf));
  const [stored] = await tx.select().from(orderPaymentStates).where(eq(orderPaymentStates.orderId, order.id));
  const previous: OrderPaymentFacts = stored
    ? { state: stored.state, amountDue: stored.amountDue, captured: stored.captured, refunded: stored.refunded, sessionId: stored.sessionId, psp: stored.psp }
    : { state: 'UNPAID', amountDue: order.amount, captured: 0, refunded: 0, sessionId: null, psp: null };
  if (sameFacts(previous, facts)) return;
  const version = (stored?.version ?? 0) + 1;
  const now = new Date();
  const paidAt = stored?.paidAt ?? (facts.state === 'PAID' ? now : null);
  const values = {
    orderId: order.id,
    merchantId: order.merchantId,
    livemode: order.livemode,
    version,
    state: facts.state,
    amountDue: facts.amountDue,
    captured: facts.captured,
    refunded: facts.refunded,
    currency: order.currency,
    sessionId: facts.sessionId,
    psp: facts.psp,
    paidAt,
    updatedAt: now,
  };
  if (stored)
    await tx
      .update(orderPaymentStates)
      .set(values)
      .where(and(eq(orderPaymentStates.orderId, order.id), eq(orderPaymentStates.version, stored.version)));
  else await tx.insert(orderPaymentStates).values(values);
  uow.audit({
    action: 'order_payment_state.change',
    entityType: 'OrderPaymentState',
    entityId: order.id,
    merchantId: order.merchantId,
    livemode: order.livemode,
    before: stored ? { version: stored.version, state: stored.state, captured: stored.captured, refunded: stored.refunded, sessionId: stored.sessionId } : null,
    after: { version, state: facts.state, captured: facts.captured, refunded: facts.refunded, sessionId: facts.sessionId },
  });
  uow.emit({
    type: 'order.payment_state_changed',
    subjectId: order.id,
    merchantId: order.merchantId,
    livemode: order.livemode,
    payload: payloadOf(order, facts, version, paidAt),
  });
}
