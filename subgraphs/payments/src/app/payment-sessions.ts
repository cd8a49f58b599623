import { and, eq } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import { badUserInput, newId, notFound, scopeCondition } from '@ipay/platform';
import { orders, paymentSessions, type PaymentSessionRow } from '../db/schema.ts';
import { supersededByNewSession } from '../domain/order-payment.ts';
import { canStartPayment } from '../domain/payability.ts';
import { newPaymentReference } from '../domain/reference.ts';
import type { PaymentEvent } from '../domain/state-machine.ts';
import { PspError, eventsFromCreatedPayment, type CreatedPayment, type PspCode } from '../adapters/psp/adapter.ts';
import { factsOf, lockOrder, sessionsOfOrder, supersede } from './order-payment.ts';
import { NothingToStore, applyPaymentEvent, auditView, lockSession, requestHash, unlessNothingToStore } from './payments.ts';
import { METHOD, idempotencyKeyOf, keyReused, pspFailure, type PaymentsRequest } from './request.ts';

export interface StartPaymentSessionInput {
  orderId: string;
  psp: PspCode;
  method: string;
  idempotencyKey: string;
}

/** The session's PSP call and its answer through the state machine; safe to repeat (the PSP idempotency key is the session id). */
async function requestAtPsp(ctx: PaymentsRequest, session: PaymentSessionRow, orderReference: string): Promise<PaymentSessionRow> {
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
      // Pay on arrival: the consumer's payment is collected as soon as it is authorized.
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
      uow.audit({
        action: 'payment_session.request',
        entityType: 'PaymentSession',
        entityId: row.id,
        merchantId: row.merchantId,
        before: auditView(session),
        after: auditView(row),
      });
    }
    return row;
  });
  // Replaced by a newer session while the PSP was answering: cancel it there now.
  if (stored.supersededAt)
    await ctx.services
      .settlePspWork({ sessionIds: [stored.id] })
      .catch((err: unknown) => ctx.logger.warn({ err }, 'could not cancel a superseded session at the PSP yet'));
  return stored;
}

/**
 * Starts (or, with the same idempotency key and input, resumes) the payment of an order at a PSP: under the order's
 * lock a new session supersedes the ones still open, then the PSP is asked (outside the transaction).
 */
export async function startPaymentSession(ctx: PaymentsRequest, input: StartPaymentSessionInput): Promise<PaymentSessionRow> {
  const { auth, db, services } = ctx;
  const scope = auth.require('payments:create');
  const livemode = auth.livemode;
  const psp = input.psp;
  const method = input.method.trim().toLowerCase();
  if (!METHOD.test(method)) throw badUserInput('method', 'must be a payment method code such as card, ideal or bancontact');
  const idempotencyKey = idempotencyKeyOf(input.idempotencyKey);
  if (!services.adapterFor(psp, livemode)) throw badUserInput('psp', `${psp} is not configured for ${livemode ? 'live' : 'sandbox'} payments`);
  // A consumer token (ORDER scope) starts or resumes the payment of its own order only.
  const [order] = await db
    .select()
    .from(orders)
    .where(
      and(eq(orders.id, input.orderId), scopeCondition(scope, livemode, { merchantId: orders.merchantId, livemode: orders.livemode, orderId: orders.id })),
    );
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
        .where(
          and(eq(paymentSessions.merchantId, order.merchantId), eq(paymentSessions.livemode, livemode), eq(paymentSessions.idempotencyKey, idempotencyKey)),
        )
    )[0];
  const existing = await byKey();
  if (existing) return replay(existing);

  const refuseUnlessPayable = (orderStatus: string, sessions: readonly PaymentSessionRow[]) => {
    // Superseded sessions never hold the order's funds (their captures are reversed), so they do not block.
    const payable = canStartPayment(
      orderStatus,
      sessions.filter((s) => !s.supersededAt).map((s) => s.status),
    );
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
          for (const { id, reason } of toSupersede)
            await supersede(
              uow,
              sessions.find((s) => s.id === id)!,
              reason,
            );
          replaced = toSupersede.map((s) => s.id);
          return row;
        }
        // The same key may just have been used by a concurrent request: that one wins.
        const [raced] = await uow.tx
          .select({ id: paymentSessions.id })
          .from(paymentSessions)
          .where(
            and(eq(paymentSessions.merchantId, order.merchantId), eq(paymentSessions.livemode, livemode), eq(paymentSessions.idempotencyKey, idempotencyKey)),
          );
        if (raced) throw new NothingToStore<'raced'>('raced');
      }
      throw new Error('could not draw an unused payment reference in 5 attempts');
    }),
  );
  if (created === 'raced') return replay((await byKey())!);
  // The replaced sessions are cancelled at the PSP first; one that still captures is reversed automatically.
  await services
    .settlePspWork({ sessionIds: replaced })
    .catch((err: unknown) => ctx.logger.warn({ err }, 'could not cancel replaced sessions at the PSP yet; the sweep retries'));
  return requestAtPsp(ctx, created, order.reference);
}
