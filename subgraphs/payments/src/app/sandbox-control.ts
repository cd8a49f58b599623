import { and, eq } from 'drizzle-orm';
import { badUserInput, forbidden, notFound, scopeCondition } from '@ipay/platform';
import { paymentSessions, type PaymentSessionRow } from '../db/schema.ts';
import type { PspCode } from '../adapters/psp/adapter.ts';
import { auditView } from './payments.ts';
import type { PaymentsRequest } from './request.ts';
import type { SandboxOutcome } from './sandbox-port.ts';

/**
 * The sandbox-only mutations (test-mode credentials): they drive the running sandbox PSPs through the interface of
 * app/sandbox-port.ts, so this live module never loads the simulators; without them (production) they are refused.
 */

/** A session of the caller's scope at a running sandbox PSP, for the sandbox-only mutations (test-mode credentials). */
async function sandboxSession(ctx: PaymentsRequest, sessionId: string, mutation: string) {
  const { auth, db, services } = ctx;
  const scope = auth.require('payments:create');
  if (auth.livemode) throw forbidden(`${mutation} works with sandbox (test-mode) credentials only`);
  const [session] = await db
    .select()
    .from(paymentSessions)
    .where(and(eq(paymentSessions.id, sessionId), scopeCondition(scope, false, paymentSessions)));
  if (!session) throw notFound('PaymentSession', sessionId);
  const sandbox = services.sandboxes[session.psp as PspCode];
  if (!sandbox) throw forbidden('the sandbox PSPs are not running in this deployment (PSP_SANDBOX=false)');
  return { session, sandbox };
}

/** The sandbox PSP's waiting shopper pays, declines or abandons the session; its notifications then reach our webhooks. */
export async function simulateSandboxPayment(
  ctx: PaymentsRequest,
  sessionId: string,
  { outcome, duplicate, outOfOrder, delay }: { outcome: SandboxOutcome; duplicate: boolean; outOfOrder: boolean; delay: boolean },
): Promise<PaymentSessionRow> {
  const { session, sandbox } = await sandboxSession(ctx, sessionId, 'simulateSandboxPayment');
  if (!session.pspReference)
    throw badUserInput('sessionId', 'the session has no payment at the sandbox PSP (seeded sandbox data); start one with startPaymentSession');
  if (session.status !== 'CREATED' && session.status !== 'REQUESTED')
    throw badUserInput('sessionId', `the session is ${session.status}; only an open session can be paid`);
  const waiting = 'the sandbox PSP has no shopper waiting on this payment (already completed, or started before the sandbox restarted)';
  if (!sandbox.awaitingShopper(session.reference)) throw badUserInput('sessionId', waiting);
  // delay: the PSP acts now, its notifications are held back until releaseSandboxNotifications.
  const scenario = { outcome, duplicate, reverse: outOfOrder, hold: delay };
  await ctx.mutate(async (uow) => {
    uow.audit({
      action: 'payment_session.simulate',
      entityType: 'PaymentSession',
      entityId: session.id,
      merchantId: session.merchantId,
      before: auditView(session),
      after: { scenario },
    });
  });
  // The sandbox PSP now posts its signed notifications to our webhook routes, as the real PSP would.
  if (!sandbox.complete(session.reference, scenario)) throw badUserInput('sessionId', waiting);
  return session;
}

/** The sandbox PSP posts the notifications it held back for the session (simulateSandboxPayment with delay). */
export async function releaseSandboxNotifications(ctx: PaymentsRequest, sessionId: string): Promise<PaymentSessionRow> {
  const { session, sandbox } = await sandboxSession(ctx, sessionId, 'releaseSandboxNotifications');
  const held = sandbox.held(session.reference);
  if (!held) throw badUserInput('sessionId', 'the sandbox PSP holds no notifications for this session (simulateSandboxPayment with delay holds them)');
  await ctx.mutate(async (uow) => {
    uow.audit({
      action: 'payment_session.release_notifications',
      entityType: 'PaymentSession',
      entityId: session.id,
      merchantId: session.merchantId,
      before: auditView(session),
      after: { held },
    });
  });
  // Later notifications of this payment (refunds, …) are no longer held; the held ones are posted now, in order.
  sandbox.scenario(session.reference, { hold: false });
  await sandbox.release(session.reference);
  const [after] = await ctx.db.select().from(paymentSessions).where(eq(paymentSessions.id, session.id));
  return after ?? session;
}
