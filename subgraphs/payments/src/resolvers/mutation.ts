import { and, eq } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import { MAX_MINOR_UNITS, badUserInput, forbidden, newId, notFound, scopeCondition } from '@ipay/platform';
import type { Context } from '../context.ts';
import { orders, paymentSessions, refunds, type PaymentSessionRow, type RefundRow } from '../db/schema.ts';
import { factsOf, lockOrder, sessionsOfOrder, supersede } from '../app/order-payment.ts';
import { supersededByNewSession } from '../domain/order-payment.ts';
import { canStartPayment } from '../domain/payability.ts';
import { newPaymentReference } from '../domain/reference.ts';
import { checkCommand, type PaymentEvent } from '../domain/state-machine.ts';
import {
  NothingToStore,
  announceRefund,
  applyPaymentEvent,
  auditView,
  lockSession,
  pendingRefundAmount,
  refundAuditView,
  refusalError,
  requestHash,
  snapshotOf,
  unlessNothingToStore,
} from '../payments.ts';
import { PspError, eventsFromCreatedPayment, type CreatedPayment, type PspCode } from '../psp/adapter.ts';
import type { MutationResolvers } from '../generated/graphql.ts';

const METHOD = /^[a-z][a-z0-9_]{1,31}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const MAX_REASON = 500;

function idempotencyKeyOf(value: string): string {
  if (!IDEMPOTENCY_KEY.test(value)) throw badUserInput('idempotencyKey', 'must be 1 to 255 printable ASCII characters without spaces');
  return value;
}

function keyReused(): GraphQLError {
  return new GraphQLError('idempotencyKey: already used with a different request', { extensions: { code: 'IDEMPOTENCY_KEY_REUSED', field: 'idempotencyKey' } });
}

function pspFailure(error: PspError, field: string): GraphQLError {
  const refused = error.kind === 'rejected';
  const code = refused ? 'PSP_REFUSED' : 'PSP_UNAVAILABLE';
  return new GraphQLError(`${field}: the PSP ${refused ? 'refused the request' : 'could not process the request'}: ${error.message}`, {
    extensions: { code, field, psp: error.psp, pspCode: error.details.pspCode ?? null, retryable: error.retryable },
  });
}

