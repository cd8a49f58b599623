import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ISO_4217, MAX_MINOR_UNITS, formatMinorUnitsDecimal, toMinorUnits } from '@ipay/platform';
import { PspError } from '../src/adapters/psp/adapter.ts';
import {
  PSP_CURRENCY_RULES,
  currencyExponent,
  decimalToMinorUnits,
  fromPspMinorUnits,
  minorUnitsToDecimal,
  toPspMinorUnits,
} from '../src/adapters/psp/amount.ts';
import { createStripeAdapter } from '../src/adapters/psp/stripe.ts';

describe('PSP amounts: ISO 4217 minor units plus each PSP’s documented rules', () => {
  it('reads PSP decimals with the platform conversion: the minor units of toMinorUnits, for every currency', () => {
    const codes = ISO_4217.filter((c) => c.active && c.exponent !== null).map((c) => c.code);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_MINOR_UNITS }), fc.constantFrom(...codes), fc.nat({ max: 20 }), (minor, code, zeros) => {
        // Trailing zeros beyond the currency's decimals, however many, are the same amount (as in the platform parser).
        const decimal = formatMinorUnitsDecimal(minor, code);
        const padded = zeros === 0 ? decimal : `${decimal}${decimal.includes('.') ? '' : '.'}${'0'.repeat(zeros)}`;
        expect(decimalToMinorUnits(padded, code)).toBe(toMinorUnits(padded, code));
      }),
    );
  });

  it('uses the platform ISO table for every active currency (HUF 2, IQD 3, not CLDR digits)', () => {
    for (const c of ISO_4217.filter((x) => x.active && x.exponent !== null)) expect(currencyExponent(c.code)).toBe(c.exponent);
    expect(minorUnitsToDecimal(7840, 'HUF')).toBe('78.40');
    expect(minorUnitsToDecimal(1000, 'IQD')).toBe('1.000');
    expect(() => currencyExponent('XAU')).toThrow(/no minor units/);
  });

  it('sends Adyen and Mollie ISO minor units unchanged', () => {
    for (const c of ISO_4217.filter((x) => x.active && x.exponent !== null)) {
      expect(toPspMinorUnits('adyen', 7000, c.code)).toBe(7000);
      expect(fromPspMinorUnits('mollie', 7000, c.code)).toBe(7000);
    }
  });

  it('applies Stripe’s exceptions on top of ISO: MGA zero-decimal, ISK in two-decimal form, three-decimal amounts ending in 0', () => {
    expect(Object.keys(PSP_CURRENCY_RULES.stripe).sort()).toEqual(['BHD', 'ISK', 'JOD', 'KWD', 'MGA', 'OMR', 'TND']);
    expect(toPspMinorUnits('stripe', 7800, 'MGA')).toBe(78);
    expect(() => toPspMinorUnits('stripe', 7840, 'MGA')).toThrow(/cannot be charged exactly/);
    expect(fromPspMinorUnits('stripe', 78, 'MGA')).toBe(7800);
    expect(toPspMinorUnits('stripe', 5, 'ISK')).toBe(500);
    expect(fromPspMinorUnits('stripe', 500, 'ISK')).toBe(5);
    expect(() => fromPspMinorUnits('stripe', 550, 'ISK')).toThrow(/not a whole number/);
    expect(toPspMinorUnits('stripe', 12340, 'KWD')).toBe(12340);
    expect(() => toPspMinorUnits('stripe', 12345, 'KWD')).toThrow(/steps of 10/);
    expect(toPspMinorUnits('stripe', 7840, 'HUF')).toBe(7840);
    expect(toPspMinorUnits('stripe', 7840, 'EUR')).toBe(7840);
  });

  it('refuses a Stripe payment it cannot represent before calling Stripe', async () => {
    const adapter = createStripeAdapter({ secretKey: 'sk_test_x', webhookSecrets: ['whsec_x'], apiUrl: 'http://127.0.0.1:9', timeoutMs: 100 });
    const error = await adapter
      .createPayment({
        reference: 'IPAY-7K3M-Q9XD-4',
        amount: { amount: 7840, currency: 'MGA' },
        method: 'card',
        description: 'x',
        returnUrl: 'https://x.example/r',
        captureMode: 'automatic',
        idempotencyKey: 'k',
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PspError);
    expect((error as PspError).kind).toBe('rejected');
  });
});
