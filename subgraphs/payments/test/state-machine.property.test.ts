import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LIFECYCLE_RANK,
  REACHABLE,
  TERMINAL_STATUSES,
  newSessionSnapshot,
  transition,
  type PaymentEvent,
  type PaymentEventType,
  type PaymentSessionSnapshot,
} from '../src/domain/state-machine.ts';

/**
 * A consistent PSP history for one payment (what really happened, in order), then delivered shuffled and with
 * redeliveries. Retryable refusals go back in the queue, as a PSP redelivers what the webhook did not accept.
 */
const PATHS = ['fail', 'expire-unpaid', 'authorize-cancel', 'authorize-expire', 'authorize-capture', 'automatic-capture'] as const;

const historyArb = fc.record({
  amount: fc.integer({ min: 1, max: 1_000_000 }),
  path: fc.constantFrom(...PATHS),
  captureShare: fc.integer({ min: 1, max: 100 }),
  refundShare: fc.integer({ min: 0, max: 100 }),
  refundCuts: fc.array(fc.integer({ min: 1, max: 1_000_000 }), { maxLength: 4 }),
  cumulativeRefunds: fc.boolean(),
  noise: fc.boolean(),
});
type History = typeof historyArb extends fc.Arbitrary<infer T> ? T : never;

function eventsOf(history: History): PaymentEvent[] {
  let n = 0;
  const at = new Date('2026-11-02T09:00:00.000Z').getTime();
  const make = (type: PaymentEventType, extra: Partial<PaymentEvent> = {}): PaymentEvent => {
    n += 1;
    return { type, source: 'psp-notification', eventId: `e${n}`, pspReference: 'PSP-1', occurredAt: new Date(at + n * 1000), currency: 'EUR', ...extra };
  };
  const { amount } = history;
  const events: PaymentEvent[] = [make('REQUEST', { source: 'psp-response' })];
  if (history.noise) events.push(make('ATTEMPT_FAILED'));
  const refunds = (captured: number) => {
    const total = Math.floor((captured * history.refundShare) / 100);
    if (total === 0) return;
    const cuts = [...new Set(history.refundCuts.map((c) => (total > 1 ? 1 + (c % (total - 1)) : 0)).filter((c) => c > 0))].sort((a, b) => a - b);
    const bounds = [0, ...cuts, total];
    let running = 0;
    for (let i = 1; i < bounds.length; i += 1) {
      const part = bounds[i]! - bounds[i - 1]!;
      running += part;
      events.push(history.cumulativeRefunds ? make('REFUND', { refundedTotal: running }) : make('REFUND', { amount: part }));
      if (history.noise && i === 1) events.push(make('REFUND_FAILED'));
    }
  };
  switch (history.path) {
    case 'fail':
      events.push(make('FAIL'));
      break;
    case 'expire-unpaid':
      events.push(make('EXPIRE'));
      break;
    case 'authorize-cancel':
      events.push(make('AUTHORIZE', { amount }), make('CANCEL'));
      break;
    case 'authorize-expire':
      events.push(make('AUTHORIZE', { amount }));
      if (history.noise) events.push(make('CAPTURE_FAILED'));
      events.push(make('EXPIRE'));
      break;
    case 'authorize-capture': {
      const captured = Math.max(1, Math.floor((amount * history.captureShare) / 100));
      events.push(make('AUTHORIZE', { amount }));
      if (history.noise) events.push(make('CAPTURE_FAILED'));
      events.push(make('CAPTURE', { amount: captured }));
      // The PSP's synchronous capture answer restates the capture under another id.
      if (history.noise) events.push(make('CAPTURE', { amount: captured, source: 'psp-response' }));
      refunds(captured);
      break;
    }
    case 'automatic-capture':
      events.push(make('CAPTURE', { amount }));
      refunds(amount);
      break;
  }
  return events;
}

function fresh(amount: number): PaymentSessionSnapshot {
  return newSessionSnapshot({ id: 'pay_1', reference: 'IPAY-7K3M-Q9XD-4', amount, currency: 'EUR', createdAt: new Date('2026-11-02T08:59:00.000Z') });
}

