import { describe, expect, it } from 'vitest';
import { ISO_4217, currencyExponent, formatMinorUnitsDecimal, isIsoCurrency, iso4217, majorUnits, wireMoney } from '../src/index.ts';

const active = ISO_4217.filter((c) => c.active);
const exponentOf = (code: string) => active.find((c) => c.code === code)!.exponent;

/** Where CLDR's display digits (what Intl answers) differ from ISO 4217's minor units: the reason the table exists. */
const KNOWN_CLDR_DISAGREEMENTS: Record<string, { cldr: number; iso: number }> = {
  AFN: { cldr: 0, iso: 2 },
  ALL: { cldr: 0, iso: 2 },
  COP: { cldr: 0, iso: 2 },
  HUF: { cldr: 0, iso: 2 },
  IDR: { cldr: 0, iso: 2 },
  IQD: { cldr: 0, iso: 3 },
  IRR: { cldr: 0, iso: 2 },
  KPW: { cldr: 0, iso: 2 },
  LAK: { cldr: 0, iso: 2 },
  LBP: { cldr: 0, iso: 2 },
  MGA: { cldr: 0, iso: 2 },
  MMK: { cldr: 0, iso: 2 },
  PKR: { cldr: 0, iso: 2 },
  SOS: { cldr: 0, iso: 2 },
  SYP: { cldr: 0, iso: 2 },
  YER: { cldr: 0, iso: 2 },
};

describe('the ISO 4217 table', () => {
  it('holds every active code once, with a unique three-digit numeric code and an exponent of 0, 2, 3, 4 or N.A.', () => {
    expect(active.length).toBe(179);
    expect(new Set(active.map((c) => c.code)).size).toBe(active.length);
    expect(new Set(active.map((c) => c.numeric)).size).toBe(active.length);
    for (const c of active) {
      expect(c.code).toMatch(/^[A-Z]{3}$/);
      expect(c.numeric).toMatch(/^\d{3}$/);
      expect([0, 2, 3, 4, null]).toContain(c.exponent);
    }
  });

  it('has the exponents ISO 4217 lists for the currencies that are not 2-decimal', () => {
    const byExponent = (e: number | null) =>
      active
        .filter((c) => c.exponent === e)
        .map((c) => c.code)
        .sort();
    expect(byExponent(0)).toEqual(['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
    expect(byExponent(3)).toEqual(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);
    expect(byExponent(4)).toEqual(['CLF', 'UYW']);
    expect(byExponent(null)).toEqual(['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX']);
    expect(iso4217('HUF')).toEqual({ code: 'HUF', numeric: '348', exponent: 2, active: true });
    expect(iso4217('IQD')).toEqual({ code: 'IQD', numeric: '368', exponent: 3, active: true });
  });

  it('differs from Intl (CLDR display digits) exactly where CLDR is known to disagree, and the table wins', () => {
    const intl = new Set(Intl.supportedValuesOf('currency'));
    const disagreements: Record<string, { cldr: number; iso: number }> = {};
    for (const c of active) {
      if (c.exponent === null || !intl.has(c.code)) continue;
      const cldr = new Intl.NumberFormat('en', { style: 'currency', currency: c.code }).resolvedOptions().maximumFractionDigits!;
      if (cldr !== c.exponent) disagreements[c.code] = { cldr, iso: c.exponent };
    }
    expect(disagreements).toEqual(KNOWN_CLDR_DISAGREEMENTS);
    for (const [code, { iso }] of Object.entries(KNOWN_CLDR_DISAGREEMENTS)) expect(currencyExponent(code)).toBe(iso);
  });

  it('formats every active currency with its ISO exponent on the wire', () => {
    for (const c of active) {
      if (c.exponent === null) {
        expect(isIsoCurrency(c.code)).toBe(false);
        expect(() => majorUnits(1, c.code)).toThrow(/no minor units/);
        continue;
      }
      expect(isIsoCurrency(c.code)).toBe(true);
      const text = formatMinorUnitsDecimal(123456, c.code);
      expect(text.split('.')[1]?.length ?? 0).toBe(c.exponent);
      expect(majorUnits(123456, c.code)).toBe(123456 / 10 ** c.exponent);
    }
    expect(wireMoney(7840, 'HUF')).toEqual({ amount: 78.4, amount_minor: 7840, currency: 'HUF' });
    expect(formatMinorUnitsDecimal(1000, 'IQD')).toBe('1.000');
    expect(wireMoney(1000, 'IQD')).toEqual({ amount: 1, amount_minor: 1000, currency: 'IQD' });
    expect(wireMoney(7840, 'EUR')).toEqual({ amount: 78.4, amount_minor: 7840, currency: 'EUR' });
    expect(wireMoney(7840, 'JPY')).toEqual({ amount: 7840, amount_minor: 7840, currency: 'JPY' });
    expect(formatMinorUnitsDecimal(-5, 'KWD')).toBe('-0.005');
    expect(exponentOf('CLF')).toBe(4);
  });

  it('refuses withdrawn, unknown and lower-case codes', () => {
    for (const code of ['HRK', 'ZWL', 'SLL', 'ANG', 'EURO', 'eur', 'ABC', '']) expect(isIsoCurrency(code)).toBe(false);
    expect(() => currencyExponent('HRK')).toThrow(/withdrawn/);
    expect(() => majorUnits(100, 'ABC')).toThrow(/not an active ISO 4217/);
  });
});
