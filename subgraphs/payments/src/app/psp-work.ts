import { and, eq, inArray, isNotNull, isNull } from 'drizzle-orm';
import { runMutation, systemActor, type Database, type Logger } from '@ipay/platform';
import { auditHead, auditLog, outbox, paymentSessions, refunds, type PaymentSessionRow, type RefundRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { announceRefund, applyPaymentEvent, auditView, lockSession, refundAuditView } from './payments.ts';
import { PspError, eventFromModification, type PspAdapter, type PspCode } from '../adapters/psp/adapter.ts';

type Db = Database<typeof schema>;
export type AdapterFor = (psp: PspCode, livemode: boolean) => PspAdapter | null;

const tables = { audit: { auditLog, auditHead }, outbox };
const OPEN_AT_PSP = ['CREATED', 'REQUESTED', 'AUTHORIZED'] as const;

/**
 * What must reach the PSP after a commit, never inside a transaction (no row lock is held across a PSP call):
 * superseded sessions still open there are cancelled (an authorization is voided), and capture reversals are
 * submitted as refunds. Idempotent (the PSP idempotency keys are the session and refund ids) and safe to run in
 * several processes; the expiry sweep runs it too, so a PSP that did not answer is asked again later.
 */
export async function settlePspWork(
  db: Db,
  adapterFor: AdapterFor,
  logger: Logger,
  options: { sessionIds?: readonly string[]; limit?: number } = {},
): Promise<void> {
  const limit = options.limit ?? 50;
  const onlySessions = options.sessionIds ? inArray(paymentSessions.id, [...options.sessionIds]) : undefined;
  if (options.sessionIds && options.sessionIds.length === 0) return;
  const toCancel = await db
    .select()
    .from(paymentSessions)
    .where(
      and(
        isNotNull(paymentSessions.supersededAt),
        isNull(paymentSessions.pspCancelRequestedAt),
        isNotNull(paymentSessions.pspReference),
        inArray(paymentSessions.status, [...OPEN_AT_PSP]),
        onlySessions,
      ),
    )
    .limit(limit);
  for (const session of toCancel) await cancelAtPsp(db, adapterFor, session, logger);

  const reversals = await db
    .select()
    .from(refunds)
    .where(
      and(
        eq(refunds.kind, 'CAPTURE_REVERSAL'),
        eq(refunds.status, 'PENDING'),
        isNull(refunds.pspReference),
        options.sessionIds ? inArray(refunds.sessionId, [...options.sessionIds]) : undefined,
      ),
    )
    .limit(limit);
  for (const refund of reversals) await submitReversal(db, adapterFor, refund, logger);
}

async function cancelAtPsp(db: Db, adapterFor: AdapterFor, session: PaymentSessionRow, logger: Logger): Promise<void> {
  const adapter = adapterFor(session.psp as PspCode, session.livemode);
  if (!adapter || !session.pspReference) return;
  let result;
  try {
    result = await adapter.cancel({ pspReference: session.pspReference, reference: session.reference, idempotencyKey: `${session.id}:supersede` });
  } catch (error) {
    // Not answered or refused (it may have been paid meanwhile): asked again by the next sweep; a capture is reversed.
    logger.warn({ err: error, sessionId: session.id }, 'could not cancel a superseded payment at the PSP');
    if (error instanceof PspError && error.kind === 'rejected') await markCancelRequested(db, session, null, logger);
    return;
  }
  await markCancelRequested(db, session, result, logger);
}

async function markCancelRequested(
  db: Db,
  session: PaymentSessionRow,
  result: Awaited<ReturnType<PspAdapter['cancel']>> | null,
  logger: Logger,
): Promise<void> {
  await runMutation(db, tables, systemActor(`psp:${session.psp}`, session.livemode), async (uow) => {
    let row = (await lockSession(uow.tx, session.id))!;
    const [marked] = await uow.tx.update(paymentSessions).set({ pspCancelRequestedAt: new Date() }).where(eq(paymentSessions.id, row.id)).returning();
    uow.audit({
      action: 'payment_session.cancel_at_psp',
      entityType: 'PaymentSession',
      entityId: row.id,
      merchantId: row.merchantId,
      livemode: row.livemode,
      before: auditView(row),
      after: {
        ...auditView(marked!),
        psp: result ? { outcome: result.outcome, pspStatusCode: result.pspStatusCode } : { outcome: 'refused' },
        reason: row.supersededReason,
      },
    });
    row = marked!;
    const event = result ? eventFromModification(row.psp as PspCode, 'cancel', { pspReference: row.pspReference! }, result, new Date()) : null;
    if (event) {
      const applied = await applyPaymentEvent(uow, row, event);
      if (applied.outcome === 'refused')
        logger.error({ sessionId: row.id, refusal: applied.refusal }, 'the PSP answer to a cancellation contradicts the session');
    }
  });
}

async function submitReversal(db: Db, adapterFor: AdapterFor, refund: RefundRow, logger: Logger): Promise<void> {
  const [session] = await db.select().from(paymentSessions).where(eq(paymentSessions.id, refund.sessionId));
  const adapter = session ? adapterFor(session.psp as PspCode, session.livemode) : null;
  if (!session?.pspReference || !adapter) {
    logger.error({ refundId: refund.id }, 'a capture reversal cannot reach its PSP (not configured); needs reconciliation');
    return;
  }
  const actor = systemActor('system:capture-reversal', refund.livemode);
  try {
    const result = await adapter.refund({
      pspReference: session.pspReference,
      reference: session.reference,
      amount: { amount: refund.amount, currency: refund.currency },
      idempotencyKey: refund.id,
    });
    await runMutation(db, tables, actor, async (uow) => {
      const [updated] = await uow.tx
        .update(refunds)
        .set({
          pspReference: result.modificationReference,
          updatedAt: new Date(),
          ...(result.outcome === 'failed' ? { status: 'FAILED' as const, failureReason: `the PSP answered ${result.pspStatusCode}` } : {}),
        })
        .where(eq(refunds.id, refund.id))
        .returning();
      uow.audit({
        action: 'refund.submit',
        entityType: 'Refund',
        entityId: refund.id,
        merchantId: refund.merchantId,
        livemode: refund.livemode,
        before: refundAuditView(refund),
        after: refundAuditView(updated!),
      });
      if (updated!.status !== 'FAILED') await announceRefund(uow, refund.id);
      else logger.error({ refundId: refund.id }, 'the PSP refused a capture reversal; needs reconciliation');
    });
  } catch (error) {
    if (!(error instanceof PspError)) throw error;
    // Outcome unknown or PSP unavailable: the next sweep submits it again under the same idempotency key.
    if (error.retryable) {
      logger.warn({ err: error, refundId: refund.id }, 'capture reversal not answered by the PSP; will be retried');
      return;
    }
    logger.error({ err: error, refundId: refund.id }, 'the PSP refused a capture reversal; needs reconciliation');
    await runMutation(db, tables, actor, async (uow) => {
      const [updated] = await uow.tx
        .update(refunds)
        .set({ status: 'FAILED', failureReason: error.message, updatedAt: new Date() })
        .where(and(eq(refunds.id, refund.id), eq(refunds.status, 'PENDING')))
        .returning();
      uow.audit({
        action: 'refund.fail',
        entityType: 'Refund',
        entityId: refund.id,
        merchantId: refund.merchantId,
        livemode: refund.livemode,
        before: refundAuditView(refund),
        after: updated ? refundAuditView(updated) : null,
      });
    });
  }
}