function assertInvariants(before: PaymentSessionSnapshot, after: PaymentSessionSnapshot): void {
  expect(after.refundedAmount).toBeLessThanOrEqual(after.capturedAmount);
  expect(after.capturedAmount).toBeLessThanOrEqual(after.authorizedAmount);
  expect(after.authorizedAmount).toBeLessThanOrEqual(after.amount);
  expect(LIFECYCLE_RANK[after.status]).toBeGreaterThanOrEqual(LIFECYCLE_RANK[before.status]);
  if (after.status !== before.status) {
    expect(TERMINAL_STATUSES.has(before.status), `left terminal ${before.status} for ${after.status}`).toBe(false);
    expect(REACHABLE[before.status].has(after.status), `${before.status} → ${after.status}`).toBe(true);
  }
  expect(after.refundedAmount).toBeGreaterThanOrEqual(before.refundedAmount);
  expect(after.capturedAmount).toBeGreaterThanOrEqual(before.capturedAmount);
}

describe('random PSP notification sequences', () => {
  it('in order, every notification of a consistent history is accepted', () => {
    fc.assert(
      fc.property(historyArb, (history) => {
        let session = fresh(history.amount);
        for (const event of eventsOf(history)) {
          const result = transition(session, event);
          if (!result.ok) throw new Error(`${event.type} refused in order: ${result.refusal.reason}`);
          assertInvariants(session, result.snapshot);
          session = result.snapshot;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('shuffled and redelivered, never break the invariants and end where the in-order history ends', () => {
    fc.assert(
      fc.property(
        historyArb,
        fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
        fc.array(fc.nat({ max: 39 }), { maxLength: 8 }),
        (history, sortKeys, duplicates) => {
          const events = eventsOf(history);
          let expected = fresh(history.amount);
          for (const event of events) {
            const result = transition(expected, event);
            if (result.ok) expected = result.snapshot;
          }

          const delivered = [...events, ...duplicates.filter((i) => i < events.length).map((i) => events[i]!)];
          const queue = delivered
            .map((event, i) => ({ event, key: sortKeys[i % sortKeys.length]! + i / 1000 }))
            .sort((a, b) => a.key - b.key)
            .map((d) => d.event);

          let session = fresh(history.amount);
          let steps = 0;
          while (queue.length > 0) {
            steps += 1;
            if (steps > delivered.length * delivered.length + 10) throw new Error('redeliveries never settle');
            const event = queue.shift()!;
            const result = transition(session, event);
            if (!result.ok) {
              // A consistent history can only be refused for arriving early; the PSP delivers it again later.
              expect(result.refusal, `${event.type} from ${session.status}`).toMatchObject({ retryable: true });
              queue.push(event);
              continue;
            }
            assertInvariants(session, result.snapshot);
            session = result.snapshot;
          }

          expect(session.status).toBe(expected.status);
          expect(session.capturedAmount).toBe(expected.capturedAmount);
          expect(session.refundedAmount).toBe(expected.refundedAmount);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('once terminal, stay terminal whatever arrives next', () => {
    const anyEvent = fc.record({
      type: fc.constantFrom<PaymentEventType>(
        'REQUEST',
        'AUTHORIZE',
        'ATTEMPT_FAILED',
        'FAIL',
        'CAPTURE',
        'CAPTURE_FAILED',
        'CANCEL',
        'CANCEL_FAILED',
        'EXPIRE',
        'REFUND',
        'REFUND_FAILED',
      ),
      amount: fc.integer({ min: 1, max: 20_000 }),
      source: fc.constantFrom('psp-notification' as const, 'psp-response' as const, 'api' as const, 'system' as const),
    });
    fc.assert(
      fc.property(historyArb, fc.array(anyEvent, { maxLength: 30 }), (history, noise) => {
        let session = fresh(history.amount);
        for (const event of eventsOf(history)) {
          const result = transition(session, event);
          if (result.ok) session = result.snapshot;
        }
        noise.forEach((extra, i) => {
          const event: PaymentEvent = {
            type: extra.type,
            source: extra.source,
            eventId: `noise-${i}`,
            pspReference: 'PSP-1',
            occurredAt: new Date(),
            amount: extra.type === 'AUTHORIZE' || extra.type === 'CAPTURE' || extra.type === 'REFUND' ? extra.amount : null,
            currency: 'EUR',
          };
          const result = transition(session, event);
          if (!result.ok) return;
          assertInvariants(session, result.snapshot);
          session = result.snapshot;
        });
      }),
      { numRuns: 500 },
    );
  });
});
