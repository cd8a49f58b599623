import { GraphQLError } from 'graphql';
import type { OrderStatus } from './order-status.ts';

/**
 * Smart returns: pure rules (no I/O). A return is for some lines of an order; before it is confirmed the merchant's
 * retention offers may turn it into an exchange, a partial refund keeping the goods, or store credit with a bonus.
 */
export const RETURN_STATUSES = ['REQUESTED', 'LABEL_ISSUED', 'IN_TRANSIT', 'RECEIVED', 'INSPECTED', 'REFUNDED', 'REJECTED', 'EXCHANGED', 'CREDITED'] as const;
export type ReturnStatus = (typeof RETURN_STATUSES)[number];

export const RETURN_METHODS = ['DROP_OFF', 'LOCKER', 'PICKUP'] as const;
export type ReturnMethod = (typeof RETURN_METHODS)[number];

/** What the return ends in: the plain refund, or what an accepted retention offer made of it. */
export const RETURN_OUTCOMES = ['REFUND', 'EXCHANGE', 'PARTIAL_REFUND', 'STORE_CREDIT'] as const;
export type ReturnOutcome = (typeof RETURN_OUTCOMES)[number];

export const RETENTION_OFFER_KINDS = ['EXCHANGE', 'PARTIAL_REFUND', 'STORE_CREDIT'] as const;
export type RetentionOfferKind = (typeof RETENTION_OFFER_KINDS)[number];

/**
 * The return state machine, table-driven like the order's. REQUESTED → REFUNDED directly is the partial refund
 * where the consumer keeps the goods (nothing travels); every other refund follows inspection.
 */
export const RETURN_TRANSITIONS: Readonly<Record<ReturnStatus, readonly ReturnStatus[]>> = {
  REQUESTED: ['LABEL_ISSUED', 'REFUNDED'],
  // A carrier may report the parcel delivered back without an earlier transit scan.
  LABEL_ISSUED: ['IN_TRANSIT', 'RECEIVED'],
  IN_TRANSIT: ['RECEIVED'],
  RECEIVED: ['INSPECTED'],
  INSPECTED: ['REFUNDED', 'REJECTED', 'EXCHANGED', 'CREDITED'],
  REFUNDED: [],
  REJECTED: [],
  EXCHANGED: [],
  CREDITED: [],
};

const RANK: Record<ReturnStatus, number> = {
  REQUESTED: 0,
  LABEL_ISSUED: 1,
  IN_TRANSIT: 2,
  RECEIVED: 3,
  INSPECTED: 4,
  REFUNDED: 5,
  REJECTED: 5,
  EXCHANGED: 5,
  CREDITED: 5,
};

export const canMoveReturn = (from: ReturnStatus, to: ReturnStatus) => RETURN_TRANSITIONS[from].includes(to);

export function illegalReturnTransition(from: ReturnStatus, to: ReturnStatus): GraphQLError {
  return new GraphQLError(`a return in status ${from} cannot become ${to}`, { extensions: { code: 'ILLEGAL_RETURN_TRANSITION', field: 'status', from, to } });
}

export function assertReturnTransition(from: ReturnStatus, to: ReturnStatus): void {
  if (!canMoveReturn(from, to)) throw illegalReturnTransition(from, to);
}

/** What a carrier event wanting `to` does to a return in `from`: move it, or nothing (redelivered / late). */
export function returnTransitionForEvent(from: ReturnStatus, to: ReturnStatus): { kind: 'apply' } | { kind: 'ignore'; reason: string } {
  if (from === to) return { kind: 'ignore', reason: 'already in that status (redelivered event)' };
  if (canMoveReturn(from, to)) return { kind: 'apply' };
  if (RANK[from] >= RANK[to]) return { kind: 'ignore', reason: `return already moved past ${to} (${from})` };
  return { kind: 'ignore', reason: `illegal transition ${from} → ${to}` };
}

/** Orders whose goods the consumer has (handed over); only those can be returned. */
export const RETURNABLE_ORDER_STATUSES: readonly OrderStatus[] = ['RELEASED', 'DELIVERED', 'PARTIALLY_RETURNED'];

