import { describe, expect, it } from 'vitest';
import {
  LIFECYCLE_RANK,
  PAYMENT_EVENT_TYPES,
  PAYMENT_SESSION_STATUSES,
  REACHABLE,
  TERMINAL_STATUSES,
  TRANSITIONS,
  checkCommand,
  outstandingAmount,
  newSessionSnapshot,
  transition,
  type PaymentEvent,
  type PaymentEventSource,
  type PaymentEventType,
  type PaymentSessionSnapshot,
  type PaymentSessionStatus,
} from '../src/domain/state-machine.ts';

const AMOUNT = 10_000;
const T0 = new Date('2026-11-02T09:00:00.000Z');

/** A session in `status` with amounts that fit it. */
function sessionIn(status: PaymentSessionStatus, overrides: Partial<PaymentSessionSnapshot> = {}): PaymentSessionSnapshot {
  const amounts: Record<PaymentSessionStatus, [authorized: number, captured: number, refunded: number]> = {
    CREATED: [0, 0, 0],
    REQUESTED: [0, 0, 0],
    AUTHORIZED: [AMOUNT, 0, 0],
    PARTIALLY_CAPTURED: [AMOUNT, 4_000, 0],
    CONFIRMED: [AMOUNT, AMOUNT, 0],
    PARTIALLY_REFUNDED: [AMOUNT, AMOUNT, 3_000],
    REFUNDED: [AMOUNT, AMOUNT, AMOUNT],
    FAILED: [0, 0, 0],
    EXPIRED: [AMOUNT, 0, 0],
    CANCELLED: [AMOUNT, 0, 0],
  };
  const [authorizedAmount, capturedAmount, refundedAmount] = amounts[status];
  return {
    ...newSessionSnapshot({ id: 'pay_1', reference: 'IPAY-7K3M-Q9XD-4', amount: AMOUNT, currency: 'EUR', createdAt: T0 }),
    status,
    pspReference: status === 'CREATED' ? null : 'PSP-1',
    authorizedAmount,
    capturedAmount,
    refundedAmount,
    ...overrides,
  };
}

let counter = 0;
function event(type: PaymentEventType, session: PaymentSessionSnapshot, overrides: Partial<PaymentEvent> = {}): PaymentEvent {
  counter += 1;
  const amount =
    type === 'AUTHORIZE' ? AMOUNT : type === 'CAPTURE' ? session.capturedAmount || session.authorizedAmount || AMOUNT : type === 'REFUND' ? 2_000 : null;
  return {
    type,
    source: 'psp-notification',
    eventId: `evt-${counter}`,
    pspReference: 'PSP-1',
    pspStatusCode: type,
    occurredAt: T0,
    amount,
    currency: 'EUR',
    ...overrides,
  };
}

