import { eq } from 'drizzle-orm';
import { runMutation, systemActor, type Database } from '@ipay/platform';
import { auditHead, auditLog, orders, outbox } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { supersededByCancellation } from '../domain/order-payment.ts';
import { factsOf, lockOrder, publishOrderPaymentState, reverseWhatCannotBeKept, sessionsOfOrder, supersede } from './order-payment.ts';

/**
 * Commerce cancelled the order (`order.status_changed` to CANCELLED): under the order's lock, every session still open
 * at the PSP is superseded (cancelled there after the commit, an authorization voided) and whatever was captured is
 * reversed, so a cancelled order ends with nothing captured net. A capture the PSP reports later lands on a superseded
 * session, or on a cancelled order, and is reversed too. Returns the sessions with PSP work to do after the commit.
 */
export async function applyOrderCancellation(db: Database<typeof schema>, orderId: string, occurredAt: Date): Promise<string[]> {
  return runMutation(db, { audit: { auditLog, auditHead }, outbox }, systemActor('system:order-cancellation', false), async (uow) => {
    const order = await lockOrder(uow.tx, orderId);
    if (!order) return [];
    const [cancelled] = await uow.tx.update(orders).set({ status: 'CANCELLED', updatedAt: occurredAt }).where(eq(orders.id, order.id)).returning();
    uow.audit({
      action: 'order.cancel',
      entityType: 'Order',
      entityId: order.id,
      merchantId: order.merchantId,
      livemode: order.livemode,
      before: { status: order.status },
      after: { status: 'CANCELLED' },
    });
    const sessions = await sessionsOfOrder(uow.tx, order.id);
    const superseded = new Map(supersededByCancellation(sessions.map(factsOf)).map((s) => [s.id, s.reason]));
    const touched: string[] = [];
    for (let row of sessions) {
      const reason = superseded.get(row.id);
      if (reason) row = await supersede(uow, row, reason);
      await reverseWhatCannotBeKept(uow, cancelled!, row);
      touched.push(row.id);
    }
    await publishOrderPaymentState(uow, cancelled!);
    return touched;
  });
}
