import { and, eq } from 'drizzle-orm';
import { MAX_MINOR_UNITS, badUserInput, newId, notFound, scopeCondition } from '@ipay/platform';
import { paymentSessions, refunds, type PaymentSessionRow, type RefundRow } from '../db/schema.ts';
import { checkCommand } from '../domain/state-machine.ts';
import { PspError, type PspCode } from '../adapters/psp/adapter.ts';
import {
  NothingToStore,
  announceRefund,
  pendingRefundAmount,
  refundAuditView,
  refusalError,
  requestHash,
  snapshotOf,
  unlessNothingToStore,
} from './payments.ts';
import { MAX_REASON, idempotencyKeyOf, keyReused, pspFailure, type PaymentsRequest } from './request.ts';

export interface CreateRefundInput {
  paymentSessionId: string;
  amount: number;
  reason: string;
  idempotencyKey: string;
}

/** A refund needs the caller, its unit of work and the PSP adapters (the return-refunds consumer has no request). */
export type RefundRequest = Pick<PaymentsRequest, 'auth' | 'mutate' | 'logger'> & { services: Pick<PaymentsRequest['services'], 'adapterFor'> };

/**
 * Refunds part or all of a captured session: the amount is reserved under the session's row lock (never more than
 * captured), then submitted to the PSP after the commit; `refund.created` goes out once the PSP accepted it.
 * Used by the API and by the refunds of returns (app/return-refunds.ts).
 */
export async function createRefund(ctx: RefundRequest, input: CreateRefundInput): Promise<RefundRow> {
  const { auth, services } = ctx;
  const scope = auth.require('payments:refund');
  const livemode = auth.livemode;
  const { paymentSessionId, amount } = input;
  if (!Number.isSafeInteger(amount) || amount <= 0 || amount > MAX_MINOR_UNITS)
    throw badUserInput('amount', 'must be a positive integer number of minor units');
  const reason = input.reason.trim();
  if (reason.length === 0 || reason.length > MAX_REASON) throw badUserInput('reason', `must be 1 to ${MAX_REASON} characters`);
  const idempotencyKey = idempotencyKeyOf(input.idempotencyKey);
  const hash = requestHash({ paymentSessionId, amount, reason });

  type Reserved = { refund: RefundRow; session: PaymentSessionRow };
  const reserved = await unlessNothingToStore<Reserved, RefundRow>(() =>
    ctx.mutate(async (uow) => {
      // The row lock serialises refunds of one session: each sees the amounts the previous ones reserved.
      const [session] = await uow.tx
        .select()
        .from(paymentSessions)
        .where(and(eq(paymentSessions.id, paymentSessionId), scopeCondition(scope, livemode, paymentSessions)))
        .for('update');
      if (!session) throw notFound('PaymentSession', paymentSessionId);
      const [existing] = await uow.tx
        .select()
        .from(refunds)
        .where(and(eq(refunds.sessionId, session.id), eq(refunds.idempotencyKey, idempotencyKey)));
      if (existing) {
        if (existing.requestHash !== hash) throw keyReused();
        throw new NothingToStore(existing);
      }
      const pending = await pendingRefundAmount(uow.tx, session.id);
      const check = checkCommand(snapshotOf(session), { type: 'REFUND', amount, pendingRefundAmount: pending });
      if (!check.ok) throw refusalError(check.refusal, check.refusal.code === 'ILLEGAL_TRANSITION' ? 'paymentSessionId' : 'amount');
      if (!session.pspReference)
        throw badUserInput(
          'paymentSessionId',
          'the session has no payment at the PSP to refund (seeded sandbox data); refund a session started through startPaymentSession',
        );
      const now = new Date();
      const [refund] = await uow.tx
        .insert(refunds)
        .values({
          id: newId('ref'),
          sessionId: session.id,
          orderId: session.orderId,
          merchantId: session.merchantId,
          livemode: session.livemode,
          amount,
          currency: session.currency,
          reason,
          idempotencyKey,
          requestHash: hash,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      // refund.created goes out once the PSP accepted the refund (below, or from its notification).
      uow.audit({ action: 'refund.create', entityType: 'Refund', entityId: refund!.id, merchantId: refund!.merchantId, after: refundAuditView(refund!) });
      return { refund: refund!, session };
    }),
  );
  if (!('session' in reserved)) return reserved;
  const { refund, session } = reserved;

  const adapter = services.adapterFor(session.psp as PspCode, session.livemode);
  const fail = async (failureReason: string) =>
    ctx.mutate(async (uow) => {
      const [updated] = await uow.tx
        .update(refunds)
        .set({ status: 'FAILED', failureReason, updatedAt: new Date() })
        .where(and(eq(refunds.id, refund.id), eq(refunds.status, 'PENDING')))
        .returning();
      uow.audit({
        action: 'refund.fail',
        entityType: 'Refund',
        entityId: refund.id,
        merchantId: refund.merchantId,
        before: refundAuditView(refund),
        after: updated ? refundAuditView(updated) : null,
      });
      return updated ?? refund;
    });
  if (!adapter) {
    await fail(`${session.psp} is not configured here`);
    throw badUserInput('paymentSessionId', `${session.psp} is not configured for ${session.livemode ? 'live' : 'sandbox'} payments`);
  }
  try {
    const result = await adapter.refund({
      pspReference: session.pspReference!,
      reference: session.reference,
      amount: { amount, currency: session.currency },
      idempotencyKey: refund.id,
    });
    return await ctx.mutate(async (uow) => {
      // The PSP's notification may have settled it already; only the PSP's id is new here.
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
        before: refundAuditView(refund),
        after: refundAuditView(updated!),
      });
      if (updated!.status !== 'FAILED') await announceRefund(uow, refund.id);
      return updated!;
    });
  } catch (error) {
    if (!(error instanceof PspError)) throw error;
    ctx.logger.warn({ err: error, refundId: refund.id }, 'PSP refund call failed');
    // Outcome unknown (timeout): the reservation stays until the PSP's notification settles it.
    if (error.outcomeUnknown) return refund;
    await fail(error.message);
    throw pspFailure(error, 'amount');
  }
}
