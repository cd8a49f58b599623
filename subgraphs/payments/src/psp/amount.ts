import { MAX_MINOR_UNITS, isIsoCurrency } from '@ipay/platform';

/**
 * ISO 4217 minor-unit exponents that are not 2. Intl's currency digits are display conventions (CLDR gives HUF 0,
 * ISO gives 2), so the exponent PSPs and our Money use comes from the standard, not from Intl.
 */
const EXPONENT: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
};

export function currencyExponent(currency: string): number {
  if (!isIsoCurrency(currency)) throw new RangeError(`"${currency}" is not an ISO 4217 currency code`);
  return EXPONENT[currency] ?? 2;
}

/** 7840 EUR → "78.40"; 1000 JPY → "1000". String arithmetic only: no float ever touches the amount. */
export function minorUnitsToDecimal(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor) || minor < 0) throw new RangeError(`amount must be a non-negative integer number of minor units, got ${minor}`);
  const exponent = currencyExponent(currency);
  if (exponent === 0) return String(minor);
  const digits = String(minor).padStart(exponent + 1, '0');
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * "78.40" EUR → 7840. Accepts what PSPs send (exactly the currency's decimals, or fewer, or trailing zeros beyond);
 * refuses anything that would lose a fraction of a minor unit, signs, exponents, or amounts beyond MAX_MINOR_UNITS.
 */
export function decimalToMinorUnits(value: string, currency: string): number {
  const exponent = currencyExponent(currency);
  const match = /^(0|[1-9][0-9]{0,14})(?:\.([0-9]{1,12}))?$/.exec(value);
  if (!match) throw new RangeError(`"${value}" is not a decimal amount`);
  const whole = match[1]!;
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > exponent) throw new RangeError(`"${value}" has more precision than ${currency}'s ${exponent} decimals`);
  const minor = BigInt(whole) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0') || '0');
  if (minor > BigInt(MAX_MINOR_UNITS)) throw new RangeError(`"${value}" ${currency} exceeds ${MAX_MINOR_UNITS} minor units`);
  return Number(minor);
}
