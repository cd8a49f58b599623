import { createHash } from 'node:crypto';
import { z } from 'zod';
import { COUNTRIES_WITHOUT_POSTAL_CODES, MAX_MINOR_UNITS, badUserInput, canonicalJson, isIsoCountry, isIsoCurrency } from '@ipay/platform';

/** An order as a merchant submits it (GraphQL input, an import row, before validation). */
export interface OrderInput {
  merchantReference: string;
  currency: string;
  customer: { name: string; email: string; phone?: string | null };
  shippingAddress: { name: string; line1: string; line2?: string | null; city: string; postalCode: string; region?: string | null; country: string };
  lines: { sku: string; name: string; quantity: number; unitAmount: number }[];
  shippingAmount?: number | null;
  discountAmount?: number | null;
  totalAmount: number;
}

export interface OrderLine {
  sku: string;
  name: string;
  quantity: number;
  /** Minor units of the order currency. */
  unitAmount: number;
}

export interface ShippingAddress {
  name: string;
  line1: string;
  line2: string | null;
  city: string;
  postalCode: string;
  region: string | null;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

/** A validated, normalised order, ready to insert. */
export interface ValidOrder {
  merchantReference: string;
  currency: string;
  customerName: string;
  customerEmail: string;
  customerPhone: string | null;
  shippingAddress: ShippingAddress;
  lines: OrderLine[];
  subtotalAmount: number;
  shippingAmount: number;
  discountAmount: number;
  totalAmount: number;
}

export const MAX_LINES = 500;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9 ()./-]{6,20}$/;
const REFERENCE = /^[\p{L}\p{N}#._\-/ ]{1,64}$/u;

/** Country formats we check strictly; others get the generic shape check. */
const POSTCODES: Record<string, RegExp> = {
  NL: /^[1-9][0-9]{3} ?[A-Z]{2}$/,
  BE: /^[1-9][0-9]{3}$/,
  DE: /^[0-9]{5}$/,
  FR: /^[0-9]{5}$/,
  IT: /^[0-9]{5}$/,
  ES: /^[0-9]{5}$/,
  SE: /^[1-9][0-9]{2} ?[0-9]{2}$/,
  DK: /^[0-9]{4}$/,
  AT: /^[0-9]{4}$/,
  PL: /^[0-9]{2}-[0-9]{3}$/,
  PT: /^[0-9]{4}-[0-9]{3}$/,
  LU: /^(L-)?[0-9]{4}$/,
  GB: /^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$/,
  US: /^[0-9]{5}(-[0-9]{4})?$/,
  SG: /^[0-9]{6}$/,
};

// The schema reports the same first offending field, in the same order, as the GraphQL and REST callers have always seen:
// fields are checked in shape order, and checks that need a neighbour (the postcode its country, the running subtotal
// the lines before) get it injected beside the field, so their issue stands where the field stands.

/** Blank text counts as absent. */
const blankToUndefined = (value: unknown) => (value === null || (typeof value === 'string' && value.trim() === '') ? undefined : value);

/** Trimmed text of at most `max` characters; absent or blank is "required". */
const requiredText = (max = 200) =>
  z.preprocess(
    blankToUndefined,
    z
      .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
      .trim()
      .max(max, `must be at most ${max} characters`),
  );

/** Trimmed text of at most `max` characters, or null when absent or blank. */
const optionalText = (max = 200) =>
  z
    .preprocess(blankToUndefined, z.string({ error: 'must be a string' }).trim().max(max, `must be at most ${max} characters`).optional())
    .transform((value) => value ?? null);

/** An integer amount in minor units within the platform's bound; `positive` refuses 0. */
const minorUnits = ({ positive = false } = {}) =>
  z
    .number({ error: 'must be an integer amount in minor units' })
    .int({ error: 'must be an integer amount in minor units', abort: true })
    .min(positive ? 1 : 0, positive ? 'must be greater than 0' : 'must not be negative')
    .max(MAX_MINOR_UNITS, `must not exceed ${MAX_MINOR_UNITS} minor units`);

const optionalMinorUnits = z.preprocess((value) => value ?? 0, minorUnits());

const currencyCode = requiredText(3)
  .transform((code) => code.toUpperCase())
  .refine(isIsoCurrency, { error: (issue) => `"${String(issue.input)}" is not an ISO 4217 currency code` });

const countryCode = requiredText(2)
  .transform((code) => code.toUpperCase())
  .refine(isIsoCountry, { error: (issue) => `"${String(issue.input)}" is not an ISO 3166-1 alpha-2 country code` });

/** Why `postalCode` (trimmed, may be null) is not one of `country`'s, or null when it is; returns the normalised code. */
export function checkPostcode(postalCode: string | null, country: string): { code: string } | { problem: string } {
  const code = (postalCode ?? '').toUpperCase().replace(/\s+/g, ' ');
  if (!code) return COUNTRIES_WITHOUT_POSTAL_CODES.has(country) ? { code: '' } : { problem: `is required for ${country}` };
  const format = POSTCODES[country];
  if (format ? !format.test(code) : !/^[A-Z0-9][A-Z0-9 -]{1,9}$/.test(code)) return { problem: `"${postalCode}" is not a valid ${country} postal code` };
  return { code };
}

const postalCodeText = optionalText(16);

/** The postal code with its address's country beside it (injected by the address schema). */
const postalCodeOfCountry = z.object({ postalCode: z.unknown(), country: z.unknown() }).transform(({ postalCode, country }, ctx) => {
  const text = postalCodeText.safeParse(postalCode);
  if (!text.success) {
    ctx.addIssue({ code: 'custom', message: text.error.issues[0]!.message });
    return z.NEVER;
  }
  // The country field has been checked just before; an invalid one has already been reported.
  const checked = checkPostcode(text.data, typeof country === 'string' ? country.trim().toUpperCase() : '');
  if ('problem' in checked) {
    ctx.addIssue({ code: 'custom', message: checked.problem });
    return z.NEVER;
  }
  return checked.code;
});

const asObject = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

const customerSchema = z.preprocess(
  asObject,
  z.object({
    name: requiredText(),
    // The e-mail is checked case-insensitively and the message quotes it as sent.
    email: z.preprocess(
      blankToUndefined,
      z
        .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
        .refine((email) => email.trim().length <= 254, 'must be at most 254 characters')
        .refine((email) => EMAIL.test(email.trim().toLowerCase()), { error: (issue) => `"${String(issue.input)}" is not an e-mail address` })
        .transform((email) => email.trim().toLowerCase()),
    ),
    phone: optionalText(32).refine((phone) => phone === null || PHONE.test(phone), { error: (issue) => `"${String(issue.input)}" is not a phone number` }),
  }),
);

const shippingAddressSchema = z.preprocess(
  (value) => {
    const address = asObject(value);
    return { ...address, postalCode: { postalCode: address.postalCode, country: address.country } };
  },
  z.object({
    country: countryCode,
    name: requiredText(),
    line1: requiredText(),
    line2: optionalText(),
    city: requiredText(100),
    postalCode: postalCodeOfCountry,
    region: optionalText(100),
  }),
);

const quantity = z
  .number({ error: 'must be a positive integer' })
  .int({ error: 'must be a positive integer', abort: true })
  .min(1, 'must be a positive integer');

/** Marks an issue as the whole field's (e.g. the lines' sum), whatever path it was found at. */
const LINES_FIELD = { field: 'lines' };

const lineSchema = z.object({
  quantity,
  unitAmount: minorUnits(),
  // The subtotal up to and including this line (injected by the lines schema); checked after this line's amounts.
  runningSubtotal: z.number().refine((sum) => !(sum > MAX_MINOR_UNITS), { message: `add up to more than ${MAX_MINOR_UNITS} minor units`, params: LINES_FIELD }),
  sku: requiredText(64),
  name: requiredText(),
});

const linesSchema = z
  .array(z.unknown(), { error: 'must hold at least one line item' })
  .min(1, 'must hold at least one line item')
  .max(MAX_LINES, `must hold at most ${MAX_LINES} line items`)
  .transform((lines) => {
    let sum = 0;
    return lines.map((raw) => {
      const line = asObject(raw);
      sum += typeof line.quantity === 'number' && typeof line.unitAmount === 'number' ? line.unitAmount * line.quantity : Number.NaN;
      return { ...line, runningSubtotal: sum };
    });
  })
  .pipe(z.array(lineSchema));

/** An order as GraphQL and REST (the same persisted operations) and imports submit it, validated and normalised. */
export const orderInputSchema = z
  .object({
    merchantReference: requiredText(64).refine((reference) => REFERENCE.test(reference), 'may hold letters, digits, spaces and # . _ - / only'),
    currency: currencyCode,
    customer: customerSchema,
    shippingAddress: shippingAddressSchema,
    lines: linesSchema,
    shippingAmount: optionalMinorUnits,
    discountAmount: optionalMinorUnits,
    // Pay on arrival collects the total at the door: an order of 0 has nothing to collect.
    totalAmount: minorUnits({ positive: true }),
  })
  .transform((order, ctx): ValidOrder => {
    const lines = order.lines.map(({ sku, name, quantity, unitAmount }) => ({ sku, name, quantity, unitAmount }));
    const subtotalAmount = lines.reduce((sum, line) => sum + line.unitAmount * line.quantity, 0);
    const { shippingAmount, discountAmount, totalAmount, currency } = order;
    const expected = subtotalAmount + shippingAmount - discountAmount;
    if (expected < 0) ctx.addIssue({ code: 'custom', path: ['discountAmount'], message: 'must not exceed the lines plus shipping' });
    else if (totalAmount !== expected) {
      ctx.addIssue({
        code: 'custom',
        path: ['totalAmount'],
        message: `${totalAmount} does not equal lines ${subtotalAmount} + shipping ${shippingAmount} − discount ${discountAmount} = ${expected} (minor units of ${currency})`,
      });
    }
    const { country, name, line1, line2, city, postalCode, region } = order.shippingAddress;
    return {
      merchantReference: order.merchantReference,
      currency,
      customerName: order.customer.name,
      customerEmail: order.customer.email,
      customerPhone: order.customer.phone ?? null,
      shippingAddress: { name, line1, line2: line2 ?? null, city, postalCode, region: region ?? null, country },
      lines,
      subtotalAmount,
      shippingAmount,
      discountAmount,
      totalAmount,
    };
  });

/** The field an issue names, as GraphQL clients know it: `lines[0].quantity`, `shippingAddress.postalCode`. */
function fieldOf(issue: z.core.$ZodIssue): string {
  const params = (issue as { params?: { field?: string } }).params;
  if (params?.field) return params.field;
  return issue.path.reduce<string>((field, key) => (typeof key === 'number' ? `${field}[${key}]` : field ? `${field}.${String(key)}` : String(key)), '');
}

/** Validates and normalises an order; throws BAD_USER_INPUT naming the first offending field. */
export function validateOrderInput(input: OrderInput): ValidOrder {
  const parsed = orderInputSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0]!;
  throw badUserInput(fieldOf(first), first.message);
}

/** Fingerprint of a request body for idempotency: canonical JSON (sorted keys) of the validated order. */
export function requestFingerprint(merchantId: string, order: ValidOrder): string {
  return createHash('sha256')
    .update(canonicalJson({ merchantId, ...order }))
    .digest('hex');
}
