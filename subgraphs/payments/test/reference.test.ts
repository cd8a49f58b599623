import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newPaymentReference, paymentReferenceFromNumber, parsePaymentReference } from '../src/domain/reference.ts';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const reference = fc.integer({ min: 0, max: 2 ** 40 - 1 }).map((n) => paymentReferenceFromNumber(BigInt(n)));
const compact = (ref: string) => ref.replace(/^IPAY-/, '').replaceAll('-', '');

describe('IPAY references', () => {
  it('look like IPAY-XXXX-XXXX-C and parse back to themselves', () => {
    fc.assert(
      fc.property(reference, (ref) => {
        expect(ref).toMatch(/^IPAY-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]$/);
        expect(parsePaymentReference(ref)).toEqual({ ok: true, reference: ref });
      }),
    );
    expect(parsePaymentReference(newPaymentReference()).ok).toBe(true);
  });

  it('accept what people type: lower case, spaces, no dashes, O for 0, I or L for 1', () => {
    const ref = paymentReferenceFromNumber(0x1234567n);
    expect(parsePaymentReference(` ${ref.toLowerCase().replaceAll('-', ' ')} `)).toEqual({ ok: true, reference: ref });
    const withZero = paymentReferenceFromNumber(0n); // IPAY-0000-0000-0
    expect(parsePaymentReference('ipay oooo-oooo-o')).toEqual({ ok: true, reference: withZero });
  });

  it('reject every single mistyped character', () => {
    fc.assert(
      fc.property(reference, fc.nat(8), fc.nat(31), (ref, position, replacement) => {
        const chars = [...compact(ref)];
        const typo = ALPHABET[replacement]!;
        fc.pre(chars[position] !== typo);
        chars[position] = typo;
        expect(parsePaymentReference(chars.join('')).ok).toBe(false);
      }),
    );
  });

  it('reject swapped neighbours (except 0 and Z, the one pair Luhn mod 32 cannot tell apart)', () => {
    fc.assert(
      fc.property(reference, fc.nat(7), (ref, position) => {
        const chars = [...compact(ref)];
        const [a, b] = [chars[position]!, chars[position + 1]!];
        fc.pre(a !== b && !(new Set([a, b]).has('0') && new Set([a, b]).has('Z')));
        [chars[position], chars[position + 1]] = [b, a];
        expect(parsePaymentReference(chars.join('')).ok).toBe(false);
      }),
    );
  });

  it('explain what is wrong', () => {
    expect(parsePaymentReference('IPAY-123')).toMatchObject({ ok: false, reason: expect.stringContaining('8 characters') });
    expect(parsePaymentReference('IPAY-ABCD-EFGH-U')).toMatchObject({ ok: false, reason: expect.stringContaining('not used') });
  });
});