/** The session's PSP call and its answer through the state machine; safe to repeat (the PSP idempotency key is the session id). */
async function requestAtPsp(ctx: Context, session: PaymentSessionRow, orderReference: string): Promise<PaymentSessionRow> {
  const psp = session.psp as PspCode;
  const adapter = ctx.services.adapterFor(psp, session.livemode);
  if (!adapter) throw badUserInput('psp', `${psp} is not configured for ${session.livemode ? 'live' : 'sandbox'} payments`);
  let created: CreatedPayment;
  try {
    created = await adapter.createPayment({
      reference: session.reference,
      amount: { amount: session.amount, currency: session.currency },
      method: session.method,
      description: `Order ${orderReference}`,
      returnUrl: ctx.services.returnUrl,
      // Pay on arrival: the consumer's payment is collected as soon as it is authorised.
      captureMode: 'automatic',
      idempotencyKey: session.id,
    });
  } catch (error) {
    if (!(error instanceof PspError)) throw error;
    ctx.logger.warn({ err: error, sessionId: session.id }, 'PSP refused or did not answer a payment request');
    // Only a refusal of the payment itself fails the session; otherwise (timeout, outage, our own misconfiguration) it
    // stays CREATED and a retry with the same idempotencyKey repeats the call under the same PSP idempotency key.
    if (error.kind !== 'rejected') throw pspFailure(error, 'psp');
    const failure: PaymentEvent = {
      type: 'FAIL',
      source: 'psp-response',
      eventId: `${psp}:${session.id}:create-refused`,
      pspStatusCode: error.details.pspCode ?? (error.details.httpStatus ? String(error.details.httpStatus) : error.kind),
      occurredAt: new Date(),
    };
    await unlessNothingToStore(() =>
      ctx.mutate(async (uow) => {
        const row = await lockSession(uow.tx, session.id);
        const applied = await applyPaymentEvent(uow, row!, failure);
        if (applied.outcome === 'duplicate' || applied.outcome === 'refused') throw new NothingToStore(undefined);
      }),
    );
    throw pspFailure(error, 'psp');
  }
  const stored = await ctx.mutate(async (uow) => {
    let row = (await lockSession(uow.tx, session.id))!;
    const [withAction] = await uow.tx
      .update(paymentSessions)
      .set({ nextAction: created.action.type === 'none' ? null : created.action })
      .where(eq(paymentSessions.id, row.id))
      .returning();
    row = withAction!;
    for (const event of eventsFromCreatedPayment(psp, created, new Date())) {
      const applied = await applyPaymentEvent(uow, row, event);
      if (applied.outcome === 'refused') {
        ctx.logger.error({ sessionId: row.id, refusal: applied.refusal }, 'the PSP answer contradicts the session');
        continue;
      }
      row = applied.row;
    }
    // Notifications may have said it all already; the PSP's answer still is a recorded step.
    if (uow.auditEntries.length === 0) {
      uow.audit({ action: 'payment_session.request', entityType: 'PaymentSession', entityId: row.id, merchantId: row.merchantId, before: auditView(session), after: auditView(row) });
    }
    return row;
  });
  // Replaced by a newer session while the PSP was answering: cancel it there now.
  if (stored.supersededAt) await ctx.services.settlePspWork({ sessionIds: [stored.id] }).catch((err: unknown) => ctx.logger.warn({ err }, 'could not cancel a superseded session at the PSP yet'));
  return stored;
}

