import { badUserInput } from './errors.ts';
import { formatMinorUnitsDecimal, isIsoCurrency } from './iso4217.ts';

export { ISO_4217, currencyExponent, formatMinorUnitsDecimal, isIsoCurrency, isWithdrawnCurrency, iso4217, type Iso4217Currency } from './iso4217.ts';

/** Money is an integer number of minor units (cents) with its ISO 4217 currency; never a float. */
export interface Money {
  amount: number;
  currency: string;
}

/** GraphQL Int is 32-bit; amounts above it cannot be represented on the wire. */
export const MAX_MINOR_UNITS = 2_147_483_647;

export function assertCurrency(code: string, field = 'currency'): string {
  if (!isIsoCurrency(code)) throw badUserInput(field, `"${code}" is not an ISO 4217 currency code`);
  return code;
}

export function assertMinorUnits(amount: number, field = 'amount'): number {
  if (!Number.isSafeInteger(amount)) throw badUserInput(field, 'must be an integer number of minor units');
  if (amount < 0) throw badUserInput(field, 'must not be negative');
  if (amount > MAX_MINOR_UNITS) throw badUserInput(field, `must not exceed ${MAX_MINOR_UNITS} minor units`);
  return amount;
}

export function money(amount: number, currency: string, field = 'amount'): Money {
  return { amount: assertMinorUnits(amount, field), currency: assertCurrency(currency, `${field}.currency`) };
}

/** Sums amounts of one currency; mixing currencies is a programming error, not a rounding question. */
export function sumMoney(items: readonly Money[], currency: string): Money {
  let total = 0;
  for (const item of items) {
    if (item.currency !== currency) throw new Error(`cannot add ${item.currency} to ${currency}`);
    total += item.amount;
  }
  return money(total, currency);
}

/**
 * A signed amount of minor units (ledger lines: refunds and corrections are negative). Same range and integer rule
 * as `money`, without the sign restriction.
 */
export function signedMoney(amount: number, currency: string, field = 'amount'): Money {
  if (!Number.isSafeInteger(amount)) throw badUserInput(field, 'must be an integer number of minor units');
  if (Math.abs(amount) > MAX_MINOR_UNITS) throw badUserInput(field, `must not exceed ${MAX_MINOR_UNITS} minor units`);
  return { amount, currency: assertCurrency(currency, `${field}.currency`) };
}

/**
 * Minor units as a decimal string in the currency's exponent, by string formatting, never by dividing floats:
 * 7840 EUR → "78.40", -5 EUR → "-0.05", 1500 JPY → "1500", 1234 KWD → "1.234". `decimalSeparator` for layouts
 * that want a comma (DATEV).
 */
export function formatMinorUnits(amountMinor: number, currency: string, decimalSeparator = '.'): string {
  assertCurrency(currency);
  const text = formatMinorUnitsDecimal(amountMinor, currency);
  return decimalSeparator === '.' ? text : text.replace('.', decimalSeparator);
}
