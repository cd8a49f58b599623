import { describe, expect, it } from 'vitest';
import {
  ORDER_STATUSES,
  ORDER_TRANSITIONS,
  assertTransition,
  canTransition,
  statusForEvent,
  transitionForEvent,
  type OrderStatus,
} from '../../src/domain/order-status.ts';

const LEGAL: [OrderStatus, OrderStatus][] = [
  ['CREATED', 'AWAITING_PAYMENT'],
  ['CREATED', 'CANCELLED'],
  ['AWAITING_PAYMENT', 'PAID'],
  ['AWAITING_PAYMENT', 'OUT_FOR_DELIVERY'],
  ['AWAITING_PAYMENT', 'CANCELLED'],
  ['PAID', 'OUT_FOR_DELIVERY'],
  ['PAID', 'RELEASED'],
  ['PAID', 'DELIVERED'],
  ['PAID', 'REFUNDED'],
  ['OUT_FOR_DELIVERY', 'RELEASED'],
  ['OUT_FOR_DELIVERY', 'DELIVERED'],
  ['OUT_FOR_DELIVERY', 'RETURNED'],
  ['OUT_FOR_DELIVERY', 'REFUNDED'],
  ['RELEASED', 'DELIVERED'],
  ['RELEASED', 'RETURNED'],
  ['RELEASED', 'REFUNDED'],
  ['DELIVERED', 'RETURNED'],
  ['DELIVERED', 'REFUNDED'],
  ['RETURNED', 'REFUNDED'],
  // Returns: goods accepted back (some or all).
  ['RELEASED', 'PARTIALLY_RETURNED'],
  ['DELIVERED', 'PARTIALLY_RETURNED'],
  ['PARTIALLY_RETURNED', 'RETURNED'],
  ['PARTIALLY_RETURNED', 'REFUNDED'],
];
const isLegal = (from: OrderStatus, to: OrderStatus) => LEGAL.some(([f, t]) => f === from && t === to);
const ALL_PAIRS = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as [OrderStatus, OrderStatus]));

describe('order state machine', () => {
  it('allows exactly the pay-on-arrival moves', () => {
    const table = Object.entries(ORDER_TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => [from, to]));
    expect(table.sort()).toEqual([...LEGAL].sort());
  });

  it.each(ALL_PAIRS.filter(([f, t]) => !isLegal(f, t)))('refuses %s → %s with ILLEGAL_TRANSITION', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => assertTransition(from, to)).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'ILLEGAL_TRANSITION', from, to }) }),
    );
  });

  it.each(LEGAL)('allows %s → %s', (from, to) => {
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  it('treats REFUNDED and CANCELLED as final', () => {
    for (const to of ORDER_STATUSES) {
      expect(canTransition('REFUNDED', to)).toBe(false);
      expect(canTransition('CANCELLED', to)).toBe(false);
    }
  });

  it('maps bus events to target statuses; only a full refund refunds the order', () => {
    expect(statusForEvent('payment.requested', {})).toBe('AWAITING_PAYMENT');
    // PAID only from the order's payment state, never from one session's confirmation.
    expect(statusForEvent('payment.confirmed', {})).toBeNull();
    const state = (s: string) => ({
      order_id: 'ord_1',
      merchant: 'acme-shop',
      version: 2,
      state: s,
      amount_due: { amount: 78.4, amount_minor: 7840, currency: 'EUR' },
      captured: { amount: 78.4, amount_minor: s === 'UNPAID' ? 0 : 7840, currency: 'EUR' },
      refunded: { amount: 0, amount_minor: 0, currency: 'EUR' },
      outstanding: { amount: 0, amount_minor: 0, currency: 'EUR' },
      payment_session_id: 'pay_1',
      psp: 'adyen',
      paid_at: null,
    });
    expect(statusForEvent('order.payment_state_changed', state('PAID'))).toBe('PAID');
    expect(statusForEvent('order.payment_state_changed', state('REFUNDED'))).toBe('REFUNDED');
    for (const s of ['UNPAID', 'PARTIALLY_CAPTURED', 'PARTIALLY_REFUNDED']) expect(statusForEvent('order.payment_state_changed', state(s))).toBeNull();
    expect(statusForEvent('order.payment_state_changed', { order_id: 'ord_1', state: 'PAID' })).toBeNull();
    expect(statusForEvent('carrier.out_for_delivery', {})).toBe('OUT_FOR_DELIVERY');
    expect(statusForEvent('release.authorized', {})).toBe('RELEASED');
    expect(statusForEvent('parcel.released', {})).toBe('DELIVERED');
    expect(statusForEvent('refund.created', { payment: { refunded_minor: 3585, captured_minor: 3585 } })).toBe('REFUNDED');
    expect(statusForEvent('refund.created', { payment: { refunded_minor: 1000, captured_minor: 3585 } })).toBeNull();
    expect(statusForEvent('refund.created', {})).toBeNull();
    expect(statusForEvent('payment.failed', {})).toBeNull();
    expect(statusForEvent('order.created', {})).toBeNull();
  });

  it('ignores redelivered and late events instead of failing the consumer', () => {
    expect(transitionForEvent('PAID', 'PAID')).toMatchObject({ kind: 'ignore' });
    expect(transitionForEvent('PAID', 'AWAITING_PAYMENT')).toMatchObject({ kind: 'ignore', reason: expect.stringContaining('past') });
    expect(transitionForEvent('CREATED', 'RELEASED')).toMatchObject({ kind: 'ignore', reason: expect.stringContaining('illegal') });
    expect(transitionForEvent('AWAITING_PAYMENT', 'PAID')).toEqual({ kind: 'apply', to: 'PAID' });
    // Paid at the door after the parcel went out: the order stays out for delivery.
    expect(transitionForEvent('OUT_FOR_DELIVERY', 'PAID')).toMatchObject({ kind: 'ignore' });
  });
});