describe('the transition table', () => {
  it('covers every (status, event) pair', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...PAYMENT_SESSION_STATUSES].sort());
    for (const status of PAYMENT_SESSION_STATUSES) expect(Object.keys(TRANSITIONS[status]).sort()).toEqual([...PAYMENT_EVENT_TYPES].sort());
  });

  it('never leads backwards and never out of a terminal status', () => {
    for (const from of PAYMENT_SESSION_STATUSES) {
      for (const to of REACHABLE[from]) {
        expect(LIFECYCLE_RANK[to], `${from} → ${to}`).toBeGreaterThan(LIFECYCLE_RANK[from]);
        expect(TERMINAL_STATUSES.has(from), `${from} is terminal but leads to ${to}`).toBe(false);
      }
    }
    expect(REACHABLE.CREATED).toEqual(new Set(PAYMENT_SESSION_STATUSES.filter((s) => s !== 'CREATED')));
    expect(REACHABLE.CONFIRMED).toEqual(new Set(['PARTIALLY_REFUNDED', 'REFUNDED']));
  });

  describe.each(PAYMENT_SESSION_STATUSES)('from %s', (status) => {
    it.each(PAYMENT_EVENT_TYPES)('%s from a PSP does what the table says', (type) => {
      const rule = TRANSITIONS[status][type];
      const before = sessionIn(status);
      const result = transition(before, event(type, before), { now: T0 });
      switch (rule.kind) {
        case 'apply':
          expect(result).toMatchObject({
            ok: true,
            outcome: 'applied',
            snapshot: { status: rule.to, version: 1 },
            entry: { fromStatus: status, toStatus: rule.to, outcome: 'applied' },
          });
          break;
        case 'capture': {
          const to = (event(type, before).amount ?? 0) === before.amount ? 'CONFIRMED' : 'PARTIALLY_CAPTURED';
          expect(result).toMatchObject({ ok: true, outcome: 'applied', snapshot: { status: to, version: 1 }, entry: { fromStatus: status, toStatus: to } });
          break;
        }
        case 'refund': {
          const total = before.refundedAmount + 2_000;
          if (total > before.capturedAmount) {
            expect(result).toMatchObject({ ok: false, refusal: { code: 'REFUND_EXCEEDS_CAPTURED', requiresAttention: true } });
          } else {
            const to = total === before.capturedAmount ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
            expect(result).toMatchObject({ ok: true, outcome: 'applied', snapshot: { status: to, refundedAmount: total } });
          }
          break;
        }
        case 'duplicate':
          expect(result).toMatchObject({ ok: true, outcome: 'duplicate', entry: null });
          if (result.ok) expect(result.snapshot).toBe(before);
          break;
        case 'record':
          expect(result).toMatchObject({
            ok: true,
            outcome: 'recorded',
            snapshot: { status, version: 1 },
            entry: { outcome: 'recorded', fromStatus: status, toStatus: status },
          });
          break;
        case 'stale':
          expect(result).toMatchObject({ ok: true, outcome: 'ignored', snapshot: { status }, entry: { outcome: 'ignored', toStatus: status } });
          if (result.ok) expect(result.entry?.reason).toMatch(/late or out-of-order/);
          break;
        case 'illegal':
          expect(result).toMatchObject({
            ok: false,
            refusal: {
              code: 'ILLEGAL_TRANSITION',
              from: status,
              eventType: type,
              retryable: rule.fromPsp === 'retry',
              requiresAttention: rule.fromPsp === 'alert',
            },
          });
          break;
      }
    });

    it.each(PAYMENT_EVENT_TYPES)('%s as our own command is applied or refused, never silently ignored', (type) => {
      const rule = TRANSITIONS[status][type];
      const before = sessionIn(status);
      for (const source of ['api', 'system'] as PaymentEventSource[]) {
        const result = transition(before, event(type, before, { source }), { now: T0 });
        if (rule.kind === 'stale' || rule.kind === 'illegal') {
          expect(result).toMatchObject({ ok: false, refusal: { code: 'ILLEGAL_TRANSITION', retryable: false, requiresAttention: false } });
          if (!result.ok) expect(result.refusal.reason).toContain(status);
        } else {
          expect(result.ok || result.refusal.code === 'REFUND_EXCEEDS_CAPTURED').toBe(true);
          if (result.ok) expect(result.outcome).not.toBe('ignored');
        }
      }
    });
  });
});

