import { signedMoney, type Money } from '@ipay/platform';

/**
 * Settlement arithmetic in integer minor units. A settlement is a list of lines; its totals are the sums of the lines
 * (the database checks it at every commit). Every line has gross − fee = net:
 *
 * - COLLECTION: what a fully paid order's session captured (gross), IPAY's fixed fee (never more than the gross, so
 *   a collection never nets negative), the net the merchant receives;
 * - REFUND: money paid back to the consumer, gross = net = −refund, no fee (IPAY keeps the fee of a delivered order);
 * - ADJUSTMENT: a correction with a reason, gross = net = the signed amount.
 */
export type LineKind = 'COLLECTION' | 'REFUND' | 'ADJUSTMENT';

export interface LineAmounts {
  gross: Money;
  fee: Money;
  net: Money;
}

export function collectionLine(collected: Money, fee: Money): LineAmounts {
  if (collected.currency !== fee.currency) throw new Error(`a ${fee.currency} fee cannot apply to a ${collected.currency} collection`);
  if (collected.amount < 0 || fee.amount < 0) throw new Error('collections and fees are not negative');
  const feeAmount = Math.min(fee.amount, collected.amount);
  return { gross: collected, fee: signedMoney(feeAmount, collected.currency), net: signedMoney(collected.amount - feeAmount, collected.currency) };
}

export function refundLine(refunded: Money): LineAmounts {
  if (refunded.amount <= 0) throw new Error('a refund line needs a positive refunded amount');
  const amount = signedMoney(-refunded.amount, refunded.currency);
  return { gross: amount, fee: signedMoney(0, refunded.currency), net: amount };
}

export function adjustmentLine(amount: Money): LineAmounts {
  if (amount.amount === 0) throw new Error('an adjustment of zero changes nothing');
  return { gross: amount, fee: signedMoney(0, amount.currency), net: amount };
}

/** Totals of lines of one currency; mixing currencies is a programming error. */
export function settlementTotals(lines: readonly LineAmounts[], currency: string): LineAmounts & { lineCount: number } {
  let gross = 0;
  let fee = 0;
  let net = 0;
  for (const line of lines) {
    for (const m of [line.gross, line.fee, line.net]) if (m.currency !== currency) throw new Error(`cannot add ${m.currency} to ${currency}`);
    gross += line.gross.amount;
    fee += line.fee.amount;
    net += line.net.amount;
  }
  return { gross: signedMoney(gross, currency), fee: signedMoney(fee, currency), net: signedMoney(net, currency), lineCount: lines.length };
}

export const isCollectible = (state: { amount_due: { amount_minor: number }; captured: { amount_minor: number } }) =>
  state.captured.amount_minor > 0 && state.captured.amount_minor >= state.amount_due.amount_minor;