export interface OrderLineLike {
  sku: string;
  name: string;
  quantity: number;
  unitAmount: number;
}

export interface ReturnLine {
  sku: string;
  name: string;
  quantity: number;
  unitAmount: number;
}

export class ReturnInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The lines of a new return, checked against the order and what other (not rejected) returns of it already claim:
 * known SKUs, positive whole quantities, never more than ordered. An empty request returns every remaining unit.
 */
export function returnLinesFor(
  orderLines: readonly OrderLineLike[],
  requested: readonly { sku: string; quantity: number }[] | null | undefined,
  alreadyClaimed: ReadonlyMap<string, number>,
): ReturnLine[] {
  const remaining = new Map<string, OrderLineLike & { left: number }>();
  for (const line of orderLines) {
    const prior = remaining.get(line.sku);
    const left = line.quantity + (prior?.left ?? 0);
    remaining.set(line.sku, { ...line, left });
  }
  for (const [sku, claimed] of alreadyClaimed) {
    const line = remaining.get(sku);
    if (line) line.left -= claimed;
  }
  if (!requested || requested.length === 0) {
    const all = [...remaining.values()].filter((l) => l.left > 0).map((l) => ({ sku: l.sku, name: l.name, quantity: l.left, unitAmount: l.unitAmount }));
    if (!all.length) throw new ReturnInputError('lines', 'every unit of this order is already being returned');
    return all;
  }
  const out = new Map<string, ReturnLine>();
  requested.forEach((r, i) => {
    const sku = r.sku.trim();
    const line = remaining.get(sku);
    if (!line) throw new ReturnInputError(`lines.${i}.sku`, `"${sku}" is not a line of this order`);
    if (!Number.isSafeInteger(r.quantity) || r.quantity <= 0) throw new ReturnInputError(`lines.${i}.quantity`, 'must be a positive whole number');
    const prior = out.get(sku)?.quantity ?? 0;
    if (prior + r.quantity > line.left) throw new ReturnInputError(`lines.${i}.quantity`, `only ${Math.max(line.left, 0)} of "${sku}" can still be returned`);
    out.set(sku, { sku, name: line.name, quantity: prior + r.quantity, unitAmount: line.unitAmount });
  });
  return [...out.values()];
}

/** Σ quantity × unit amount, in minor units. */
export const returnValue = (lines: readonly ReturnLine[]) => lines.reduce((sum, l) => sum + l.quantity * l.unitAmount, 0);

export interface RetentionOfferRule {
  id: string;
  kind: RetentionOfferKind;
  /** PARTIAL_REFUND: the share of the value refunded, in basis points (1–9999). */
  partialRefundBps: number | null;
  /** STORE_CREDIT: the bonus on top of the value, in basis points (0–10000). */
  bonusBps: number | null;
  /** The reasons the offer applies to; null = every reason. */
  reasonCodes: readonly string[] | null;
  active: boolean;
}

/** An offer as priced for one return: what the consumer gets instead of the plain refund, and what the merchant saves. */
export interface PricedOffer {
  offerId: string;
  kind: RetentionOfferKind;
  /** Money refunded to the consumer (PARTIAL_REFUND), else 0. */
  refundAmount: number;
  /** Store credit issued (STORE_CREDIT: value + bonus), else 0. */
  storeCreditAmount: number;
  /** Refund the merchant does not pay out compared with the plain refund of `value`. */
  savedAmount: number;
  /** Whether the goods travel back (exchange, store credit) or stay with the consumer (partial refund). */
  goodsReturned: boolean;
}

/** Integer basis-point share of an amount, rounded half up, without floats. */
export const bps = (amount: number, basisPoints: number) => Math.floor((amount * basisPoints + 5_000) / 10_000);