describe('late, duplicate and out-of-order notifications', () => {
  it('records an AUTHORIZE arriving after the capture as ignored and keeps CONFIRMED', () => {
    const confirmed = sessionIn('CONFIRMED');
    const result = transition(confirmed, event('AUTHORIZE', confirmed), { now: T0 });
    expect(result).toMatchObject({
      ok: true,
      outcome: 'ignored',
      snapshot: { status: 'CONFIRMED', capturedAmount: AMOUNT },
      entry: { eventType: 'AUTHORIZE', outcome: 'ignored' },
    });
  });

  it('accepts CAPTURE before AUTHORIZE (automatic capture) and then ignores the AUTHORIZE (9000 of 10000 is a partial capture)', () => {
    const requested = sessionIn('REQUESTED');
    const captured = transition(requested, event('CAPTURE', requested, { amount: 9_000 }));
    expect(captured).toMatchObject({ ok: true, snapshot: { status: 'PARTIALLY_CAPTURED', authorizedAmount: 9_000, capturedAmount: 9_000 } });
    if (!captured.ok) return;
    const late = transition(captured.snapshot, event('AUTHORIZE', captured.snapshot));
    expect(late).toMatchObject({ ok: true, outcome: 'ignored', snapshot: { status: 'PARTIALLY_CAPTURED', authorizedAmount: 9_000 } });
  });

  it('accepts a notification that overtakes the PSP API response, and the late REQUEST still fills in the pspReference', () => {
    const created = sessionIn('CREATED');
    const authorized = transition(created, event('AUTHORIZE', created, { pspReference: null }));
    expect(authorized).toMatchObject({ ok: true, snapshot: { status: 'AUTHORIZED', pspReference: null } });
    if (!authorized.ok) return;
    const request = transition(authorized.snapshot, event('REQUEST', authorized.snapshot, { source: 'psp-response', pspReference: 'PSP-9' }));
    expect(request).toMatchObject({ ok: true, outcome: 'ignored', snapshot: { status: 'AUTHORIZED', pspReference: 'PSP-9' } });
  });

  it('drops a redelivered event id as a duplicate without touching the snapshot', () => {
    const requested = sessionIn('REQUESTED');
    const first = transition(requested, event('AUTHORIZE', requested, { eventId: 'adyen:PSP-1:AUTHORISATION:true' }));
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.snapshot.processedEventIds).toEqual(['adyen:PSP-1:AUTHORISATION:true']);
    const again = transition(first.snapshot, event('AUTHORIZE', first.snapshot, { eventId: 'adyen:PSP-1:AUTHORISATION:true' }));
    expect(again).toMatchObject({ ok: true, outcome: 'duplicate', entry: null, reason: expect.stringContaining('already processed') });
    if (again.ok) expect(again.snapshot).toBe(first.snapshot);
  });

  it('drops a redelivered ignored event as a duplicate too', () => {
    const confirmed = sessionIn('CONFIRMED');
    const late = event('AUTHORIZE', confirmed);
    const first = transition(confirmed, late);
    if (!first.ok) throw new Error('expected ok');
    expect(first.outcome).toBe('ignored');
    expect(transition(first.snapshot, late)).toMatchObject({ ok: true, outcome: 'duplicate' });
  });

  it('refuses a REFUND seen before its CAPTURE as retryable, so the PSP redelivers it', () => {
    const authorized = sessionIn('AUTHORIZED');
    expect(transition(authorized, event('REFUND', authorized))).toMatchObject({ ok: false, refusal: { retryable: true, requiresAttention: false } });
  });

  it('flags captured money on a cancelled session for a human', () => {
    const cancelled = sessionIn('CANCELLED');
    const result = transition(cancelled, event('CAPTURE', cancelled));
    expect(result).toMatchObject({ ok: false, refusal: { code: 'ILLEGAL_TRANSITION', requiresAttention: true, retryable: false } });
    if (!result.ok) expect(result.refusal.reason).toMatch(/refund or reconcile/);
  });

  it('keeps a declined attempt the shopper may retry as a record, and the session payable', () => {
    const requested = sessionIn('REQUESTED');
    const declined = transition(requested, event('ATTEMPT_FAILED', requested));
    expect(declined).toMatchObject({ ok: true, outcome: 'recorded', snapshot: { status: 'REQUESTED' } });
    if (!declined.ok) return;
    expect(transition(declined.snapshot, event('CAPTURE', declined.snapshot))).toMatchObject({ ok: true, snapshot: { status: 'CONFIRMED' } });
  });
});

