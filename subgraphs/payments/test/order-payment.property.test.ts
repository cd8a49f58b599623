import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FUNDS_HOLDING_STATUSES,
  afterChange,
  holderOf,
  orderPaymentFacts,
  supersedeOnFunds,
  supersededByCancellation,
  supersededByNewSession,
  type SessionFacts,
} from '../src/domain/order-payment.ts';
import { canStartPayment } from '../src/domain/payability.ts';
import { newSessionSnapshot, transition, type PaymentEvent, type PaymentSessionSnapshot } from '../src/domain/state-machine.ts';

/**
 * Issue 11: interleavings of session starts, PSP payments and notifications (of several sessions, in any order,
 * redelivered), PSP cancels that are or are not honoured, and order cancellation, run through the real domain rules
 * (state machine, one funds holder per order, reversals) against a model PSP that moves the money. Whatever the
 * interleaving: the money the PSP holds net is the order total at most once, our ledger agrees with the PSP, at most
 * one session holds the order's funds at any time, and a cancelled order ends with nothing captured net.
 */
interface Psp {
  status: 'pending' | 'captured' | 'cancelled';
  captured: number;
  refunded: number;
  honoursCancel: boolean;
}
interface Session {
  snap: PaymentSessionSnapshot;
  superseded: string | null;
  reserved: number;
  psp: Psp;
}

const actionArb = fc.oneof(
  fc.record({ kind: fc.constant('start' as const), honoursCancel: fc.boolean() }),
  fc.record({ kind: fc.constant('pay' as const), session: fc.nat({ max: 3 }), authorizeFirst: fc.boolean() }),
  fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat(), duplicate: fc.boolean() }),
  fc.record({ kind: fc.constant('cancelOrder' as const) }),
  // Our sweep expires an unpaid session and asks the PSP to close it, which it may not do in time.
  fc.record({ kind: fc.constant('expire' as const), session: fc.nat({ max: 3 }) }),
);

type Action = typeof actionArb extends fc.Arbitrary<infer T> ? T : never;

