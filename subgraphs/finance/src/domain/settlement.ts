import { money, sumMoney, type Money } from '@ipay/platform';

/**
 * IPAY's commercial model is a fixed fee per settled order, in the settlement currency's minor units.
 * A currency without a fee is not settled, rather than guessed.
 */
export const FIXED_FEE_PER_ORDER: Readonly<Record<string, number>> = { EUR: 95, SEK: 1095, DKK: 710, NOK: 1120, PLN: 410, GBP: 85, USD: 105 };

export function feeFor(currency: string): Money {
  const fee = FIXED_FEE_PER_ORDER[currency];
  if (fee === undefined) throw new Error(`no IPAY fee is defined for ${currency}`);
  return money(fee, currency);
}

export interface SettlementLineAmounts {
  gross: Money;
  fee: Money;
  net: Money;
}

/** One order's line: the fee never exceeds what was collected, so net is never negative. */
export function settlementLine(collected: Money): SettlementLineAmounts {
  const fee = feeFor(collected.currency);
  const feeAmount = Math.min(fee.amount, collected.amount);
  return {
    gross: collected,
    fee: money(feeAmount, collected.currency),
    net: money(collected.amount - feeAmount, collected.currency),
  };
}

export function settlementTotals(lines: readonly SettlementLineAmounts[], currency: string): SettlementLineAmounts {
  return {
    gross: sumMoney(lines.map((l) => l.gross), currency),
    fee: sumMoney(lines.map((l) => l.fee), currency),
    net: sumMoney(lines.map((l) => l.net), currency),
  };
}
