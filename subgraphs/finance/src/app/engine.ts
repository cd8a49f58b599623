import { and, eq, isNull, sql } from 'drizzle-orm';
import {
  isFullyPaid,
  money,
  parseOrderPaymentState,
  runMutation,
  systemActor,
  type BusEvent,
  type DomainEvent,
  type Logger,
  type OrderPaymentStatePayload,
} from '@ipay/platform';
import * as schema from '../db/schema.ts';
import { orderPaymentStates, settlementLines, settlementRefunds } from '../db/schema.ts';
import { collectionLine, isCollectible, refundLine } from '../domain/settlement.ts';
import { NothingToApply, unlessNothingToApply, type Db, type Uow } from './context.ts';
import { addLine, feeFor, openSettlementFor } from './ledger.ts';

export const ENGINE_ACTOR = 'system:settlement-engine';

const mutationTables = { audit: { auditLog: schema.auditLog, auditHead: schema.auditHead }, outbox: schema.outbox };

type Event = Pick<DomainEvent, 'id' | 'type' | 'merchantId' | 'livemode' | 'occurredAt' | 'payload'>;

/** Runs one event's application as the settlement engine, with audit and outbox; false when it changed nothing. */
export function applyAsEngine(db: Db, livemode: boolean, work: (uow: Uow) => Promise<void>): Promise<boolean> {
  return unlessNothingToApply(() => runMutation(db, mutationTables, systemActor(ENGINE_ACTOR, livemode), work));
}

/**
 * A fully paid order was collected: a fact "fully paid" is the contract's `isFullyPaid`, or REFUNDED with its
 * capture having covered the amount due (the order was paid, then paid back: collection and refund both settle).
 */
export const wasFullyPaid = (state: OrderPaymentStatePayload) => isFullyPaid(state) || (state.state === 'REFUNDED' && isCollectible(state));

/** The same rule on the projection's row (the order's newest known state). */
const rowWasFullyPaid = (row: schema.OrderPaymentStateRow) =>
  row.fullyPaid ||
  (row.state === 'REFUNDED' && isCollectible({ amount_due: { amount_minor: row.amountDueMinor }, captured: { amount_minor: row.capturedMinor } }));

/**
 * order.payment_state_changed: keeps the order's payment state in the one projection `order_payment_states` (only a
 * higher version replaces it) and, the first time the order is fully paid, adds its COLLECTION line (captured amount,
 * the fee in force when it was paid) to the merchant's open settlement of the period it was paid in; then settles
 * refunds that were waiting for it. The collection is decided on the projection's newest state, so an order the
 * projection already holds as fully paid without a collection (e.g. folded in by migration 0009) is still collected.
 */
export async function applyPaymentState(db: Db, event: Event, logger: Logger): Promise<boolean> {
  const state = parseOrderPaymentState(event.payload);
  if (!state || !event.merchantId) {
    logger.warn({ eventId: event.id }, 'order.payment_state_changed that does not hold to the contract; skipped');
    return false;
  }
  const merchantId = event.merchantId;
  return applyAsEngine(db, event.livemode, async (uow) => {
    const tx = uow.tx;
    const [current] = await tx.select().from(orderPaymentStates).where(eq(orderPaymentStates.orderId, state.order_id)).for('update');
    let order = current;
    if (!current || current.version < state.version) {
      const paidAt = state.paid_at ? new Date(state.paid_at) : wasFullyPaid(state) ? new Date(event.occurredAt) : null;
      const values = {
        orderId: state.order_id,
        merchantId,
        merchantSlug: state.merchant,
        livemode: event.livemode,
        version: state.version,
        state: state.state,
        fullyPaid: isFullyPaid(state),
        currency: state.amount_due.currency,
        amountDueMinor: state.amount_due.amount_minor,
        capturedMinor: state.captured.amount_minor,
        refundedMinor: state.refunded.amount_minor,
        paymentSessionId: state.payment_session_id,
        psp: state.psp,
        paidAt: current?.paidAt ?? paidAt,
        lastEventId: event.id,
        updatedAt: new Date(event.occurredAt),
      };
      const { orderId: _key, ...set } = values;
      [order] = await tx
        .insert(orderPaymentStates)
        .values(values)
        .onConflictDoUpdate({ target: orderPaymentStates.orderId, set, setWhere: sql`${orderPaymentStates.version} < excluded.version` })
        .returning();
      uow.audit({
        action: 'order_payment_state.apply',
        entityType: 'Order',
        entityId: state.order_id,
        merchantId,
        livemode: event.livemode,
        before: current ? { version: current.version, state: current.state } : undefined,
        after: { version: state.version, state: state.state, captured: values.capturedMinor, refunded: values.refundedMinor },
      });
    }
    if (!order || !rowWasFullyPaid(order) || !order.paidAt) {
      if (order === current) throw new NothingToApply();
      return;
    }
    const [collected] = await tx
      .select({ id: settlementLines.id })
      .from(settlementLines)
      .where(and(eq(settlementLines.orderId, order.orderId), eq(settlementLines.kind, 'COLLECTION')));
    if (collected) {
      if (order === current) throw new NothingToApply();
      return;
    }
    const at = order.paidAt;
    const currency = order.currency;
    const fee = await feeFor(tx, merchantId, currency, at);
    if (!fee) {
      logger.warn({ orderId: order.orderId, currency }, 'no IPAY fee schedule covers this currency: the order is not settled');
      if (order === current) throw new NothingToApply();
      return;
    }
    const key = { merchantId, merchantSlug: order.merchantSlug || state.merchant, livemode: order.livemode, currency };
    const target = await openSettlementFor(uow, key, at);
    await addLine(
      uow,
      target.settlement,
      {
        kind: 'COLLECTION',
        amounts: collectionLine(money(order.capturedMinor, currency), fee.fee),
        orderId: order.orderId,
        paymentSessionId: order.paymentSessionId,
        feeScheduleId: fee.entry.id,
        occurredAt: at,
      },
      target.created,
    );
    await settleWaitingRefunds(uow, order.orderId, key);
  });
}