export function priceOffer(rule: RetentionOfferRule, value: number): PricedOffer {
  switch (rule.kind) {
    case 'EXCHANGE':
      return { offerId: rule.id, kind: rule.kind, refundAmount: 0, storeCreditAmount: 0, savedAmount: value, goodsReturned: true };
    case 'PARTIAL_REFUND': {
      const refund = bps(value, rule.partialRefundBps ?? 0);
      return { offerId: rule.id, kind: rule.kind, refundAmount: refund, storeCreditAmount: 0, savedAmount: value - refund, goodsReturned: false };
    }
    case 'STORE_CREDIT':
      return {
        offerId: rule.id,
        kind: rule.kind,
        refundAmount: 0,
        storeCreditAmount: value + bps(value, rule.bonusBps ?? 0),
        savedAmount: value,
        goodsReturned: true,
      };
  }
}

/** The merchant's active offers that apply to a reason, priced for a return of `value`. */
export function offersFor(rules: readonly RetentionOfferRule[], reasonCode: string, value: number): PricedOffer[] {
  return rules.filter((r) => r.active && (!r.reasonCodes || r.reasonCodes.includes(reasonCode))).map((r) => priceOffer(r, value));
}

export function validateOfferRule(input: { kind: RetentionOfferKind; partialRefundBps?: number | null; bonusBps?: number | null }): {
  partialRefundBps: number | null;
  bonusBps: number | null;
} {
  const whole = (v: number | null | undefined) => v !== null && v !== undefined && Number.isSafeInteger(v);
  if (input.kind === 'PARTIAL_REFUND') {
    if (!whole(input.partialRefundBps) || input.partialRefundBps! < 1 || input.partialRefundBps! > 9_999)
      throw new ReturnInputError('partialRefundBps', 'a partial refund needs 1 to 9999 basis points of the value');
    if (input.bonusBps !== null && input.bonusBps !== undefined) throw new ReturnInputError('bonusBps', 'only a STORE_CREDIT offer has a bonus');
    return { partialRefundBps: input.partialRefundBps!, bonusBps: null };
  }
  if (input.kind === 'STORE_CREDIT') {
    if (!whole(input.bonusBps) || input.bonusBps! < 0 || input.bonusBps! > 10_000)
      throw new ReturnInputError('bonusBps', 'a store credit bonus is 0 to 10000 basis points of the value');
    if (input.partialRefundBps !== null && input.partialRefundBps !== undefined)
      throw new ReturnInputError('partialRefundBps', 'only a PARTIAL_REFUND offer has a refund share');
    return { partialRefundBps: null, bonusBps: input.bonusBps! };
  }
  if ((input.partialRefundBps ?? null) !== null || (input.bonusBps ?? null) !== null)
    throw new ReturnInputError('kind', 'an EXCHANGE offer has no refund share or bonus');
  return { partialRefundBps: null, bonusBps: null };
}

/** Where an order stands once goods of it are accepted back: all units → RETURNED, some → PARTIALLY_RETURNED. */
export function orderStatusAfterReturns(
  orderLines: readonly OrderLineLike[],
  acceptedBack: ReadonlyMap<string, number>,
): 'RETURNED' | 'PARTIALLY_RETURNED' | null {
  const ordered = orderLines.reduce((sum, l) => sum + l.quantity, 0);
  let back = 0;
  for (const q of acceptedBack.values()) back += q;
  if (back <= 0) return null;
  return back >= ordered ? 'RETURNED' : 'PARTIALLY_RETURNED';
}

/** Outcomes that reverse the sale of the goods (the order counts them as returned); an exchange ships a replacement. */
export const REVERSES_SALE: readonly ReturnOutcome[] = ['REFUND', 'STORE_CREDIT'];

/** Payments' refunds of a return carry this reason, the link back (refund.created carries the reason). */
export const refundReasonFor = (returnId: string) => `return ${returnId}`;
export const returnIdOfRefundReason = (reason: unknown): string | null => {
  const m = typeof reason === 'string' ? /^return (ret_[0-9A-Za-z]+)$/.exec(reason) : null;
  return m ? m[1]! : null;
};

export const REASON_CODE = /^[A-Z][A-Z0-9_]{1,39}$/;
