import { MAX_MINOR_UNITS, MoneyFormatError, currencyExponent as isoExponent, formatMinorUnitsDecimal, toMinorUnits } from '@ipay/platform';
import type { PspCode } from './adapter.ts';

/**
 * Amounts at the PSPs. Our Money is integer minor units with the ISO 4217 exponent of the one table in
 * `@ipay/platform` (iso4217.ts); a PSP's API may count a currency differently. Those documented exceptions are rules on
 * top of ISO, per PSP, never a second exponent table:
 * - Stripe (docs.stripe.com/currencies): MGA is zero-decimal at Stripe (ISO: 2); ISK is sent in two-decimal form
 *   although ISO gives 0 (5 ISK = 500, always a multiple of 100); for the three-decimal currencies (BHD, JOD, KWD, OMR,
 *   TND) the last digit must be 0.
 * - Adyen and Mollie: ISO 4217 minor units (Adyen `value`) and ISO decimals (Mollie `value` strings).
 */
export interface PspCurrencyRule {
  /** Digits the PSP's integer amount counts (absent: the ISO exponent). */
  readonly exponent?: number;
  /** The PSP's integer amount must be a multiple of this. */
  readonly multipleOf?: number;
}

export const PSP_CURRENCY_RULES: Readonly<Record<PspCode, Readonly<Record<string, PspCurrencyRule>>>> = {
  stripe: {
    MGA: { exponent: 0 },
    ISK: { exponent: 2, multipleOf: 100 },
    BHD: { multipleOf: 10 },
    JOD: { multipleOf: 10 },
    KWD: { multipleOf: 10 },
    OMR: { multipleOf: 10 },
    TND: { multipleOf: 10 },
  },
  adyen: {},
  mollie: {},
};

export function currencyExponent(currency: string): number {
  return isoExponent(currency);
}

/** Our ISO minor units → the PSP's integer amount; a RangeError when the PSP cannot represent the amount exactly. */
export function toPspMinorUnits(psp: PspCode, amount: number, currency: string): number {
  const iso = isoExponent(currency);
  const rule = PSP_CURRENCY_RULES[psp][currency] ?? {};
  const exponent = rule.exponent ?? iso;
  let value: number;
  if (exponent >= iso) value = amount * 10 ** (exponent - iso);
  else {
    const divisor = 10 ** (iso - exponent);
    if (amount % divisor !== 0)
      throw new RangeError(`${psp} counts ${currency} with ${exponent} decimals: ${formatMinorUnitsDecimal(amount, currency)} cannot be charged exactly`);
    value = amount / divisor;
  }
  if (rule.multipleOf && value % rule.multipleOf !== 0) {
    throw new RangeError(
      `${psp} takes ${currency} amounts only in steps of ${rule.multipleOf} of its unit: ${formatMinorUnitsDecimal(amount, currency)} cannot be charged exactly`,
    );
  }
  return value;
}

/** The PSP's integer amount → our ISO minor units; a RangeError when it is not a whole number of ISO minor units. */
export function fromPspMinorUnits(psp: PspCode, value: number, currency: string): number {
  const iso = isoExponent(currency);
  const exponent = PSP_CURRENCY_RULES[psp][currency]?.exponent ?? iso;
  if (exponent <= iso) return value * 10 ** (iso - exponent);
  const divisor = 10 ** (exponent - iso);
  if (value % divisor !== 0) throw new RangeError(`${psp} reported ${value} in ${currency}, not a whole number of ISO minor units`);
  return value / divisor;
}

/** 7840 EUR → "78.40"; 1000 JPY → "1000". String arithmetic only: no float ever touches the amount. */
export function minorUnitsToDecimal(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor) || minor < 0) throw new RangeError(`amount must be a non-negative integer number of minor units, got ${minor}`);
  return formatMinorUnitsDecimal(minor, currency);
}

/** What PSPs send: a plain decimal, no sign, exponent, blanks or leading zeros. */
const PSP_DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * "78.40" EUR → 7840. Accepts what PSPs send (exactly the currency's decimals, or fewer, or trailing zeros beyond);
 * refuses anything that would lose a fraction of a minor unit, signs, exponents, or amounts beyond MAX_MINOR_UNITS.
 * The arithmetic is the platform's one decimal conversion (toMinorUnits); a RangeError on anything refused.
 */
export function decimalToMinorUnits(value: string, currency: string): number {
  if (!PSP_DECIMAL.test(value)) throw new RangeError(`"${value}" is not a decimal amount`);
  let minor: number;
  try {
    minor = toMinorUnits(value, currency);
  } catch (error) {
    throw error instanceof MoneyFormatError ? new RangeError(error.message) : error;
  }
  if (minor > MAX_MINOR_UNITS) throw new RangeError(`"${value}" ${currency} exceeds ${MAX_MINOR_UNITS} minor units`);
  return minor;
}
