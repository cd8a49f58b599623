import { currencyExponent, MoneyFormatError, type Rounding } from '@ipay/platform';

// Parsing and formatting decimal amounts lives in the platform (money-decimal.ts); re-exported for the connectors.
export { currencyExponent, formatMinorUnits, MoneyFormatError, toMinorUnits, type ParseOptions, type Rounding } from '@ipay/platform';

/**
 * Amount expressed as `amount / divisor` major units (Etsy's Money shape) → minor units, exactly or not at all.
 */
export function fractionToMinorUnits(amount: number, divisor: number, currency: string): number {
  if (!Number.isSafeInteger(amount) || !Number.isSafeInteger(divisor) || divisor <= 0) {
    throw new MoneyFormatError(`${amount}/${divisor} is not an integer amount over a positive divisor`);
  }
  const scale = 10n ** BigInt(currencyExponent(currency));
  const numerator = BigInt(amount) * scale;
  if (numerator % BigInt(divisor) !== 0n) throw new MoneyFormatError(`${amount}/${divisor} ${currency} is not a whole number of minor units`);
  return Number(numerator / BigInt(divisor));
}

/** Integer division of minor units that is exact or rounds half up; used to derive unit prices from line totals. */
export function divideMinorUnits(total: number, by: number, rounding: Rounding): number {
  if (!Number.isSafeInteger(total) || !Number.isSafeInteger(by) || by <= 0) throw new MoneyFormatError(`cannot divide ${total} by ${by}`);
  const quotient = Math.trunc(total / by);
  const remainder = total - quotient * by;
  if (remainder === 0) return quotient;
  if (rounding === 'exact') throw new MoneyFormatError(`${total} minor units do not split into ${by} equal parts`);
  return 2 * Math.abs(remainder) >= by ? quotient + Math.sign(total) : quotient;
}
