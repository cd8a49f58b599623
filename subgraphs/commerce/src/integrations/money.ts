import { formatMinorUnitsDecimal, currencyExponent as isoExponent } from '@ipay/platform';

/**
 * Decimal amounts from platforms → integer minor units, without ever doing float arithmetic.
 *
 * Exponents are the ISO 4217 minor units of the one table in `@ipay/platform` (iso4217.ts); codes the standard gives
 * no minor unit (XAU, XDR, ...) and withdrawn or unknown codes are refused.
 */
export class MoneyFormatError extends Error {}

export function currencyExponent(currency: string): number {
  try {
    return isoExponent(currency);
  } catch {
    throw new MoneyFormatError(`"${currency}" is not an ISO 4217 currency with minor units`);
  }
}

export type Rounding = 'exact' | 'halfUp';

export interface ParseOptions {
  /**
   * `exact` (default) refuses digits below the minor unit unless they are zeros ("12.340000" EUR is fine, "12.345" is
   * not). `halfUp` rounds half away from zero; use it only where the platform itself documents an unrounded value
   * (e.g. a unit price derived by dividing a line total).
   */
  rounding?: Rounding;
  allowNegative?: boolean;
}

const DECIMAL = /^([+-])?(\d+)(?:\.(\d*))?$/;

/** A decimal string or a JSON number (its shortest round-trip form, which is the literal for ≤15 significant digits). */
export function toMinorUnits(value: string | number, currency: string, options: ParseOptions = {}): number {
  const exponent = currencyExponent(currency);
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new MoneyFormatError(`${value} is not a finite amount`);
    text = String(value);
    if (/e/i.test(text)) throw new MoneyFormatError(`${text} is outside the range of a money amount`);
  } else {
    text = value.trim();
  }
  const match = DECIMAL.exec(text);
  if (!match) throw new MoneyFormatError(`"${value}" is not a decimal amount`);
  const negative = match[1] === '-';
  const whole = match[2]!;
  const fraction = match[3] ?? '';
  const kept = fraction.slice(0, exponent).padEnd(exponent, '0');
  const dropped = fraction.slice(exponent);
  let minor = BigInt(whole + kept);
  if (/[1-9]/.test(dropped)) {
    if ((options.rounding ?? 'exact') === 'exact') {
      throw new MoneyFormatError(`"${value}" has more decimals than ${currency} has minor units (${exponent})`);
    }
    if (dropped.charCodeAt(0) >= 53 /* '5' */) minor += 1n;
  }
  if (negative && minor !== 0n && !options.allowNegative) throw new MoneyFormatError(`"${value}" must not be negative`);
  const signed = negative ? -minor : minor;
  if (signed > BigInt(Number.MAX_SAFE_INTEGER) || signed < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MoneyFormatError(`"${value}" is too large`);
  }
  return Number(signed);
}

/** The inverse of toMinorUnits: 7840 EUR → "78.40", 1990 JPY → "1990", -5 KWD → "-0.005" (platform's ISO formatting). */
export function formatMinorUnits(amount: number, currency: string): string {
  if (!Number.isSafeInteger(amount)) throw new MoneyFormatError(`${amount} is not an integer number of minor units`);
  currencyExponent(currency);
  return formatMinorUnitsDecimal(amount, currency);
}

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
