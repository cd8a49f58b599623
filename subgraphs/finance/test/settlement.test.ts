import { describe, expect, it } from 'vitest';
import { money } from '@ipay/platform';
import { feeFor, settlementLine, settlementTotals } from '../src/domain/settlement.ts';

describe('settlement arithmetic', () => {
  it('takes the fixed fee per order and never makes net negative', () => {
    expect(settlementLine(money(7840, 'EUR'))).toEqual({ gross: money(7840, 'EUR'), fee: money(95, 'EUR'), net: money(7745, 'EUR') });
    expect(settlementLine(money(50, 'EUR'))).toEqual({ gross: money(50, 'EUR'), fee: money(50, 'EUR'), net: money(0, 'EUR') });
  });
  it('totals lines of one currency exactly, in minor units', () => {
    const lines = [7840, 1990, 12345].map((a) => settlementLine(money(a, 'SEK')));
    expect(settlementTotals(lines, 'SEK')).toEqual({ gross: money(22175, 'SEK'), fee: money(3 * 1095, 'SEK'), net: money(22175 - 3 * 1095, 'SEK') });
  });
  it('refuses a currency IPAY has no fee for', () => {
    expect(() => feeFor('JPY')).toThrow('no IPAY fee');
  });
});
