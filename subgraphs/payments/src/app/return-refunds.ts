import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import {
  Authorization,
  runMutation,
  systemActor,
  type BusEvent,
  type Database,
  type EventBus,
  type Logger,
  type Principal,
  type Subscription,
} from '@ipay/platform';
import { auditHead, auditLog, outbox, paymentSessions } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { createRefund, type RefundRequest } from './refunds.ts';
import type { PaymentsServices } from './services.ts';

type Db = Database<typeof schema>;
const TABLES = { audit: { auditLog, auditHead }, outbox };

/**
 * Refunds of returns (durable consumer `payments-return-refunds`): commerce's `return.refund_requested` becomes a
 * refund through the same `createRefund` as the API's (never more than captured, REFUND_EXCEEDS_CAPTURED), made by
 * the system principal with the return's merchant as its only scope, idempotent per return (key `return_<id>`).
 * The refund's reason `return <return id>` links `refund.created` back to the return; a refusal is announced as
 * `return.refund_failed`.
 */
export async function consumeReturnRefunds(db: Db, bus: EventBus, services: Pick<PaymentsServices, 'adapterFor'>, logger: Logger): Promise<Subscription> {
  return bus.consume('payments-return-refunds', (event) => refundReturn(db, services, event, logger));
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export async function refundReturn(db: Db, services: Pick<PaymentsServices, 'adapterFor'>, event: BusEvent, logger: Logger): Promise<void> {
  if (event.type !== 'return.refund_requested' || event.source !== 'commerce') return;
  const returnId = str((event.payload.return as { id?: unknown } | undefined)?.id);
  const orderId = str(event.payload.order_id);
  const amount = (event.payload.amount as { amount_minor?: unknown } | undefined)?.amount_minor;
  if (!returnId || !orderId || !event.merchantId || typeof amount !== 'number' || !Number.isSafeInteger(amount)) {
    logger.error({ eventId: event.id }, 'return.refund_requested without return.id, order_id, merchant or amount.amount_minor; skipped');
    return;
  }
  const merchantId = event.merchantId;
  const fail = (code: string, reason: string) =>
    runMutation(db, TABLES, systemActor('events:return.refund_requested', event.livemode), async (uow) => {
      uow.audit({ action: 'return_refund.refuse', entityType: 'Return', entityId: returnId, merchantId, after: { orderId, amount, code, reason } });
      uow.emit({
        type: 'return.refund_failed',
        subjectId: returnId,
        merchantId,
        livemode: event.livemode,
        payload: { order_id: orderId, merchant: event.payload.merchant, return: { id: returnId }, code, reason },
      });
    });
  // The session that holds the order's captured funds (the newest with a capture that is not superseded: a superseded
  // session's capture is being reversed already).
  const [session] = await db
    .select()
    .from(paymentSessions)
    .where(
      and(
        eq(paymentSessions.orderId, orderId),
        eq(paymentSessions.merchantId, merchantId),
        eq(paymentSessions.livemode, event.livemode),
        gt(paymentSessions.capturedAmount, 0),
        isNull(paymentSessions.supersededAt),
      ),
    )
    .orderBy(desc(paymentSessions.createdAt))
    .limit(1);
  if (!session) {
    await fail('REFUND_EXCEEDS_CAPTURED', `order ${orderId} has no captured payment to refund`);
    return;
  }
  const principal: Principal = {
    kind: 'operator',
    id: 'system:return-refunds',
    credentialId: 'system:return-refunds',
    livemode: event.livemode,
    grants: { 'payments:refund': { kind: 'MERCHANTS', merchantIds: [merchantId] } },
    displayName: 'return refunds',
  };
  const ctx: RefundRequest = {
    logger,
    auth: new Authorization(principal),
    services,
    mutate: (work) => runMutation(db, TABLES, systemActor('events:return.refund_requested', event.livemode, event.id), work),
  };
  try {
    await createRefund(ctx, { paymentSessionId: session.id, amount, reason: `return ${returnId}`, idempotencyKey: `return_${returnId}` });
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    const code = String(error.extensions.code ?? 'INTERNAL_SERVER_ERROR');
    // Unavailable PSP: retried with the event (the same idempotency key replays the reserved refund).
    if (code === 'PSP_UNAVAILABLE') throw error;
    logger.warn({ eventId: event.id, returnId, code, reason: error.message }, 'refund of a return refused');
    await fail(code, error.message);
  }
}
