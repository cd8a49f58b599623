import type { PaymentSessionStatus } from './state-machine.ts';

/** Order statuses (commerce's lifecycle) in which the consumer can still pay. */
export const PAYABLE_ORDER_STATUSES: ReadonlySet<string> = new Set(['CREATED', 'AWAITING_PAYMENT']);

/** Session statuses that mean the order's money is already authorized or collected: no second session. */
const HOLDS_FUNDS: ReadonlySet<PaymentSessionStatus> = new Set(['AUTHORIZED', 'PARTIALLY_CAPTURED', 'CONFIRMED', 'PARTIALLY_REFUNDED', 'REFUNDED']);

export type Payability = { ok: true } | { ok: false; reason: string };

/**
 * May a new payment session start for this order? An order that is cancelled, paid or further along cannot be paid
 * again, and an order whose payment is already authorized or captured must not be charged twice. Earlier sessions
 * that failed, expired or were abandoned (still open at the PSP) do not block a new attempt.
 */
export function canStartPayment(orderStatus: string, sessionStatuses: readonly PaymentSessionStatus[]): Payability {
  if (!PAYABLE_ORDER_STATUSES.has(orderStatus)) {
    return { ok: false, reason: `the order is ${orderStatus}; only a CREATED or AWAITING_PAYMENT order can be paid` };
  }
  const paid = sessionStatuses.find((s) => HOLDS_FUNDS.has(s));
  if (paid) return { ok: false, reason: `the order already has a ${paid} payment session` };
  return { ok: true };
}

/** The status word payment events carry on the wire (`"confirmed"`). */
export const wireStatus = (status: PaymentSessionStatus) => status.toLowerCase();
