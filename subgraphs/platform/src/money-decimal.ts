import { currencyExponent as isoExponent } from './iso4217.ts';

/**
 * Decimal amounts (CSV files, PSPs, shop platforms) → integer minor units, without ever doing float arithmetic; moved
 * here from commerce so every subgraph parses and formats amounts the same way.
 *
 * Exponents come from the one ISO 4217 table (iso4217.ts); codes without minor units (XAU, XDR, …) are refused.
 */
export class MoneyFormatError extends Error {}

/** The ISO 4217 exponent (the one table, iso4217.ts), refusing codes without minor units as a format error. */
function exponentOf(currency: string): number {
  try {
    return isoExponent(currency);
  } catch (error) {
    throw new MoneyFormatError(`"${currency}" is not an ISO 4217 currency with minor units (${(error as Error).message})`);
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
  const exponent = exponentOf(currency);
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
