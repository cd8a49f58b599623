/**
 * The contract of `order.payment_state_changed`: payments owns what "paid" means and publishes it per order as one
 * versioned fact. Every consumer (logistics releases, commerce order status, finance settlements) reads it with
 * `parseOrderPaymentState` and keeps the highest `version` it has seen: a late event of an abandoned session can
 * never overwrite the state of the order.
 */
export const ORDER_PAYMENT_STATES = ['UNPAID', 'PARTIALLY_CAPTURED', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED'] as const;
export type OrderPaymentState = (typeof ORDER_PAYMENT_STATES)[number];

/** Money as it travels in event payloads. */
export interface WireMoney {
  amount: number;
  amount_minor: number;
  currency: string;
}

export interface OrderPaymentStatePayload {
  order_id: string;
  merchant: string;
  /** Starts at 1 and grows by one with every change of the order's payment state; per order, gap-free. */
  version: number;
  /**
   * UNPAID: nothing captured (no session, or only open/failed/cancelled ones). PARTIALLY_CAPTURED: 0 < captured <
   * amount_due. PAID: captured = amount_due, nothing refunded. PARTIALLY_REFUNDED / REFUNDED: the capture was (partly)
   * paid back. A cancelled order that had nothing captured stays UNPAID; one whose capture was refunded is REFUNDED.
   */
  state: OrderPaymentState;
  /** What the order requires (its total). */
  amount_due: WireMoney;
  /** Captured on the session that holds the order's funds (never counts a superseded session's late capture). */
  captured: WireMoney;
  /** Refunded of that capture (refunds the PSP accepted). */
  refunded: WireMoney;
  /** amount_due − captured, never negative. */
  outstanding: WireMoney;
  /** The session that holds (or last held) the order's funds; null while nothing was captured or authorized. */
  payment_session_id: string | null;
  psp: string | null;
  /** When the order first became PAID (ISO 8601, second precision); null until then. */
  paid_at: string | null;
}

const isMoney = (v: unknown): v is WireMoney =>
  !!v && typeof v === 'object' && Number.isSafeInteger((v as WireMoney).amount_minor) && typeof (v as WireMoney).currency === 'string';

/** Reads the payload of an `order.payment_state_changed` event; null when it does not hold to the contract. */
export function parseOrderPaymentState(payload: Record<string, unknown>): OrderPaymentStatePayload | null {
  const p = payload as Partial<OrderPaymentStatePayload>;
  if (typeof p.order_id !== 'string' || !p.order_id || typeof p.merchant !== 'string') return null;
  if (!Number.isSafeInteger(p.version) || (p.version as number) < 1) return null;
  if (!ORDER_PAYMENT_STATES.includes(p.state as OrderPaymentState)) return null;
  if (![p.amount_due, p.captured, p.refunded, p.outstanding].every(isMoney)) return null;
  if (p.payment_session_id !== null && typeof p.payment_session_id !== 'string') return null;
  return {
    order_id: p.order_id,
    merchant: p.merchant,
    version: p.version as number,
    state: p.state as OrderPaymentState,
    amount_due: p.amount_due!,
    captured: p.captured!,
    refunded: p.refunded!,
    outstanding: p.outstanding!,
    payment_session_id: p.payment_session_id ?? null,
    psp: typeof p.psp === 'string' ? p.psp : null,
    paid_at: typeof p.paid_at === 'string' ? p.paid_at : null,
  };
}

/** Fully paid: the only state in which a parcel may be released or an order's collection settled. */
export const isFullyPaid = (state: OrderPaymentStatePayload): boolean =>
  state.state === 'PAID' || (state.state === 'PARTIALLY_REFUNDED' && state.captured.amount_minor >= state.amount_due.amount_minor);
