import { createHash } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import { newId, wireMoney, type Database, type UnitOfWork } from '@ipay/platform';
import { orders, paymentEvents, paymentSessions, refunds, type OrderRow, type PaymentSessionRow, type RefundRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { factsOf, lockOrder, publishOrderPaymentState, reverseWhatCannotBeKept, sessionsOfOrder } from './order-payment.ts';
import { FUNDS_HOLDING_STATUSES, supersedeOnFunds } from '../domain/order-payment.ts';
import { wireStatus } from '../domain/payability.ts';
import { transition, type PaymentEvent, type PaymentSessionSnapshot, type TransitionRefusal } from '../domain/state-machine.ts';

export type Schema = typeof schema;
export type Tx = Database<Schema>;
export type Uow = UnitOfWork<Schema>;

/** The state machine's view of a stored session. */
export function snapshotOf(row: PaymentSessionRow, processedEventIds: readonly string[] = []): PaymentSessionSnapshot {
  return {
    id: row.id,
    reference: row.reference,
    status: row.status,
    amount: row.amount,
    currency: row.currency,
    pspReference: row.pspReference,
    authorizedAmount: row.authorizedAmount,
    capturedAmount: row.capturedAmount,
    refundedAmount: row.refundedAmount,
    processedEventIds,
    version: row.version,
    updatedAt: row.updatedAt,
  };
}

/**
 * Reads a session and holds its row lock until the transaction ends: changes to one session are serialised. The order's
 * row (payments' projection) is locked first, so every change to any session of one order is serialised too, always
 * in the order → session sequence (no deadlock between two sessions of an order).
 */
export async function lockSession(tx: Tx, id: string): Promise<PaymentSessionRow | null> {
  const [ref] = await tx.select({ orderId: paymentSessions.orderId }).from(paymentSessions).where(eq(paymentSessions.id, id));
  if (!ref) return null;
  await lockOrder(tx, ref.orderId);
  const [row] = await tx.select().from(paymentSessions).where(eq(paymentSessions.id, id)).for('update');
  return row ?? null;
}

/** What the audit trail keeps of a session (no PSP action payloads). */
export const auditView = (row: PaymentSessionRow) => ({
  status: row.status,
  reference: row.reference,
  orderId: row.orderId,
  amount: row.amount,
  currency: row.currency,
  psp: row.psp,
  method: row.method,
  pspReference: row.pspReference,
  authorizedAmount: row.authorizedAmount,
  capturedAmount: row.capturedAmount,
  refundedAmount: row.refundedAmount,
  version: row.version,
});

export const refundAuditView = (refund: RefundRow) => ({
  sessionId: refund.sessionId,
  amount: refund.amount,
  currency: refund.currency,
  reason: refund.reason,
  status: refund.status,
  pspReference: refund.pspReference,
});

/** A stable hash of what a request asked for, to tell an idempotent replay from a reused key. */
export function requestHash(value: Record<string, unknown>): string {
  return createHash('sha256')
    .update(JSON.stringify(value, Object.keys(value).sort()))
    .digest('hex');
}

/** The order as payments knows it (merchant slug for event payloads). */
export async function orderOf(tx: Tx, orderId: string): Promise<OrderRow | null> {
  const [order] = await tx.select().from(orders).where(eq(orders.id, orderId));
  return order ?? null;
}

export function paymentPayload(row: PaymentSessionRow, merchant: string) {
  return {
    order_id: row.orderId,
    merchant,
    payment: { id: row.id, reference: row.reference, psp: row.psp, method: row.method, status: wireStatus(row.status), ...wireMoney(row.amount, row.currency) },
  };
}

/** The URL of a GET redirect next action (the PSP's hosted payment page), else null. */
export function checkoutUrlOf(action: unknown): string | null {
  const a = action as { type?: unknown; method?: unknown; url?: unknown; data?: unknown } | null;
  if (!a || a.type !== 'redirect' || a.method !== 'GET' || typeof a.url !== 'string' || a.data) return null;
  try {
    const url = new URL(a.url);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : null;
  } catch {
    return null;
  }
}

export type ApplyOutcome = 'applied' | 'recorded' | 'ignored' | 'duplicate' | 'refused';

export interface Applied {
  outcome: ApplyOutcome;
  row: PaymentSessionRow;
  refusal?: TransitionRefusal;
}

/**
 * Runs one event through the state machine against a LOCKED session row and stores the result in the caller's
 * unit of work: the history row, the session, the audit record and the domain events of a status change.
 * Deduplication: an event id already in the session's history is a no-op (the unique index is the backstop).
 */
export async function applyPaymentEvent(uow: Uow, row: PaymentSessionRow, event: PaymentEvent): Promise<Applied> {
  const tx = uow.tx;
  const seen = event.eventId
    ? await tx
        .select({ eventId: paymentEvents.eventId })
        .from(paymentEvents)
        .where(and(eq(paymentEvents.sessionId, row.id), eq(paymentEvents.eventId, event.eventId)))
    : [];
  const result = transition(
    snapshotOf(
      row,
      seen.map((s) => s.eventId!),
    ),
    event,
  );
  if (!result.ok) return { outcome: 'refused', row, refusal: result.refusal };
  if (result.outcome === 'duplicate') return { outcome: 'duplicate', row };
  const { entry, snapshot: next } = result;
  // Locked by lockSession (null only for a session whose order payments never learnt of).
  const order = await orderOf(tx, row.orderId);
  // Reaching the funds while another session holds them, or on a cancelled order: superseded in the same write, so
  // the partial unique index (one funds holder per order) holds.
  const supersededReason =
    order && !row.supersededAt && FUNDS_HOLDING_STATUSES.has(next.status) && !FUNDS_HOLDING_STATUSES.has(row.status)
      ? supersedeOnFunds(order.status, row, (await sessionsOfOrder(tx, row.orderId)).map(factsOf))
      : null;
  await tx.insert(paymentEvents).values({ id: newId('pev'), ...entry });
  const [updated] = await tx
    .update(paymentSessions)
    .set({
      status: next.status,
      pspReference: next.pspReference,
      authorizedAmount: next.authorizedAmount,
      capturedAmount: next.capturedAmount,
      refundedAmount: next.refundedAmount,
      version: next.version,
      updatedAt: next.updatedAt,
      ...(supersededReason ? { supersededAt: next.updatedAt, supersededReason } : {}),
    })
    .where(and(eq(paymentSessions.id, row.id), eq(paymentSessions.version, row.version)))
    .returning();
  // The row is locked, so the version cannot have moved; if it did, rolling back is the only safe answer.
  if (!updated) throw new Error(`payment session ${row.id} changed concurrently (version ${row.version})`);
  uow.audit({
    action: `payment_session.${event.type.toLowerCase()}`,
    entityType: 'PaymentSession',
    entityId: row.id,
    merchantId: row.merchantId,
    livemode: row.livemode,
    before: auditView(row),
    after: {
      ...auditView(updated),
      event: { id: event.eventId, source: event.source, pspStatusCode: event.pspStatusCode ?? null, outcome: entry.outcome, reason: entry.reason },
    },
  });
  if (updated.status !== row.status) await emitStatusEvents(uow, row, updated);
  if (order) {
    await reverseWhatCannotBeKept(uow, order, updated);
    await publishOrderPaymentState(uow, order);
  }
  return { outcome: result.outcome, row: updated };
}

/**
 * payment.requested the first time a session leaves CREATED (also when a notification overtook the PSP's answer),
 * so consumers always see requested before confirmed or failed; then confirmed or failed.
 */
async function emitStatusEvents(uow: Uow, before: PaymentSessionRow, after: PaymentSessionRow): Promise<void> {
  const order = await orderOf(uow.tx, after.orderId);
  // Sessions exist only for orders in the projection; the id is a last resort that keeps the event deliverable.
  const merchant = order?.merchant ?? after.merchantId;
  const base = { subjectId: after.id, merchantId: after.merchantId, livemode: after.livemode };
  if (before.status === 'CREATED') {
    const requested = paymentPayload({ ...after, status: 'REQUESTED' }, merchant);
    // The PSP's hosted payment page, when it gave one: the link of the consumer's payment request mail (identity).
    const checkout = checkoutUrlOf(after.nextAction);
    uow.emit({
      ...base,
      type: 'payment.requested',
      payload: checkout ? { ...requested, payment: { ...requested.payment, checkout_url: checkout } } : requested,
    });
  }
  if (after.status === 'CONFIRMED') uow.emit({ ...base, type: 'payment.confirmed', payload: paymentPayload(after, merchant) });
  if (after.status === 'FAILED' || after.status === 'EXPIRED' || after.status === 'CANCELLED')
    uow.emit({ ...base, type: 'payment.failed', payload: paymentPayload(after, merchant) });
}

/**
 * After the PSP reported refunds, marks our refund requests as succeeded: the one the PSP names, then (for PSPs that
 * report cumulative totals) the oldest pending ones that the refunded total covers.
 */
export async function settleRefunds(uow: Uow, session: PaymentSessionRow, modificationReference: string | null, failed: boolean): Promise<void> {
  const tx = uow.tx;
  const mark = async (refund: RefundRow, status: 'SUCCEEDED' | 'FAILED') => {
    const [updated] = await tx
      .update(refunds)
      .set({ status, updatedAt: new Date(), failureReason: status === 'FAILED' ? 'the PSP reported the refund as failed' : null })
      .where(eq(refunds.id, refund.id))
      .returning();
    uow.audit({
      action: status === 'SUCCEEDED' ? 'refund.succeed' : 'refund.fail',
      entityType: 'Refund',
      entityId: refund.id,
      merchantId: refund.merchantId,
      livemode: refund.livemode,
      before: refundAuditView(refund),
      after: refundAuditView(updated!),
    });
    if (status === 'SUCCEEDED') await announceRefund(uow, refund.id);
  };
  const list = await tx.select().from(refunds).where(eq(refunds.sessionId, session.id)).orderBy(asc(refunds.createdAt), asc(refunds.id));
  const named = modificationReference ? list.find((r) => r.pspReference === modificationReference && r.status === 'PENDING') : undefined;
  if (failed) {
    if (named) await mark(named, 'FAILED');
    return;
  }
  if (named) await mark(named, 'SUCCEEDED');
  let succeeded = list.filter((r) => r.status === 'SUCCEEDED' || r === named).reduce((sum, r) => sum + r.amount, 0);
  for (const refund of list) {
    if (refund.status !== 'PENDING' || refund === named) continue;
    if (succeeded + refund.amount > session.refundedAmount) break;
    succeeded += refund.amount;
    await mark(refund, 'SUCCEEDED');
  }
}

/**
 * Emits refund.created once the PSP has accepted the refund (its answer, or its notification when the answer never
 * came), exactly once: the conditional update claims the announcement. `refunded_minor` counts the refunds the PSP
 * accepted, this one included, so a consumer sees the order fully refunded when the last one is announced.
 */
export async function announceRefund(uow: Uow, refundId: string): Promise<void> {
  const tx = uow.tx;
  const [refund] = await tx
    .update(refunds)
    .set({ announcedAt: new Date() })
    .where(and(eq(refunds.id, refundId), isNull(refunds.announcedAt)))
    .returning();
  if (!refund) return;
  const [session] = await tx.select().from(paymentSessions).where(eq(paymentSessions.id, refund.sessionId));
  const accepted = (await tx.select().from(refunds).where(eq(refunds.sessionId, refund.sessionId)))
    .filter((r) => r.status !== 'FAILED' && r.announcedAt !== null)
    .reduce((sum, r) => sum + r.amount, 0);
  const order = await orderOf(tx, refund.orderId);
  uow.emit({
    type: 'refund.created',
    subjectId: refund.id,
    merchantId: refund.merchantId,
    livemode: refund.livemode,
    payload: {
      order_id: refund.orderId,
      merchant: order?.merchant ?? refund.merchantId,
      refund: { id: refund.id, payment_id: refund.sessionId, reason: refund.reason, ...wireMoney(refund.amount, refund.currency) },
      payment: {
        id: session!.id,
        status: wireStatus(session!.status),
        refunded_minor: Math.max(session!.refundedAmount, accepted),
        captured_minor: session!.capturedAmount,
      },
    },
  });
}

/** The refunded amount still awaiting the PSP: reserved, so concurrent refunds cannot overdraw the capture. */
export async function pendingRefundAmount(tx: Tx, sessionId: string): Promise<number> {
  const [row] = await tx
    .select({ total: sql<string>`coalesce(sum(${refunds.amount}), 0)` })
    .from(refunds)
    .where(and(eq(refunds.sessionId, sessionId), eq(refunds.status, 'PENDING')));
  return Number(row?.total ?? 0);
}

/** A state machine refusal as a client error. */
export function refusalError(refusal: TransitionRefusal, field: string): GraphQLError {
  return new GraphQLError(`${field}: ${refusal.reason}`, { extensions: { code: refusal.code, field, status: refusal.from } });
}

/** Thrown inside a unit of work to roll it back when there turned out to be nothing to store. */
export class NothingToStore<T = undefined> extends Error {
  constructor(readonly value: T) {
    super('nothing to store');
  }
}

/** Runs `work`; a NothingToStore rolls the transaction back and hands its value out instead. */
export async function unlessNothingToStore<T, U>(work: () => Promise<T>): Promise<T | U> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof NothingToStore) return error.value as U;
    throw error;
  }
}
