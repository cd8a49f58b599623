import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currencyExponent, divideMinorUnits, formatMinorUnits, fractionToMinorUnits, toMinorUnits } from '../../../src/adapters/shops/money.ts';

const BY_EXPONENT = { 0: ['JPY', 'KRW', 'VND', 'CLP'], 2: ['EUR', 'USD', 'PLN', 'IDR'], 3: ['KWD', 'BHD', 'TND'] } as const;
const currency = fc.constantFrom(...Object.values(BY_EXPONENT).flat());
const amount = fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });

describe('money parsing without floats', () => {
  it('uses ISO 4217 exponents, not CLDR digits', () => {
    for (const [exp, codes] of Object.entries(BY_EXPONENT)) for (const c of codes) expect(currencyExponent(c)).toBe(Number(exp));
    expect(() => currencyExponent('XAU')).toThrow(/minor units/);
    expect(() => currencyExponent('EURO')).toThrow();
  });

  it('parse(format(n)) == n for every currency exponent', () => {
    fc.assert(fc.property(currency, amount, (c, n) => toMinorUnits(formatMinorUnits(n, c), c, { allowNegative: true }) === n));
  });

  it('accepts trailing zeros beyond the exponent, and JSON numbers by their literal', () => {
    fc.assert(
      fc.property(currency, fc.integer({ min: 0, max: 10 ** 12 }), fc.integer({ min: 1, max: 6 }), (c, n, zeros) => {
        const text = formatMinorUnits(n, c);
        const padded = text.includes('.') ? text + '0'.repeat(zeros) : `${text}.${'0'.repeat(zeros)}`;
        return toMinorUnits(padded, c) === n;
      }),
    );
    expect(toMinorUnits(0.3, 'EUR')).toBe(30);
    expect(toMinorUnits(12.3, 'EUR')).toBe(1230);
    expect(toMinorUnits(1990, 'JPY')).toBe(1990);
    expect(toMinorUnits('24.200000', 'EUR')).toBe(2420);
    expect(toMinorUnits('1.234', 'KWD')).toBe(1234);
  });

  it('refuses sub-minor precision unless rounding is asked for', () => {
    expect(() => toMinorUnits('12.345', 'EUR')).toThrow(/more decimals/);
    expect(() => toMinorUnits('1990.5', 'JPY')).toThrow(/more decimals/);
    expect(toMinorUnits('8.264462809917354', 'EUR', { rounding: 'halfUp' })).toBe(826);
    expect(toMinorUnits('24.999999', 'EUR', { rounding: 'halfUp' })).toBe(2500);
    expect(toMinorUnits('0.125', 'EUR', { rounding: 'halfUp' })).toBe(13);
    expect(() => toMinorUnits('-1.00', 'EUR')).toThrow(/negative/);
    expect(() => toMinorUnits('1,234.00', 'EUR')).toThrow(/not a decimal/);
    expect(() => toMinorUnits(1e21, 'EUR')).toThrow(/range/);
    expect(() => toMinorUnits(Number.NaN, 'EUR')).toThrow(/finite/);
  });

  it('converts amount/divisor exactly (Etsy) and splits line totals', () => {
    expect(fractionToMinorUnits(2500, 100, 'EUR')).toBe(2500);
    expect(fractionToMinorUnits(25, 1, 'JPY')).toBe(25);
    expect(fractionToMinorUnits(12345, 1000, 'KWD')).toBe(12345);
    expect(() => fractionToMinorUnits(1, 1000, 'EUR')).toThrow(/whole number/);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 1, max: 1000 }), (unit, qty) => divideMinorUnits(unit * qty, qty, 'exact') === unit),
    );
    expect(divideMinorUnits(1000, 3, 'halfUp')).toBe(333);
    expect(divideMinorUnits(1001, 2, 'halfUp')).toBe(501);
    expect(() => divideMinorUnits(1000, 3, 'exact')).toThrow(/equal parts/);
  });
});
