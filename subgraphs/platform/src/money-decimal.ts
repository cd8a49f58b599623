import { isIsoCurrency } from './money.ts';

/**
 * Decimal amounts (CSV files, PSPs, shop platforms) → integer minor units, without ever doing float arithmetic; moved
 * here from commerce so every subgraph parses and formats amounts the same way.
 *
 * Exponents are the ISO 4217 minor units (the list's "N.A." entries such as XAU are refused). An explicit table is used
 * instead of Intl because ICU's digits follow CLDR, which differs from ISO 4217 for a few currencies.
 */
const EXPONENT_0 = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const EXPONENT_3 = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);
const EXPONENT_4 = new Set(['CLF', 'UYW']);
const NO_MINOR_UNIT = new Set(['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX']);

export class MoneyFormatError extends Error {}

export function currencyExponent(currency: string): number {
  if (!isIsoCurrency(currency) || NO_MINOR_UNIT.has(currency)) throw new MoneyFormatError(`"${currency}" is not an ISO 4217 currency with minor units`);
  if (EXPONENT_0.has(currency)) return 0;
  if (EXPONENT_3.has(currency)) return 3;
  if (EXPONENT_4.has(currency)) return 4;
  return 2;
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

/** The inverse of toMinorUnits: 7840 EUR → "78.40", 1990 JPY → "1990", -5 KWD → "-0.005". */
export function formatMinorUnits(amount: number, currency: string): string {
  if (!Number.isSafeInteger(amount)) throw new MoneyFormatError(`${amount} is not an integer number of minor units`);
  const exponent = currencyExponent(currency);
  const sign = amount < 0 ? '-' : '';
  const digits = String(Math.abs(amount));
  if (exponent === 0) return sign + digits;
  const padded = digits.padStart(exponent + 1, '0');
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}
