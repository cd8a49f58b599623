import { describe, expect, it } from 'vitest';
import { marginOf, quoteAcceptable, quoteTotals, QuoteRuleError, validateColour, validateLogoUrl, validateMarginRule } from '../../src/domain/quotes.ts';

describe('quote engine rules', () => {
  it('prices each margin rule over carrier cost + fee, tax over cost + margin, half up', () => {
    // cost 2045 + 95 = 2140; 15 % = 321; no tax.
    expect(quoteTotals({ carrierCost: 2045, ipayFee: 95 }, { kind: 'PERCENTAGE', basisPoints: 1500, amount: 0 }, 0)).toEqual({
      carrierCost: 2045,
      ipayFee: 95,
      cost: 2140,
      margin: 321,
      tax: 0,
      total: 2461,
    });
    // fixed 250; 21 % of 2390 = 501.9 → 502.
    expect(quoteTotals({ carrierCost: 2045, ipayFee: 95 }, { kind: 'FIXED', basisPoints: 0, amount: 250 }, 2100)).toMatchObject({
      margin: 250,
      tax: 502,
      total: 2892,
    });
    // 5 % of 2140 = 107 < 900 floor; 5 % of 30000 = 1500 > floor.
    expect(marginOf({ kind: 'MINIMUM', basisPoints: 500, amount: 900 }, 2140)).toBe(900);
    expect(marginOf({ kind: 'MINIMUM', basisPoints: 500, amount: 900 }, 30000)).toBe(1500);
    // Half up: 12.5 % of 4 = 0.5 → 1; of 3 = 0.375 → 0.
    expect(marginOf({ kind: 'PERCENTAGE', basisPoints: 1250, amount: 0 }, 4)).toBe(1);
    expect(marginOf({ kind: 'PERCENTAGE', basisPoints: 1250, amount: 0 }, 3)).toBe(0);
  });

  it('refuses incomplete or contradictory rules with the field', () => {
    const field = (rule: Parameters<typeof validateMarginRule>[0]) => {
      try {
        validateMarginRule(rule);
        return null;
      } catch (error) {
        return (error as QuoteRuleError).field;
      }
    };
    expect(field({ kind: 'PERCENTAGE' })).toBe('marginBasisPoints');
    expect(field({ kind: 'PERCENTAGE', basisPoints: 1000, amount: 5 })).toBe('marginAmount');
    expect(field({ kind: 'FIXED', basisPoints: 10 })).toBe('marginBasisPoints');
    expect(field({ kind: 'MINIMUM', basisPoints: 500 })).toBe('marginAmount');
    expect(field({ kind: 'FIXED', amount: -1 })).toBe('marginAmount');
    expect(field({ kind: 'PERCENTAGE', basisPoints: 1.5 })).toBe('marginBasisPoints');
    expect(validateMarginRule({ kind: 'MINIMUM', basisPoints: 500, amount: 900 })).toEqual({ kind: 'MINIMUM', basisPoints: 500, amount: 900 });
    expect(() => validateColour('red', 'primaryColor')).toThrow(QuoteRuleError);
    expect(validateColour('#0b3d91', 'primaryColor')).toBe('#0B3D91');
    expect(() => validateLogoUrl('http://acme.test/logo.png')).toThrow(/https/);
  });

  it('accepts only an issued quote before validUntil', () => {
    const until = new Date('2026-06-01T12:00:00.000Z');
    expect(quoteAcceptable('ISSUED', until, new Date('2026-06-01T11:59:59.999Z'))).toBe('OK');
    expect(quoteAcceptable('ISSUED', until, until)).toBe('EXPIRED');
    expect(quoteAcceptable('PRICING', null, until)).toBe('NOT_ISSUED');
    expect(quoteAcceptable('REFUSED', null, until)).toBe('NOT_ISSUED');
    expect(quoteAcceptable('ACCEPTED', until, until)).toBe('ACCEPTED');
  });
});
