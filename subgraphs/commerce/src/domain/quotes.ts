/**
 * The quote engine's pure rules: the merchant's margin rule over the cost of a quote (the carrier cost logistics'
 * cost engine priced plus IPAY's fee from finance's schedule), taxes where configured, the total, and the validity.
 * Every amount is integer minor units of the quote's currency; rounding is half up, once per step.
 */
export const QUOTE_MARGIN_KINDS = ['PERCENTAGE', 'FIXED', 'MINIMUM'] as const;
export type QuoteMarginKind = (typeof QUOTE_MARGIN_KINDS)[number];

export const QUOTE_STATUSES = ['PRICING', 'ISSUED', 'ACCEPTED', 'REFUSED'] as const;
export type QuoteStatus = (typeof QUOTE_STATUSES)[number];

export interface MarginRule {
  kind: QuoteMarginKind;
  /** PERCENTAGE and MINIMUM: basis points of the cost (1250 = 12.5 %). */
  basisPoints: number;
  /** FIXED: the margin; MINIMUM: the floor under the percentage (minor units of the quote currency). */
  amount: number;
}

export interface QuoteParts {
  carrierCost: number;
  ipayFee: number;
}

export interface QuoteTotals extends QuoteParts {
  /** carrierCost + ipayFee: what the merchant pays IPAY and the carrier. */
  cost: number;
  margin: number;
  /** Tax over cost + margin (0 when no rate is configured). */
  tax: number;
  total: number;
}

const MAX_BASIS_POINTS = 100_000;
const MAX_MINOR = 1_000_000_000_000;

export class QuoteRuleError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Half-up share of an amount in basis points (amounts are never negative here). */
export const basisPointsOf = (amount: number, basisPoints: number) => Math.floor((amount * basisPoints + 5_000) / 10_000);

export function validateMarginRule(rule: { kind: QuoteMarginKind; basisPoints?: number | null; amount?: number | null }): MarginRule {
  const bp = rule.basisPoints ?? 0;
  const amount = rule.amount ?? 0;
  if (!Number.isSafeInteger(bp) || bp < 0 || bp > MAX_BASIS_POINTS)
    throw new QuoteRuleError('marginBasisPoints', `must be a whole number of basis points from 0 to ${MAX_BASIS_POINTS}`);
  if (!Number.isSafeInteger(amount) || amount < 0 || amount > MAX_MINOR)
    throw new QuoteRuleError('marginAmount', 'must be a non-negative whole number of minor units');
  if (rule.kind === 'PERCENTAGE' && rule.amount) throw new QuoteRuleError('marginAmount', 'a PERCENTAGE rule has no amount (use MINIMUM for a floor)');
  if (rule.kind === 'FIXED' && rule.basisPoints) throw new QuoteRuleError('marginBasisPoints', 'a FIXED rule has no percentage');
  if (rule.kind === 'PERCENTAGE' && bp === 0) throw new QuoteRuleError('marginBasisPoints', 'a PERCENTAGE rule needs a percentage');
  if (rule.kind === 'FIXED' && amount === 0) throw new QuoteRuleError('marginAmount', 'a FIXED rule needs an amount');
  if (rule.kind === 'MINIMUM' && (bp === 0 || amount === 0))
    throw new QuoteRuleError(bp === 0 ? 'marginBasisPoints' : 'marginAmount', 'a MINIMUM rule is a percentage with a floor amount: both are required');
  return { kind: rule.kind, basisPoints: bp, amount };
}

/** PERCENTAGE: bp of the cost; FIXED: the amount; MINIMUM: bp of the cost, at least the amount. */
export function marginOf(rule: MarginRule, cost: number): number {
  switch (rule.kind) {
    case 'PERCENTAGE':
      return basisPointsOf(cost, rule.basisPoints);
    case 'FIXED':
      return rule.amount;
    case 'MINIMUM':
      return Math.max(basisPointsOf(cost, rule.basisPoints), rule.amount);
  }
}

export function quoteTotals(parts: QuoteParts, rule: MarginRule, taxBasisPoints: number): QuoteTotals {
  for (const [k, v] of Object.entries(parts))
    if (!Number.isSafeInteger(v) || v < 0) throw new QuoteRuleError(k, 'must be a non-negative whole number of minor units');
  const cost = parts.carrierCost + parts.ipayFee;
  const margin = marginOf(rule, cost);
  const tax = basisPointsOf(cost + margin, taxBasisPoints);
  return { ...parts, cost, margin, tax, total: cost + margin + tax };
}

/** A quote can be accepted while ISSUED and before its validUntil (the instant itself is already too late). */
export function quoteAcceptable(status: QuoteStatus, validUntil: Date | null, now: Date): 'OK' | 'EXPIRED' | 'NOT_ISSUED' | 'ACCEPTED' {
  if (status === 'ACCEPTED') return 'ACCEPTED';
  if (status !== 'ISSUED' || !validUntil) return 'NOT_ISSUED';
  return now.getTime() < validUntil.getTime() ? 'OK' : 'EXPIRED';
}

const COLOUR = /^#[0-9a-fA-F]{6}$/;
export function validateColour(value: string, field: string): string {
  if (!COLOUR.test(value)) throw new QuoteRuleError(field, 'must be a #RRGGBB colour');
  return value.toUpperCase();
}

export function validateLogoUrl(value: string | null): string | null {
  if (value === null || value.trim() === '') return null;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new QuoteRuleError('logoUrl', 'must be an absolute https URL');
  }
  if (url.protocol !== 'https:') throw new QuoteRuleError('logoUrl', 'must be an https URL');
  return url.toString();
}