/** Refunds of an order that arrived before its collection was settled. */
async function settleWaitingRefunds(uow: Uow, orderId: string, key: Parameters<typeof openSettlementFor>[1]) {
  const waiting = await uow.tx
    .select()
    .from(settlementRefunds)
    .where(and(eq(settlementRefunds.orderId, orderId), isNull(settlementRefunds.lineId)))
    .orderBy(settlementRefunds.refundedAt);
  for (const refund of waiting) await settleRefund(uow, refund, key);
}

async function settleRefund(uow: Uow, refund: schema.SettlementRefundRow, key: Parameters<typeof openSettlementFor>[1]) {
  const target = await openSettlementFor(uow, { ...key, currency: refund.currency }, refund.refundedAt);
  const { line } = await addLine(
    uow,
    target.settlement,
    {
      kind: 'REFUND',
      amounts: refundLine(money(refund.amount, refund.currency)),
      orderId: refund.orderId,
      paymentSessionId: refund.paymentSessionId,
      refundId: refund.refundId,
      occurredAt: refund.refundedAt,
    },
    target.created,
  );
  await uow.tx.update(settlementRefunds).set({ lineId: line.id }).where(eq(settlementRefunds.refundId, refund.refundId));
}

/**
 * refund.created: a refund the PSP accepted becomes one negative REFUND line, in the open settlement of the period it
 * happened in, or the next open one when that is closed already (refund after payout). A refund of an order whose
 * collection is not settled yet waits for it.
 */
export async function applyRefundCreated(db: Db, event: Event, logger: Logger): Promise<boolean> {
  const p = event.payload as {
    order_id?: unknown;
    merchant?: unknown;
    refund?: { id?: unknown; payment_id?: unknown; amount_minor?: unknown; currency?: unknown };
  };
  const refund = p.refund;
  const amount = refund?.amount_minor;
  if (
    typeof p.order_id !== 'string' ||
    typeof refund?.id !== 'string' ||
    typeof refund.currency !== 'string' ||
    !Number.isSafeInteger(amount) ||
    (amount as number) <= 0 ||
    !event.merchantId
  ) {
    logger.warn({ eventId: event.id }, 'refund.created without order_id, refund id or a positive amount; skipped');
    return false;
  }
  const merchantId = event.merchantId;
  return applyAsEngine(db, event.livemode, async (uow) => {
    const tx = uow.tx;
    const [row] = await tx
      .insert(settlementRefunds)
      .values({
        refundId: refund.id as string,
        orderId: p.order_id as string,
        merchantId,
        livemode: event.livemode,
        paymentSessionId: typeof refund.payment_id === 'string' ? refund.payment_id : null,
        currency: refund.currency as string,
        amount: amount as number,
        refundedAt: new Date(event.occurredAt),
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new NothingToApply();
    uow.audit({
      action: 'settlement_refund.record',
      entityType: 'Refund',
      entityId: row.refundId,
      merchantId,
      livemode: event.livemode,
      after: { orderId: row.orderId, amount: row.amount, currency: row.currency },
    });
    const [collected] = await tx
      .select({ id: settlementLines.id })
      .from(settlementLines)
      .where(and(eq(settlementLines.orderId, row.orderId), eq(settlementLines.kind, 'COLLECTION')));
    if (!collected) return;
    const [order] = await tx.select({ slug: orderPaymentStates.merchantSlug }).from(orderPaymentStates).where(eq(orderPaymentStates.orderId, row.orderId));
    await settleRefund(uow, row, {
      merchantId,
      merchantSlug: order?.slug ?? (typeof p.merchant === 'string' ? p.merchant : ''),
      livemode: event.livemode,
      currency: row.currency,
    });
  });
}

export async function handleSettlementEvent(db: Db, event: BusEvent | Event, logger: Logger): Promise<boolean> {
  switch (event.type) {
    case 'order.payment_state_changed':
      return applyPaymentState(db, event, logger);
    case 'refund.created':
      return applyRefundCreated(db, event, logger);
    default:
      return false;
  }
}
