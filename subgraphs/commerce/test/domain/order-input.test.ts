import fc from 'fast-check';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { MAX_MINOR_UNITS } from '@ipay/platform';
import { MAX_LINES, orderInputSchema, validateOrderInput, type OrderInput } from '../../src/domain/order-input.ts';

const order = (over: Partial<OrderInput> = {}): OrderInput => ({
  merchantReference: ' ORD-1 ',
  currency: 'eur',
  customer: { name: 'Ana', email: ' Ana@Example.NL ' },
  shippingAddress: { name: 'Ana', line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 lg', country: 'nl' },
  lines: [{ sku: 'S-1', name: 'Shirt', quantity: 2, unitAmount: 1000 }],
  shippingAmount: 495,
  discountAmount: 100,
  totalAmount: 2395,
  ...over,
});

/** The BAD_USER_INPUT error's field and message, or the normalised order. */
function outcome(input: unknown) {
  try {
    return { order: validateOrderInput(input as OrderInput) };
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    return { code: error.extensions.code, field: error.extensions.field, message: error.message };
  }
}

describe('order input schema (zod, shared by GraphQL, REST and imports)', () => {
  it('normalises a valid order: trimmed text, upper-case codes, lower-case e-mail, absent optionals as null', () => {
    expect(outcome(order())).toEqual({
      order: {
        merchantReference: 'ORD-1',
        currency: 'EUR',
        customerName: 'Ana',
        customerEmail: 'ana@example.nl',
        customerPhone: null,
        shippingAddress: { name: 'Ana', line1: 'Damrak 1', line2: null, city: 'Amsterdam', postalCode: '1012 LG', region: null, country: 'NL' },
        lines: [{ sku: 'S-1', name: 'Shirt', quantity: 2, unitAmount: 1000 }],
        subtotalAmount: 2000,
        shippingAmount: 495,
        discountAmount: 100,
        totalAmount: 2395,
      },
    });
  });

  it('names the field the way GraphQL clients see it, with the message prefixed by it', () => {
    expect(outcome(order({ lines: [order().lines[0]!, { sku: 'S-2', name: 'x', quantity: 0, unitAmount: 1 }] }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'lines[1].quantity',
      message: 'lines[1].quantity: must be a positive integer',
    });
    expect(outcome(order({ customer: { name: 'Ana', email: ' Nope ' } }))).toMatchObject({
      field: 'customer.email',
      message: 'customer.email: " Nope " is not an e-mail address',
    });
    expect(outcome(order({ customer: undefined as never }))).toMatchObject({ field: 'customer.name', message: 'customer.name: is required' });
    expect(outcome(order({ lines: [] }))).toMatchObject({ field: 'lines', message: 'lines: must hold at least one line item' });
    expect(outcome(order({ totalAmount: 0 }))).toMatchObject({ field: 'totalAmount', message: 'totalAmount: must be greater than 0' });
    expect(outcome(order({ discountAmount: 5000, totalAmount: 1 }))).toMatchObject({
      field: 'discountAmount',
      message: 'discountAmount: must not exceed the lines plus shipping',
    });
  });

  it('reports the first offending field in check order when several are wrong', () => {
    // The postcode (checked against its country) comes before the region, the lines' sum before the next line's sku.
    expect(outcome(order({ shippingAddress: { ...order().shippingAddress, postalCode: 'ABC', region: 'r'.repeat(101) } }))).toMatchObject({
      field: 'shippingAddress.postalCode',
      message: 'shippingAddress.postalCode: "ABC" is not a valid NL postal code',
    });
    const huge = { sku: 'S', name: 'N', quantity: 1, unitAmount: MAX_MINOR_UNITS };
    expect(outcome(order({ lines: [huge, { ...huge, sku: '' }] }))).toMatchObject({
      field: 'lines',
      message: `lines: add up to more than ${MAX_MINOR_UNITS} minor units`,
    });
    expect(outcome(order({ lines: [{ ...huge, sku: '' }, huge] }))).toMatchObject({ field: 'lines[0].sku' });
    expect(outcome(order({ lines: Array.from({ length: MAX_LINES + 1 }, () => ({ sku: '', name: '', quantity: 0, unitAmount: -1 })) }))).toMatchObject({
      field: 'lines',
      message: `lines: must hold at most ${MAX_LINES} line items`,
    });
  });

  it('accepts an empty postcode only where the country has none', () => {
    expect(outcome(order({ shippingAddress: { ...order().shippingAddress, postalCode: ' ', country: 'AE' } }))).toMatchObject({
      order: { shippingAddress: { postalCode: '', country: 'AE' } },
    });
    expect(outcome(order({ shippingAddress: { ...order().shippingAddress, postalCode: '' } }))).toMatchObject({
      field: 'shippingAddress.postalCode',
      message: 'shippingAddress.postalCode: is required for NL',
    });
  });

  it('property: any amounts that add up are accepted, and the total is exactly lines + shipping − discount', () => {
    const line = fc.record({
      sku: fc.constant('S'),
      name: fc.constant('N'),
      quantity: fc.integer({ min: 1, max: 50 }),
      unitAmount: fc.integer({ min: 0, max: 1_000_000 }),
    }); // at most 20 × 50 × 10⁶, under the cap
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: -2, max: 2 }),
        (lines, shipping, discount, off) => {
          const subtotal = lines.reduce((sum, l) => sum + l.quantity * l.unitAmount, 0);
          const expected = subtotal + shipping - discount;
          const result = orderInputSchema.safeParse(order({ lines, shippingAmount: shipping, discountAmount: discount, totalAmount: expected + off }));
          // The total's own check (greater than 0) comes before the sums are compared.
          if (expected + off <= 0) expect(result.error?.issues[0]?.path).toEqual(['totalAmount']);
          else if (expected < 0) expect(result.error?.issues[0]?.path).toEqual(['discountAmount']);
          else if (off !== 0) expect(result.error?.issues[0]?.path).toEqual(['totalAmount']);
          else expect(result.data).toMatchObject({ subtotalAmount: subtotal, totalAmount: expected });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: a non-integer or out-of-range amount on any line names that line', () => {
    const bad = fc.oneof(fc.constant(-1), fc.constant(1.5), fc.constant(Number.NaN), fc.constant(2 ** 53), fc.constant(MAX_MINOR_UNITS + 1));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), bad, (index, unitAmount) => {
        const lines = Array.from({ length: 5 }, (_, i) => ({ sku: `S${i}`, name: 'N', quantity: 1, unitAmount: i === index ? unitAmount : 1 }));
        expect(outcome(order({ lines }))).toMatchObject({ code: 'BAD_USER_INPUT', field: `lines[${index}].unitAmount` });
      }),
      { numRuns: 100 },
    );
  });
});