describe('amounts and refunds', () => {
  it('refunds partially, then fully, and refuses anything beyond the captured amount', () => {
    let session = sessionIn('CONFIRMED', { capturedAmount: 8_000 });
    const steps: [number, PaymentSessionStatus][] = [
      [3_000, 'PARTIALLY_REFUNDED'],
      [4_999, 'PARTIALLY_REFUNDED'],
      [1, 'REFUNDED'],
    ];
    for (const [amount, status] of steps) {
      const result = transition(session, event('REFUND', session, { amount }));
      if (!result.ok) throw new Error(result.refusal.reason);
      expect(result.snapshot.status).toBe(status);
      session = result.snapshot;
    }
    expect(session.refundedAmount).toBe(8_000);
    expect(transition(session, event('REFUND', session, { amount: 1 }))).toMatchObject({ ok: false, refusal: { code: 'REFUND_EXCEEDS_CAPTURED' } });
    const partial = sessionIn('PARTIALLY_REFUNDED');
    expect(transition(partial, event('REFUND', partial, { amount: 7_001 }))).toMatchObject({
      ok: false,
      refusal: { code: 'REFUND_EXCEEDS_CAPTURED', requiresAttention: true },
    });
  });

  it('takes cumulative refund totals as they come and ignores an older total arriving late', () => {
    const confirmed = sessionIn('CONFIRMED');
    const newer = transition(confirmed, event('REFUND', confirmed, { amount: null, refundedTotal: 6_000 }));
    expect(newer).toMatchObject({ ok: true, snapshot: { status: 'PARTIALLY_REFUNDED', refundedAmount: 6_000 } });
    if (!newer.ok) return;
    const older = transition(newer.snapshot, event('REFUND', newer.snapshot, { amount: null, refundedTotal: 2_500 }));
    expect(older).toMatchObject({ ok: true, outcome: 'ignored', snapshot: { refundedAmount: 6_000 } });
    const full = transition(newer.snapshot, event('REFUND', newer.snapshot, { amount: null, refundedTotal: AMOUNT }));
    expect(full).toMatchObject({ ok: true, snapshot: { status: 'REFUNDED', refundedAmount: AMOUNT } });
  });

  it('refuses captures above the authorization and authorizations above the session', () => {
    const authorized = sessionIn('AUTHORIZED', { authorizedAmount: 5_000 });
    expect(transition(authorized, event('CAPTURE', authorized, { amount: 5_001 }))).toMatchObject({
      ok: false,
      refusal: { code: 'CAPTURE_EXCEEDS_AUTHORIZED' },
    });
    expect(transition(authorized, event('CAPTURE', authorized, { amount: 4_000 }))).toMatchObject({
      ok: true,
      snapshot: { capturedAmount: 4_000, authorizedAmount: 5_000 },
    });
    const requested = sessionIn('REQUESTED');
    expect(transition(requested, event('AUTHORIZE', requested, { amount: AMOUNT + 1 }))).toMatchObject({
      ok: false,
      refusal: { code: 'AMOUNT_EXCEEDS_SESSION' },
    });
  });

  it('refuses a restated capture with a different amount', () => {
    const confirmed = sessionIn('CONFIRMED');
    expect(transition(confirmed, event('CAPTURE', confirmed, { amount: 9_999 }))).toMatchObject({ ok: false, refusal: { code: 'AMOUNT_MISMATCH' } });
  });

  it('refuses floats, negatives, zero, other currencies and other PSP payments', () => {
    const requested = sessionIn('REQUESTED');
    expect(transition(requested, event('AUTHORIZE', requested, { amount: 78.4 }))).toMatchObject({ ok: false, refusal: { code: 'INVALID_EVENT' } });
    expect(transition(requested, event('AUTHORIZE', requested, { amount: -1 }))).toMatchObject({ ok: false, refusal: { code: 'INVALID_EVENT' } });
    expect(transition(requested, event('AUTHORIZE', requested, { amount: 0 }))).toMatchObject({ ok: false, refusal: { code: 'INVALID_EVENT' } });
    expect(transition(requested, event('AUTHORIZE', requested, { amount: null }))).toMatchObject({
      ok: false,
      refusal: { code: 'INVALID_EVENT', reason: 'AUTHORIZE needs an amount' },
    });
    expect(transition(requested, event('AUTHORIZE', requested, { currency: 'USD' }))).toMatchObject({ ok: false, refusal: { code: 'CURRENCY_MISMATCH' } });
    expect(transition(requested, event('AUTHORIZE', requested, { pspReference: 'PSP-2' }))).toMatchObject({
      ok: false,
      refusal: { code: 'PSP_REFERENCE_MISMATCH' },
    });
    expect(transition(requested, event('CANCEL', requested, { occurredAt: new Date('nope') }))).toMatchObject({
      ok: false,
      refusal: { code: 'INVALID_EVENT' },
    });
    const confirmed = sessionIn('CONFIRMED');
    expect(transition(confirmed, event('REFUND', confirmed, { amount: 100, refundedTotal: 100 }))).toMatchObject({
      ok: false,
      refusal: { code: 'INVALID_EVENT' },
    });
  });

  it('throws on a snapshot that already breaks the invariants (corrupt data is not a refusal)', () => {
    const broken = sessionIn('PARTIALLY_REFUNDED', { refundedAmount: AMOUNT + 1 });
    expect(() => transition(broken, event('REFUND', broken))).toThrow(/refundedAmount exceeds capturedAmount/);
  });
});