function run(amountDue: number, actions: readonly Action[]) {
  let orderStatus = 'AWAITING_PAYMENT';
  const sessions: Session[] = [];
  const queue: { i: number; event: PaymentEvent }[] = [];
  let n = 0;
  const at = new Date('2026-11-02T09:00:00.000Z');
  const facts = (s: Session): SessionFacts => ({
    id: s.snap.id,
    psp: 'adyen',
    status: s.snap.status,
    amount: s.snap.amount,
    capturedAmount: s.snap.capturedAmount,
    refundedAmount: s.snap.refundedAmount,
    supersededReason: s.superseded,
  });
  const notify = (i: number, event: Omit<PaymentEvent, 'source' | 'eventId' | 'occurredAt' | 'currency' | 'pspReference'>) => {
    n += 1;
    queue.push({
      i,
      event: {
        source: 'psp-notification',
        eventId: `e${n}`,
        occurredAt: new Date(at.getTime() + n),
        currency: 'EUR',
        pspReference: `PSP-${i}`,
        ...event,
      } as PaymentEvent,
    });
  };
  const pspCancel = (i: number) => {
    const psp = sessions[i]!.psp;
    if (psp.honoursCancel && psp.status === 'pending') {
      psp.status = 'cancelled';
      notify(i, { type: 'CANCEL' });
    }
  };
  const pspRefund = (i: number, amount: number) => {
    const psp = sessions[i]!.psp;
    expect(psp.refunded + amount).toBeLessThanOrEqual(psp.captured);
    psp.refunded += amount;
    notify(i, { type: 'REFUND', amount });
  };
  const followUp = (i: number) => {
    const s = sessions[i]!;
    const todo = afterChange(orderStatus, facts(s), s.reserved);
    if (todo.reverse > 0) {
      s.reserved += todo.reverse;
      pspRefund(i, todo.reverse);
    }
    if (todo.cancelAtPsp) pspCancel(i);
  };
  const holders = () => sessions.filter((s) => !s.superseded && FUNDS_HOLDING_STATUSES.has(s.snap.status));

  const deliver = (index: number): boolean => {
    const [{ i, event }] = queue.splice(index, 1) as [{ i: number; event: PaymentEvent }];
    const s = sessions[i]!;
    const result = transition(s.snap, event);
    if (!result.ok) {
      // Only "arrived before what it depends on" may be refused: the PSP delivers it again.
      expect(result.refusal, `${event.type} on ${s.snap.status}`).toMatchObject({ retryable: true });
      queue.push({ i, event });
      return false;
    }
    const entering = FUNDS_HOLDING_STATUSES.has(result.snapshot.status) && !FUNDS_HOLDING_STATUSES.has(s.snap.status);
    if (!s.superseded && entering) s.superseded = supersedeOnFunds(orderStatus, { id: s.snap.id }, sessions.map(facts));
    s.snap = result.snapshot;
    expect(holders().length).toBeLessThanOrEqual(1);
    followUp(i);
    return true;
  };

  for (const action of actions) {
    switch (action.kind) {
      case 'start': {
        const payable = canStartPayment(
          orderStatus,
          sessions.filter((s) => !s.superseded).map((s) => s.snap.status),
        );
        if (!payable.ok || sessions.length >= 4) break;
        const id = `pay_${sessions.length}`;
        let snap = newSessionSnapshot({ id, reference: `IPAY-${id}`, amount: amountDue, currency: 'EUR', createdAt: at });
        const requested = transition(snap, {
          type: 'REQUEST',
          source: 'psp-response',
          eventId: `${id}:requested`,
          pspReference: `PSP-${sessions.length}`,
          occurredAt: at,
        });
        if (requested.ok) snap = requested.snapshot;
        const replaced = supersededByNewSession(sessions.map(facts), id);
        sessions.push({ snap, superseded: null, reserved: 0, psp: { status: 'pending', captured: 0, refunded: 0, honoursCancel: action.honoursCancel } });
        for (const { id: old, reason } of replaced) {
          const index = sessions.findIndex((s) => s.snap.id === old);
          sessions[index]!.superseded = reason;
          pspCancel(index);
        }
        break;
      }
      case 'pay': {
        const i = action.session % Math.max(sessions.length, 1);
        const psp = sessions[i]?.psp;
        if (!psp || psp.status !== 'pending') break;
        psp.status = 'captured';
        psp.captured = amountDue;
        if (action.authorizeFirst) notify(i, { type: 'AUTHORIZE', amount: amountDue });
        notify(i, { type: 'CAPTURE', amount: amountDue });
        break;
      }
      case 'deliver': {
        if (queue.length === 0) break;
        const index = action.pick % queue.length;
        if (action.duplicate) queue.push({ ...queue[index]! });
        deliver(index);
        break;
      }
      case 'expire': {
        const i = action.session % Math.max(sessions.length, 1);
        const s = sessions[i];
        if (!s || (s.snap.status !== 'CREATED' && s.snap.status !== 'REQUESTED')) break;
        n += 1;
        const expired = transition(s.snap, { type: 'EXPIRE', source: 'system', eventId: `sys${n}`, occurredAt: new Date(at.getTime() + n) });
        if (!expired.ok) throw new Error(expired.refusal.reason);
        s.snap = expired.snapshot;
        if (s.psp.honoursCancel && s.psp.status === 'pending') s.psp.status = 'cancelled';
        break;
      }
      case 'cancelOrder': {
        if (orderStatus === 'CANCELLED') break;
        orderStatus = 'CANCELLED';
        for (const { id, reason } of supersededByCancellation(sessions.map(facts))) sessions.find((s) => s.snap.id === id)!.superseded = reason;
        sessions.forEach((_, i) => followUp(i));
        break;
      }
    }
  }
  // Everything the PSP sent arrives eventually.
  for (let guard = 0; queue.length > 0; guard += 1) {
    if (guard > 1_000) throw new Error('notifications never settle');
    deliver(0);
  }
  return { orderStatus, sessions };
}

describe('interleavings of starts, PSP notifications and cancellations (one order)', () => {
  it('charge the order at most once, keep our ledger equal to the PSP, and leave a cancelled order with nothing captured', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.array(actionArb, { minLength: 1, maxLength: 40 }), (amountDue, actions) => {
        const { orderStatus, sessions } = run(amountDue, actions);
        const pspNet = sessions.reduce((sum, s) => sum + s.psp.captured - s.psp.refunded, 0);
        const ledgerNet = sessions.reduce((sum, s) => sum + s.snap.capturedAmount - s.snap.refundedAmount, 0);
        expect(ledgerNet).toBe(pspNet);
        if (orderStatus === 'CANCELLED') expect(pspNet).toBe(0);
        else expect([0, amountDue]).toContain(pspNet);
        const state = orderPaymentFacts(
          amountDue,
          sessions.map((s) => ({
            id: s.snap.id,
            psp: 'adyen',
            status: s.snap.status,
            amount: s.snap.amount,
            capturedAmount: s.snap.capturedAmount,
            refundedAmount: s.snap.refundedAmount,
            supersededReason: s.superseded,
          })),
        );
        expect(state.state === 'PAID').toBe(pspNet === amountDue && orderStatus !== 'CANCELLED');
        expect(state.captured - state.refunded).toBe(pspNet);
        // Every superseded session's money went back.
        for (const s of sessions.filter((x) => x.superseded)) expect(s.snap.capturedAmount - s.snap.refundedAmount).toBe(0);
        expect(
          holderOf(
            sessions.map((s) => ({
              id: s.snap.id,
              psp: 'adyen',
              status: s.snap.status,
              amount: s.snap.amount,
              capturedAmount: s.snap.capturedAmount,
              refundedAmount: s.snap.refundedAmount,
              supersededReason: s.superseded,
            })),
          ) === null || !sessions.find((s) => s.snap.id === state.sessionId)?.superseded,
        ).toBe(true);
      }),
      { numRuns: 1_000 },
    );
  });
});