export const Mutation: MutationResolvers = {
  startPaymentSession: async (_, { input }, ctx) => {
    const { auth, db, services } = ctx;
    const scope = auth.require('payments:create');
    const livemode = auth.livemode;
    const psp = input.psp.toLowerCase() as PspCode;
    const method = input.method.trim().toLowerCase();
    if (!METHOD.test(method)) throw badUserInput('method', 'must be a payment method code such as card, ideal or bancontact');
    const idempotencyKey = idempotencyKeyOf(input.idempotencyKey);
    if (!services.adapterFor(psp, livemode)) throw badUserInput('psp', `${psp} is not configured for ${livemode ? 'live' : 'sandbox'} payments`);
    const [order] = await db.select().from(orders).where(and(eq(orders.id, input.orderId), scopeCondition(scope, livemode, orders)));
    if (!order) throw notFound('Order', input.orderId);
    const hash = requestHash({ orderId: order.id, psp, method });

    const replay = async (existing: PaymentSessionRow) => {
      if (existing.requestHash !== hash) throw keyReused();
      // A first attempt that never got the PSP's answer is completed now, with the same PSP idempotency key (unless a
      // newer session replaced it meanwhile: then it never goes to the PSP).
      return existing.status === 'CREATED' && !existing.pspReference && !existing.supersededAt ? requestAtPsp(ctx, existing, order.reference) : existing;
    };
    const byKey = async () =>
      (
        await db
          .select()
          .from(paymentSessions)
          .where(and(eq(paymentSessions.merchantId, order.merchantId), eq(paymentSessions.livemode, livemode), eq(paymentSessions.idempotencyKey, idempotencyKey)))
      )[0];
    const existing = await byKey();
    if (existing) return replay(existing);

    const refuseUnlessPayable = (orderStatus: string, sessions: readonly PaymentSessionRow[]) => {
      // Superseded sessions never hold the order's funds (their captures are reversed), so they do not block.
      const payable = canStartPayment(orderStatus, sessions.filter((s) => !s.supersededAt).map((s) => s.status));
      if (!payable.ok) throw new GraphQLError(`orderId: ${payable.reason}`, { extensions: { code: 'ORDER_NOT_PAYABLE', field: 'orderId', orderStatus } });
    };
    refuseUnlessPayable(order.status, await db.select().from(paymentSessions).where(eq(paymentSessions.orderId, order.id)));

    let replaced: string[] = [];
    const created = await unlessNothingToStore<PaymentSessionRow, 'raced'>(() =>
      ctx.mutate(async (uow) => {
        // Under the order's row lock: checked again, and sessions still open are superseded by the new one, so two
        // concurrent starts cannot both become the order's payment.
        const locked = (await lockOrder(uow.tx, order.id)) ?? order;
        const sessions = await sessionsOfOrder(uow.tx, order.id);
        refuseUnlessPayable(locked.status, sessions);
        // References are random; a clash with an existing one is unlikely but possible, so draw again.
        for (let attempt = 0; attempt < 5; attempt += 1) {
          const now = new Date();
          const [row] = await uow.tx
            .insert(paymentSessions)
            .values({
              id: newId('pay'),
              reference: newPaymentReference(),
              orderId: order.id,
              merchantId: order.merchantId,
              livemode,
              status: 'CREATED',
              amount: order.amount,
              currency: order.currency,
              psp,
              method,
              idempotencyKey,
              requestHash: hash,
              expiresAt: new Date(now.getTime() + services.sessionTtlMinutes * 60_000),
              createdAt: now,
              updatedAt: now,
            })
            .onConflictDoNothing()
            .returning();
          if (row) {
            uow.audit({ action: 'payment_session.create', entityType: 'PaymentSession', entityId: row.id, merchantId: row.merchantId, after: auditView(row) });
            const toSupersede = supersededByNewSession(sessions.map(factsOf), row.id);
            for (const { id, reason } of toSupersede) await supersede(uow, sessions.find((s) => s.id === id)!, reason);
            replaced = toSupersede.map((s) => s.id);
            return row;
          }
          // The same key may just have been used by a concurrent request: that one wins.
          const [raced] = await uow.tx
            .select({ id: paymentSessions.id })
            .from(paymentSessions)
            .where(and(eq(paymentSessions.merchantId, order.merchantId), eq(paymentSessions.livemode, livemode), eq(paymentSessions.idempotencyKey, idempotencyKey)));
          if (raced) throw new NothingToStore<'raced'>('raced');
        }
        throw new Error('could not draw an unused payment reference in 5 attempts');
      }),
    );
    if (created === 'raced') return replay((await byKey())!);
    // The replaced sessions are cancelled at the PSP first; one that still captures is reversed automatically.
    await services.settlePspWork({ sessionIds: replaced }).catch((err: unknown) => ctx.logger.warn({ err }, 'could not cancel replaced sessions at the PSP yet; the sweep retries'));
    return requestAtPsp(ctx, created, order.reference);
  },

  createRefund: async (_, { input }, ctx) => {
    const { auth, services } = ctx;
    const scope = auth.require('payments:refund');
    const livemode = auth.livemode;
    const { paymentSessionId, amount } = input;
    if (!Number.isSafeInteger(amount) || amount <= 0 || amount > MAX_MINOR_UNITS) throw badUserInput('amount', 'must be a positive integer number of minor units');
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
        const [existing] = await uow.tx.select().from(refunds).where(and(eq(refunds.sessionId, session.id), eq(refunds.idempotencyKey, idempotencyKey)));
        if (existing) {
          if (existing.requestHash !== hash) throw keyReused();
          throw new NothingToStore(existing);
        }
        const pending = await pendingRefundAmount(uow.tx, session.id);
        const check = checkCommand(snapshotOf(session), { type: 'REFUND', amount, pendingRefundAmount: pending });
        if (!check.ok) throw refusalError(check.refusal, check.refusal.code === 'ILLEGAL_TRANSITION' ? 'paymentSessionId' : 'amount');
        if (!session.pspReference) throw badUserInput('paymentSessionId', 'the session has no payment at the PSP to refund (seeded sandbox data); refund a session started through startPaymentSession');
        const now = new Date();
        const [refund] = await uow.tx
          .insert(refunds)
          .values({ id: newId('ref'), sessionId: session.id, orderId: session.orderId, merchantId: session.merchantId, livemode: session.livemode, amount, currency: session.currency, reason, idempotencyKey, requestHash: hash, createdAt: now, updatedAt: now })
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
        const [updated] = await uow.tx.update(refunds).set({ status: 'FAILED', failureReason, updatedAt: new Date() }).where(and(eq(refunds.id, refund.id), eq(refunds.status, 'PENDING'))).returning();
        uow.audit({ action: 'refund.fail', entityType: 'Refund', entityId: refund.id, merchantId: refund.merchantId, before: refundAuditView(refund), after: updated ? refundAuditView(updated) : null });
        return updated ?? refund;
      });
    if (!adapter) {
      await fail(`${session.psp} is not configured here`);
      throw badUserInput('paymentSessionId', `${session.psp} is not configured for ${session.livemode ? 'live' : 'sandbox'} payments`);
    }
    try {
      const result = await adapter.refund({ pspReference: session.pspReference!, reference: session.reference, amount: { amount, currency: session.currency }, idempotencyKey: refund.id });
      return await ctx.mutate(async (uow) => {
        // The PSP's notification may have settled it already; only the PSP's id is new here.
        const [updated] = await uow.tx
          .update(refunds)
          .set({ pspReference: result.modificationReference, updatedAt: new Date(), ...(result.outcome === 'failed' ? { status: 'FAILED' as const, failureReason: `the PSP answered ${result.pspStatusCode}` } : {}) })
          .where(eq(refunds.id, refund.id))
          .returning();
        uow.audit({ action: 'refund.submit', entityType: 'Refund', entityId: refund.id, merchantId: refund.merchantId, before: refundAuditView(refund), after: refundAuditView(updated!) });
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
  },

  simulateSandboxPayment: async (_, { sessionId, outcome, duplicate, outOfOrder }, ctx) => {
    const { auth, db, services } = ctx;
    const scope = auth.require('payments:create');
    if (auth.livemode) throw forbidden('simulateSandboxPayment works with sandbox (test-mode) credentials only');
    const [session] = await db.select().from(paymentSessions).where(and(eq(paymentSessions.id, sessionId), scopeCondition(scope, false, paymentSessions)));
    if (!session) throw notFound('PaymentSession', sessionId);
    const sandbox = services.sandboxes[session.psp as PspCode];
    if (!sandbox) throw forbidden('the sandbox PSPs are not running in this deployment (PSP_SANDBOX=false)');
    if (!session.pspReference) throw badUserInput('sessionId', 'the session has no payment at the sandbox PSP (seeded sandbox data); start one with startPaymentSession');
    if (session.status !== 'CREATED' && session.status !== 'REQUESTED') throw badUserInput('sessionId', `the session is ${session.status}; only an open session can be paid`);
    const waiting = 'the sandbox PSP has no shopper waiting on this payment (already completed, or started before the sandbox restarted)';
    if (!sandbox.awaitingShopper(session.reference)) throw badUserInput('sessionId', waiting);
    const scenario = { outcome: outcome.toLowerCase() as 'succeed' | 'decline' | 'expire', duplicate, reverse: outOfOrder };
    await ctx.mutate(async (uow) => {
      uow.audit({ action: 'payment_session.simulate', entityType: 'PaymentSession', entityId: session.id, merchantId: session.merchantId, before: auditView(session), after: { scenario } });
    });
    // The sandbox PSP now posts its signed notifications to our webhook routes, as the real PSP would.
    if (!sandbox.complete(session.reference, scenario)) throw badUserInput('sessionId', waiting);
    return session;
  },
};