describe('commands before calling the PSP', () => {
  it('allow only what the PSP could do from the current status', () => {
    expect(checkCommand(sessionIn('CREATED'), { type: 'REQUEST' })).toEqual({ ok: true, amount: AMOUNT });
    expect(checkCommand(sessionIn('REQUESTED'), { type: 'REQUEST' })).toMatchObject({ ok: false });
    expect(checkCommand(sessionIn('AUTHORIZED'), { type: 'CAPTURE' })).toEqual({ ok: true, amount: AMOUNT });
    expect(checkCommand(sessionIn('AUTHORIZED'), { type: 'CAPTURE', amount: AMOUNT + 1 })).toMatchObject({
      ok: false,
      refusal: { code: 'CAPTURE_EXCEEDS_AUTHORIZED' },
    });
    expect(checkCommand(sessionIn('REQUESTED'), { type: 'CAPTURE' })).toMatchObject({
      ok: false,
      refusal: { reason: expect.stringContaining('only an AUTHORIZED') },
    });
    for (const status of ['CREATED', 'REQUESTED', 'AUTHORIZED'] as const) expect(checkCommand(sessionIn(status), { type: 'CANCEL' }).ok).toBe(true);
    expect(checkCommand(sessionIn('CONFIRMED'), { type: 'CANCEL' })).toMatchObject({
      ok: false,
      refusal: { reason: expect.stringContaining('refunded, not cancelled') },
    });
  });

  it('leave room for refunds already requested but not yet confirmed', () => {
    const partial = sessionIn('PARTIALLY_REFUNDED');
    expect(checkCommand(partial, { type: 'REFUND', amount: 7_000 })).toEqual({ ok: true, amount: 7_000 });
    expect(checkCommand(partial, { type: 'REFUND', amount: 5_000, pendingRefundAmount: 2_500 })).toMatchObject({
      ok: false,
      refusal: { code: 'REFUND_EXCEEDS_CAPTURED', reason: 'cannot refund 5000: 4500 of the captured 10000 is left to refund' },
    });
    expect(checkCommand(partial, { type: 'REFUND', amount: 12.5 })).toMatchObject({ ok: false, refusal: { code: 'INVALID_EVENT' } });
    expect(checkCommand(sessionIn('REFUNDED'), { type: 'REFUND', amount: 1 })).toMatchObject({
      ok: false,
      refusal: { reason: 'session is already fully refunded' },
    });
    expect(checkCommand(sessionIn('AUTHORIZED'), { type: 'REFUND', amount: 1 })).toMatchObject({ ok: false });
  });
});

