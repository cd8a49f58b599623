import { createHash } from 'node:crypto';
import { MAX_MINOR_UNITS, assertCountry, assertCurrency, badUserInput } from '@ipay/platform';
import type { OrderLine, ShippingAddress } from '../db/schema.ts';

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
/** Countries that do not use postal codes: an empty postcode is valid there (and only there). */
const NO_POSTCODE = new Set(['AE', 'AG', 'AO', 'BF', 'BI', 'BJ', 'BS', 'BW', 'BZ', 'CD', 'CF', 'CG', 'CI', 'CK', 'CM', 'DJ', 'DM', 'ER', 'FJ', 'GA', 'GD', 'GH', 'GM', 'GQ', 'GY', 'HK', 'KI', 'KM', 'KN', 'KP', 'LY', 'ML', 'MO', 'MR', 'MW', 'NR', 'NU', 'QA', 'RW', 'SB', 'SC', 'SL', 'SR', 'ST', 'SY', 'TD', 'TF', 'TG', 'TK', 'TL', 'TO', 'TV', 'UG', 'VU', 'YE', 'ZW']);

function text(value: unknown, field: string, { max = 200, required = true } = {}): string | null {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    if (required) throw badUserInput(field, 'is required');
    return null;
  }
  if (typeof value !== 'string') throw badUserInput(field, 'must be a string');
  const trimmed = value.trim();
  if (trimmed.length > max) throw badUserInput(field, `must be at most ${max} characters`);
  return trimmed;
}

function minor(value: unknown, field: string, { positive = false } = {}): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw badUserInput(field, 'must be an integer amount in minor units');
  if (value < 0 || (positive && value === 0)) throw badUserInput(field, positive ? 'must be greater than 0' : 'must not be negative');
  if (value > MAX_MINOR_UNITS) throw badUserInput(field, `must not exceed ${MAX_MINOR_UNITS} minor units`);
  return value;
}

export function validatePostcode(postalCode: string | null, country: string, field: string): string {
  const code = (postalCode ?? '').toUpperCase().replace(/\s+/g, ' ');
  if (!code) {
    if (NO_POSTCODE.has(country)) return '';
    throw badUserInput(field, `is required for ${country}`);
  }
  const format = POSTCODES[country];
  if (format ? !format.test(code) : !/^[A-Z0-9][A-Z0-9 -]{1,9}$/.test(code)) throw badUserInput(field, `"${postalCode}" is not a valid ${country} postal code`);
  return code;
}

/** Validates and normalises an order; throws BAD_USER_INPUT naming the first offending field. */
export function validateOrderInput(input: OrderInput): ValidOrder {
  const merchantReference = text(input.merchantReference, 'merchantReference', { max: 64 })!;
  if (!REFERENCE.test(merchantReference)) throw badUserInput('merchantReference', 'may hold letters, digits, spaces and # . _ - / only');
  const currency = assertCurrency(text(input.currency, 'currency', { max: 3 })!.toUpperCase(), 'currency');

  const customer = input.customer ?? ({} as OrderInput['customer']);
  const customerName = text(customer.name, 'customer.name')!;
  const customerEmail = text(customer.email, 'customer.email', { max: 254 })!.toLowerCase();
  if (!EMAIL.test(customerEmail)) throw badUserInput('customer.email', `"${customer.email}" is not an e-mail address`);
  const customerPhone = text(customer.phone, 'customer.phone', { max: 32, required: false });
  if (customerPhone && !PHONE.test(customerPhone)) throw badUserInput('customer.phone', `"${customerPhone}" is not a phone number`);

  const address = input.shippingAddress ?? ({} as OrderInput['shippingAddress']);
  const country = assertCountry(text(address.country, 'shippingAddress.country', { max: 2 })!.toUpperCase(), 'shippingAddress.country');
  const shippingAddress: ShippingAddress = {
    name: text(address.name, 'shippingAddress.name')!,
    line1: text(address.line1, 'shippingAddress.line1')!,
    line2: text(address.line2, 'shippingAddress.line2', { required: false }),
    city: text(address.city, 'shippingAddress.city', { max: 100 })!,
    postalCode: validatePostcode(text(address.postalCode, 'shippingAddress.postalCode', { max: 16, required: false }), country, 'shippingAddress.postalCode'),
    region: text(address.region, 'shippingAddress.region', { max: 100, required: false }),
    country,
  };

  if (!Array.isArray(input.lines) || input.lines.length === 0) throw badUserInput('lines', 'must hold at least one line item');
  if (input.lines.length > MAX_LINES) throw badUserInput('lines', `must hold at most ${MAX_LINES} line items`);
  let subtotalAmount = 0;
  const lines: OrderLine[] = input.lines.map((line, i) => {
    const quantity = line.quantity;
    if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity < 1) throw badUserInput(`lines[${i}].quantity`, 'must be a positive integer');
    const unitAmount = minor(line.unitAmount, `lines[${i}].unitAmount`);
    subtotalAmount += unitAmount * quantity;
    if (subtotalAmount > MAX_MINOR_UNITS) throw badUserInput('lines', `add up to more than ${MAX_MINOR_UNITS} minor units`);
    return { sku: text(line.sku, `lines[${i}].sku`, { max: 64 })!, name: text(line.name, `lines[${i}].name`)!, quantity, unitAmount };
  });
  const shippingAmount = minor(input.shippingAmount ?? 0, 'shippingAmount');
  const discountAmount = minor(input.discountAmount ?? 0, 'discountAmount');
  // Pay on arrival collects the total at the door: an order of 0 has nothing to collect.
  const totalAmount = minor(input.totalAmount, 'totalAmount', { positive: true });
  const expected = subtotalAmount + shippingAmount - discountAmount;
  if (expected < 0) throw badUserInput('discountAmount', 'must not exceed the lines plus shipping');
  if (totalAmount !== expected) {
    throw badUserInput('totalAmount', `${totalAmount} does not equal lines ${subtotalAmount} + shipping ${shippingAmount} − discount ${discountAmount} = ${expected} (minor units of ${currency})`);
  }
  return { merchantReference, currency, customerName, customerEmail, customerPhone, shippingAddress, lines, subtotalAmount, shippingAmount, discountAmount, totalAmount };
}

/** Fingerprint of a request body for idempotency: canonical JSON (sorted keys) of the validated order. */
export function requestFingerprint(merchantId: string, order: ValidOrder): string {
  return createHash('sha256').update(canonicalJson({ merchantId, ...order })).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
