import { eq } from 'drizzle-orm';
import { runMutation, systemActor, type BusEvent, type Database, type EventBus, type Logger, type Subscription } from '@ipay/platform';
import { auditHead, auditLog, outbox, returns, type ReturnRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { returnIdOfRefundReason, returnTransitionForEvent, type ReturnStatus } from '../domain/returns.ts';
import { emitReturn, lockReturn, merchantSlugOf, moveReturn, returnAuditView } from './returns.ts';

type Schema = typeof schema;
type Db = Database<Schema>;

/**
 * Commerce's consumer of what other domains report about returns (durable consumer `commerce-returns`):
 * logistics' label and carrier scans of the return shipment, payments' refund (or its refusal). Idempotent: a
 * redelivered or late event finds the return already moved and changes nothing.
 */
export async function consumeReturnEvents(db: Db, bus: EventBus, logger: Logger, kick: () => void): Promise<Subscription> {
  return bus.consume('commerce-returns', (event) => applyReturnEvent(db, event, logger, kick));
}

const CARRIER_STEPS: Record<string, ReturnStatus> = { 'return.label_issued': 'LABEL_ISSUED', 'return.in_transit': 'IN_TRANSIT', 'return.received': 'RECEIVED' };

function returnIdOf(event: BusEvent): string | null {
  if (event.type === 'refund.created') return returnIdOfRefundReason((event.payload.refund as { reason?: unknown } | undefined)?.reason);
  const id = (event.payload.return as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : null;
}

export async function applyReturnEvent(db: Db, event: BusEvent, logger: Logger, kick: () => void = () => {}): Promise<void> {
  const fromLogistics = event.source === 'logistics' && event.type in CARRIER_STEPS;
  const fromPayments = event.source === 'payments' && (event.type === 'refund.created' || event.type === 'return.refund_failed');
  if (!fromLogistics && !fromPayments) return;
  const returnId = returnIdOf(event);
  if (!returnId) return;
  const [head] = await db.select({ livemode: returns.livemode, orderId: returns.orderId }).from(returns).where(eq(returns.id, returnId));
  if (!head || head.livemode !== event.livemode || head.orderId !== event.payload.order_id) {
    logger.warn({ eventId: event.id, type: event.type, returnId }, 'event for a return commerce does not have');
    return;
  }
  await runMutation(db, { audit: { auditLog, auditHead }, outbox, afterEvents: kick }, systemActor(`events:${event.type}`, event.livemode), async (uow) => {
    const before = (await lockReturn(uow.tx, returnId))!;
    const ignore = (reason: string) => {
      logger.info({ eventId: event.id, type: event.type, returnId, status: before.status, reason }, 'event does not move the return');
      // Still recorded: the trail shows which deliveries were seen and why nothing changed.
      uow.audit({
        action: 'return.event_ignored',
        entityType: 'Return',
        entityId: returnId,
        merchantId: before.merchantId,
        livemode: before.livemode,
        before: null,
        after: { event: event.id, type: event.type, reason },
      });
      return before;
    };
    if (fromLogistics) {
      const to = CARRIER_STEPS[event.type]!;
      const decision = returnTransitionForEvent(before.status, to);
      if (decision.kind === 'ignore') return ignore(decision.reason);
      const set =
        event.type === 'return.label_issued' ? { carrierCode: String(event.payload.carrier), trackingNumber: String(event.payload.tracking_number) } : {};
      return moveReturn(uow, before, to, `return.${to.toLowerCase()}`, set);
    }
    if (event.type === 'return.refund_failed') {
      if (before.refundedAmount !== null) return ignore('already refunded');
      const [after] = await uow.tx
        .update(returns)
        .set({ refundFailureCode: String(event.payload.code), refundFailureReason: String(event.payload.reason), updatedAt: new Date() })
        .where(eq(returns.id, returnId))
        .returning();
      uow.audit({
        action: 'return.refund_failed',
        entityType: 'Return',
        entityId: returnId,
        merchantId: before.merchantId,
        livemode: before.livemode,
        before: returnAuditView(before),
        after: returnAuditView(after!),
      });
      return after!;
    }
    // refund.created for this return: it is REFUNDED with what the PSP accepted.
    const refund = event.payload.refund as { id?: unknown; amount_minor?: unknown };
    const amount = Number(refund.amount_minor);
    if (!Number.isSafeInteger(amount)) return ignore('refund.created without amount_minor');
    const decision = returnTransitionForEvent(before.status, 'REFUNDED');
    if (decision.kind === 'ignore') return ignore(decision.reason);
    const after: ReturnRow = await moveReturn(uow, before, 'REFUNDED', 'return.refunded', {
      refundedAmount: amount,
      refundId: String(refund.id),
      refundFailureCode: null,
      refundFailureReason: null,
    });
    emitReturn(uow, 'return.refunded', after, await merchantSlugOf(uow.tx, after.merchantId), { refund: event.payload.refund });
    return after;
  });
}