describe('partial captures (issue 11, defect 3)', () => {
  const authorized = () => ({ ...sessionIn('AUTHORIZED'), amount: 7840, authorizedAmount: 7840 });

  it('AUTHORIZED 7840 + CAPTURE 1 is PARTIALLY_CAPTURED with 7839 outstanding, never CONFIRMED', () => {
    const before = authorized();
    const result = transition(before, event('CAPTURE', before, { amount: 1 }), { now: T0 });
    expect(result).toMatchObject({ ok: true, outcome: 'applied', snapshot: { status: 'PARTIALLY_CAPTURED', capturedAmount: 1, authorizedAmount: 7840 } });
    if (!result.ok) return;
    expect(outstandingAmount(result.snapshot)).toBe(7839);
    // The same capture restated (the PSP's answer after its notification) changes nothing; another amount needs a human.
    expect(transition(result.snapshot, event('CAPTURE', result.snapshot, { amount: 1 }))).toMatchObject({ ok: true, outcome: 'duplicate' });
    expect(transition(result.snapshot, event('CAPTURE', result.snapshot, { amount: 7840 }))).toMatchObject({
      ok: false,
      refusal: { code: 'AMOUNT_MISMATCH', requiresAttention: true },
    });
    // What was captured can be refunded.
    expect(transition(result.snapshot, event('REFUND', result.snapshot, { amount: 1 }))).toMatchObject({
      ok: true,
      snapshot: { status: 'REFUNDED', refundedAmount: 1 },
    });
    expect(checkCommand(result.snapshot, { type: 'REFUND', amount: 1 })).toEqual({ ok: true, amount: 1 });
  });

  it('an automatic capture of part of the session amount is PARTIALLY_CAPTURED too; the whole amount is CONFIRMED', () => {
    const requested = { ...sessionIn('REQUESTED'), amount: 7840 };
    expect(transition(requested, event('CAPTURE', requested, { amount: 7000 }))).toMatchObject({
      ok: true,
      snapshot: { status: 'PARTIALLY_CAPTURED', capturedAmount: 7000 },
    });
    expect(transition(requested, event('CAPTURE', requested, { amount: 7840 }))).toMatchObject({
      ok: true,
      snapshot: { status: 'CONFIRMED', capturedAmount: 7840 },
    });
    const full = authorized();
    expect(transition(full, event('CAPTURE', full, { amount: 7840 }))).toMatchObject({ ok: true, snapshot: { status: 'CONFIRMED' } });
  });

  it('PARTIALLY_CAPTURED holds funds: it cannot be cancelled or expire, and late events are ignored', () => {
    const partial = { ...sessionIn('AUTHORIZED'), amount: 7840, authorizedAmount: 7840, capturedAmount: 1, status: 'PARTIALLY_CAPTURED' as const };
    expect(TRANSITIONS.PARTIALLY_CAPTURED.CANCEL).toMatchObject({ kind: 'illegal', fromPsp: 'alert' });
    expect(transition(partial, event('EXPIRE', partial))).toMatchObject({ ok: true, outcome: 'ignored', snapshot: { status: 'PARTIALLY_CAPTURED' } });
    expect(REACHABLE.AUTHORIZED.has('PARTIALLY_CAPTURED')).toBe(true);
    expect(REACHABLE.PARTIALLY_CAPTURED).toEqual(new Set(['PARTIALLY_REFUNDED', 'REFUNDED']));
  });
});

describe('a capture after our own expiry (issue 11)', () => {
  it('is taken: the money is real, and the order-level rules decide whether the order keeps it', () => {
    const expired = sessionIn('EXPIRED');
    expect(transition(expired, event('CAPTURE', expired, { amount: AMOUNT }))).toMatchObject({
      ok: true,
      outcome: 'applied',
      snapshot: { status: 'CONFIRMED', capturedAmount: AMOUNT },
    });
    expect(TERMINAL_STATUSES.has('EXPIRED')).toBe(false);
    // What the PSP itself confirmed cancelled stays a contradiction for a human.
    const cancelled = sessionIn('CANCELLED');
    expect(transition(cancelled, event('CAPTURE', cancelled, { amount: AMOUNT }))).toMatchObject({ ok: false, refusal: { requiresAttention: true } });
  });
});
