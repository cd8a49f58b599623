import type { OrderPaymentState } from '@ipay/platform';
import type { PaymentSessionStatus } from './state-machine.ts';

/**
 * The order's side of payments: which session may hold the order's funds, what happens to money that reaches any
 * other session, and the order's payment state as one fact. Pure; src/app/order-payment.ts runs it under the order's
 * row lock and the database backs it with a partial unique index (one non-superseded funds-holding session per order).
 *
 * - A session is *superseded* when it may no longer hold the order's funds: a newer session replaced it while it was
 *   still open, the order was cancelled, or it reached the funds while another session already held them. A
 *   superseded session is cancelled at the PSP while it is open; whatever it captures anyway is refunded (reversed).
 * - The *holder* is the one non-superseded session that authorized or captured; the order's state is its money.
 */

/** Statuses in which a session holds (or held, and was paid back) the order's money. */
export const FUNDS_HOLDING_STATUSES: ReadonlySet<PaymentSessionStatus> = new Set([
  'AUTHORIZED',
  'PARTIALLY_CAPTURED',
  'CONFIRMED',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
]);
/** Statuses still open at the PSP: a payment can still happen there. */
export const OPEN_AT_PSP_STATUSES: ReadonlySet<PaymentSessionStatus> = new Set(['CREATED', 'REQUESTED', 'AUTHORIZED']);

export interface SessionFacts {
  readonly id: string;
  readonly psp: string;
  readonly status: PaymentSessionStatus;
  readonly amount: number;
  readonly capturedAmount: number;
  readonly refundedAmount: number;
  /** Why the session may not hold the order's funds; null while it may. */
  readonly supersededReason: string | null;
}

export interface OrderPaymentFacts {
  readonly state: OrderPaymentState;
  readonly amountDue: number;
  readonly captured: number;
  readonly refunded: number;
  readonly sessionId: string | null;
  readonly psp: string | null;
}

export const holderOf = (sessions: readonly SessionFacts[]): SessionFacts | null =>
  sessions.find((s) => s.supersededReason === null && FUNDS_HOLDING_STATUSES.has(s.status)) ?? null;

/** The order's payment state from its sessions: only the holder's money counts, never a superseded session's. */
export function orderPaymentFacts(amountDue: number, sessions: readonly SessionFacts[]): OrderPaymentFacts {
  const holder = holderOf(sessions);
  const captured = holder?.capturedAmount ?? 0;
  const refunded = holder?.refundedAmount ?? 0;
  const state: OrderPaymentState =
    captured === 0 ? 'UNPAID' : refunded >= captured ? 'REFUNDED' : refunded > 0 ? 'PARTIALLY_REFUNDED' : captured < amountDue ? 'PARTIALLY_CAPTURED' : 'PAID';
  return { state, amountDue, captured, refunded, sessionId: holder?.id ?? null, psp: holder?.psp ?? null };
}

export const sameFacts = (a: OrderPaymentFacts, b: OrderPaymentFacts): boolean =>
  a.state === b.state && a.amountDue === b.amountDue && a.captured === b.captured && a.refunded === b.refunded && a.sessionId === b.sessionId;

export const ORDER_CANCELLED = 'CANCELLED';

/**
 * A session is about to reach the funds (enter a funds-holding status): may it, or is it superseded now? Null when it
 * may hold them; otherwise the reason it is superseded.
 */
export function supersedeOnFunds(orderStatus: string | null, session: Pick<SessionFacts, 'id'>, others: readonly SessionFacts[]): string | null {
  if (orderStatus === ORDER_CANCELLED) return 'the order was cancelled';
  const holder = holderOf(others.filter((s) => s.id !== session.id));
  return holder ? `session ${holder.id} already holds the order's funds` : null;
}

/** What a session change asks for beyond the state machine, once the session is stored. */
export interface AfterChange {
  /** Captured money to pay back automatically (a superseded session's capture, or the holder's on a cancelled order). */
  readonly reverse: number;
  /** Ask the PSP to cancel (void) the session: superseded and still open there. */
  readonly cancelAtPsp: boolean;
}

/**
 * `reserved` is what is already being paid back (refunds pending or accepted), so a reversal is asked for once.
 * On a cancelled order the holder's capture is reversed too: a cancelled order ends with nothing captured net.
 */
export function afterChange(orderStatus: string | null, session: SessionFacts, reserved: number): AfterChange {
  const mustNotKeep = session.supersededReason !== null || orderStatus === ORDER_CANCELLED;
  const reverse = mustNotKeep ? Math.max(session.capturedAmount - Math.max(session.refundedAmount, reserved), 0) : 0;
  return { reverse, cancelAtPsp: mustNotKeep && OPEN_AT_PSP_STATUSES.has(session.status) };
}

/** Starting another session: those still open are superseded (and cancelled at the PSP) first. */
export function supersededByNewSession(sessions: readonly SessionFacts[], newSessionId: string): { id: string; reason: string }[] {
  return sessions
    .filter((s) => s.supersededReason === null && (s.status === 'CREATED' || s.status === 'REQUESTED'))
    .map((s) => ({ id: s.id, reason: `replaced by session ${newSessionId}` }));
}

/** Cancelling the order: every session still open at the PSP is superseded (and voided there); a capture is reversed. */
export function supersededByCancellation(sessions: readonly SessionFacts[]): { id: string; reason: string }[] {
  return sessions
    .filter((s) => s.supersededReason === null && OPEN_AT_PSP_STATUSES.has(s.status))
    .map((s) => ({ id: s.id, reason: 'the order was cancelled' }));
}
