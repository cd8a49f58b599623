import { GraphQLError } from 'graphql';
import { parseOrderPaymentState } from '@ipay/platform';

/** The statuses of the pay-on-arrival flow, the ones shops are told about (src/adapters/shops). */
export const PAY_ON_ARRIVAL_STATUSES = [
  'CREATED',
  'AWAITING_PAYMENT',
  'PAID',
  'OUT_FOR_DELIVERY',
  'RELEASED',
  'DELIVERED',
  'RETURNED',
  'REFUNDED',
  'CANCELLED',
] as const;
export type PayOnArrivalStatus = (typeof PAY_ON_ARRIVAL_STATUSES)[number];

/**
 * Every order status, owned here (the `order_status` enum is built from it, in this order): the flow's plus the one only
 * commerce's returns reach. The platform's sandbox fixtures keep a plain list a test checks against this one.
 */
export const ORDER_STATUSES = [...PAY_ON_ARRIVAL_STATUSES, 'PARTIALLY_RETURNED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * The pay-on-arrival order state machine. Only these moves exist; anything else is refused, so a late or
 * replayed event can never drag an order backwards (e.g. PAID → AWAITING_PAYMENT).
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  CREATED: ['AWAITING_PAYMENT', 'CANCELLED'],
  // Pay on arrival: the consumer may pay at the door, so the parcel can go out before the payment is confirmed.
  AWAITING_PAYMENT: ['PAID', 'OUT_FOR_DELIVERY', 'CANCELLED'],
  // Collected at a pickup point or locker, a paid parcel may be released without an out-for-delivery scan.
  PAID: ['OUT_FOR_DELIVERY', 'RELEASED', 'DELIVERED', 'REFUNDED'],
  OUT_FOR_DELIVERY: ['RELEASED', 'DELIVERED', 'RETURNED', 'REFUNDED'],
  // Returns (src/domain/returns.ts): goods accepted back move a handed-over order to (PARTIALLY_)RETURNED.
  RELEASED: ['DELIVERED', 'PARTIALLY_RETURNED', 'RETURNED', 'REFUNDED'],
  DELIVERED: ['PARTIALLY_RETURNED', 'RETURNED', 'REFUNDED'],
  PARTIALLY_RETURNED: ['RETURNED', 'REFUNDED'],
  RETURNED: ['REFUNDED'],
  REFUNDED: [],
  CANCELLED: [],
};

/** Statuses a merchant may still cancel from: nothing has been paid or shipped yet. */
export const CANCELLABLE: readonly OrderStatus[] = ['CREATED', 'AWAITING_PAYMENT'];

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

export function illegalTransition(from: OrderStatus, to: OrderStatus): GraphQLError {
  return new GraphQLError(`an order in status ${from} cannot become ${to}`, {
    extensions: { code: 'ILLEGAL_TRANSITION', field: 'status', from, to },
  });
}

export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  if (!canTransition(from, to)) throw illegalTransition(from, to);
}

/** How far along the flow a status is; used to tell a replayed event (already past it) from a real conflict. */
const RANK: Record<OrderStatus, number> = {
  CREATED: 0,
  AWAITING_PAYMENT: 1,
  PAID: 2,
  OUT_FOR_DELIVERY: 3,
  RELEASED: 4,
  DELIVERED: 5,
  PARTIALLY_RETURNED: 6,
  RETURNED: 7,
  REFUNDED: 8,
  CANCELLED: 9,
};

export type EventTransition = { kind: 'apply'; to: OrderStatus } | { kind: 'ignore'; reason: string };

/** Decides what an event that wants `to` does to an order in `from`: move it, or nothing (with why). */
export function transitionForEvent(from: OrderStatus, to: OrderStatus): EventTransition {
  if (from === to) return { kind: 'ignore', reason: 'already in that status (redelivered event)' };
  if (canTransition(from, to)) return { kind: 'apply', to };
  if (RANK[from] > RANK[to]) return { kind: 'ignore', reason: `order already moved past ${to} (${from})` };
  return { kind: 'ignore', reason: `illegal transition ${from} → ${to}` };
}

/**
 * The status an event from payments or logistics drives an order to, or null when it drives none.
 *
 * - PAID and REFUNDED come from payments' order payment state (`order.payment_state_changed`, the one fact of what
 *   the order's sessions add up to), never from a single session's payment.confirmed: an abandoned session's events
 *   cannot move the order. Redeliveries and older versions are harmless: the state machine never moves back.
 * - release.authorized (the consumer's code verified) → RELEASED; parcel.released (handed over) → DELIVERED.
 * - PARTIALLY_RETURNED / RETURNED come from commerce's own returns, not from an event: when the merchant's inspection
 *   accepts goods back (src/app/returns.ts, counting every accepted return of the order).
 */
export function statusForEvent(type: string, payload: Record<string, unknown>): OrderStatus | null {
  switch (type) {
    case 'payment.requested':
      return 'AWAITING_PAYMENT';
    case 'order.payment_state_changed': {
      const state = parseOrderPaymentState(payload);
      if (state?.state === 'PAID') return 'PAID';
      if (state?.state === 'REFUNDED') return 'REFUNDED';
      return null;
    }
    case 'carrier.out_for_delivery':
      return 'OUT_FOR_DELIVERY';
    case 'release.authorized':
      return 'RELEASED';
    case 'parcel.released':
      return 'DELIVERED';
    case 'refund.created': {
      // Only a refund that brings the refunded total up to what was captured refunds the order.
      const payment = payload.payment as { refunded_minor?: unknown; captured_minor?: unknown } | undefined;
      const refunded = Number(payment?.refunded_minor);
      const captured = Number(payment?.captured_minor);
      return Number.isSafeInteger(refunded) && Number.isSafeInteger(captured) && captured > 0 && refunded >= captured ? 'REFUNDED' : null;
    }
    default:
      return null;
  }
}
