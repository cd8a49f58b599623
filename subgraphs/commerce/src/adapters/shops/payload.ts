import { MAX_MINOR_UNITS } from '@ipay/platform';
import type { MappedOrder, PlatformCode } from './connector.ts';
import { ConnectorPayloadError } from './errors.ts';
import { currencyExponent, MoneyFormatError, toMinorUnits, type ParseOptions } from './money.ts';
import { isCountryCode, postalCodeOptional, TimestampFormatError } from './values.ts';

/**
 * Path-aware reading of platform JSON: every failure names the exact field (`$.line_items[2].price`), which is what
 * an on-call engineer needs when a platform changes a payload.
 */
export class Reader {
  constructor(
    readonly platform: string,
    readonly value: unknown,
    readonly path = '$',
  ) {}

  fail(key: string | undefined, message: string): never {
    throw new ConnectorPayloadError(this.platform, key === undefined ? this.path : this.child(key), message);
  }

  private child(key: string | number): string {
    return typeof key === 'number' ? `${this.path}[${key}]` : `${this.path}.${key}`;
  }

  private field(key: string): unknown {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) this.fail(undefined, 'expected an object');
    return (this.value as Record<string, unknown>)[key];
  }

  raw(key: string): unknown {
    return this.field(key);
  }

  has(key: string): boolean {
    const v = this.field(key);
    return v !== undefined && v !== null && v !== '';
  }

  obj(key: string): Reader {
    const v = this.field(key);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(key, 'expected an object');
    return new Reader(this.platform, v, this.child(key));
  }

  optObj(key: string): Reader | undefined {
    const v = this.field(key);
    // PHP platforms serialise an empty object as [].
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return undefined;
    return this.obj(key);
  }

  arr(key: string): Reader[] {
    const v = this.field(key);
    if (!Array.isArray(v)) this.fail(key, 'expected an array');
    return v.map((item, i) => new Reader(this.platform, item, `${this.child(key)}[${i}]`));
  }

  optArr(key: string): Reader[] {
    const v = this.field(key);
    return v === undefined || v === null ? [] : this.arr(key);
  }

  /** The value itself as an array. */
  items(): Reader[] {
    if (!Array.isArray(this.value)) this.fail(undefined, 'expected an array');
    return this.value.map((item, i) => new Reader(this.platform, item, this.child(i)));
  }

  str(key: string): string {
    const v = this.optStr(key);
    if (v === undefined) this.fail(key, 'expected a non-empty string');
    return v;
  }

  optStr(key: string): string | undefined {
    const v = this.field(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v !== 'string') this.fail(key, 'expected a string');
    const trimmed = v.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  /** Ids arrive as strings or as integers depending on the platform; both become strings. */
  id(key: string): string {
    const v = this.field(key);
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) this.fail(key, 'numeric id is not a safe integer');
      return String(v);
    }
    return this.str(key);
  }

  int(key: string): number {
    const v = this.field(key);
    const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v;
    // Odoo and Magento send quantities as floats (2.0); an integral float is an integer, anything else is refused.
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) this.fail(key, `expected an integer, got ${JSON.stringify(v)}`);
    return n;
  }

  positiveInt(key: string): number {
    const n = this.int(key);
    if (n <= 0) this.fail(key, `expected a positive integer, got ${n}`);
    return n;
  }

  bool(key: string): boolean {
    const v = this.field(key);
    if (typeof v !== 'boolean') this.fail(key, 'expected a boolean');
    return v;
  }

  optBool(key: string): boolean | undefined {
    const v = this.field(key);
    return v === undefined || v === null ? undefined : this.bool(key);
  }

  money(key: string, currency: string, options: ParseOptions = {}): number {
    const v = this.field(key);
    if (typeof v !== 'string' && typeof v !== 'number') this.fail(key, 'expected a decimal amount');
    try {
      return toMinorUnits(v, currency, options);
    } catch (error) {
      if (error instanceof MoneyFormatError) this.fail(key, error.message);
      throw error;
    }
  }

  /** Missing or null counts as zero (platforms omit empty components). */
  optMoney(key: string, currency: string, options: ParseOptions = {}): number {
    const v = this.field(key);
    return v === undefined || v === null || v === '' ? 0 : this.money(key, currency, options);
  }

  date(key: string, parse: (value: string) => Date): Date {
    return this.convert(key, () => parse(this.str(key)));
  }

  unixDate(key: string, parse: (value: number) => Date): Date {
    return this.convert(key, () => parse(this.int(key)));
  }

  /** Runs a value conversion and reports its failure against this field. */
  convert<T>(key: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (error instanceof MoneyFormatError || error instanceof TimestampFormatError) this.fail(key, error.message);
      throw error;
    }
  }
}

export function reader(platform: string, payload: unknown): Reader {
  return new Reader(platform, payload);
}

export type OrderDraft = Omit<MappedOrder, 'platform' | 'amounts'> & {
  amounts: { shipping: number; discount: number; tax: number; fees?: number; taxIncluded: boolean };
};

/**
 * Final validation shared by every connector: currency, positive quantities, non-negative amounts, country code,
 * and the reconciliation of components against the platform total (see MappedOrder.amounts).
 */
export function finishOrder(platform: PlatformCode, draft: OrderDraft): MappedOrder {
  const fail = (path: string, message: string): never => {
    throw new ConnectorPayloadError(platform, `mapped.${path}`, message);
  };
  try {
    currencyExponent(draft.currency);
  } catch (error) {
    fail('currency', (error as Error).message);
  }
  const checkAmount = (value: number, path: string) => {
    if (!Number.isSafeInteger(value) || value < 0) fail(path, `must be a non-negative integer of minor units, got ${value}`);
    if (value > MAX_MINOR_UNITS) fail(path, `exceeds ${MAX_MINOR_UNITS} minor units`);
  };
  checkAmount(draft.totalAmount, 'totalAmount');
  if (draft.lines.length === 0) fail('lines', 'an order needs at least one line');
  let items = 0;
  draft.lines.forEach((line, i) => {
    if (!line.sku) fail(`lines[${i}].sku`, 'is empty');
    if (!line.name) fail(`lines[${i}].name`, 'is empty');
    if (!Number.isSafeInteger(line.quantity) || line.quantity <= 0) fail(`lines[${i}].quantity`, `must be a positive integer, got ${line.quantity}`);
    checkAmount(line.unitAmount, `lines[${i}].unitAmount`);
    items += line.unitAmount * line.quantity;
  });
  const { shipping, discount, tax, taxIncluded } = draft.amounts;
  const fees = draft.amounts.fees ?? 0;
  checkAmount(shipping, 'amounts.shipping');
  checkAmount(discount, 'amounts.discount');
  checkAmount(tax, 'amounts.tax');
  if (!Number.isSafeInteger(fees)) fail('amounts.fees', 'must be an integer');
  const expected = items + shipping + fees - discount + (taxIncluded ? 0 : tax);

  const address = draft.shippingAddress;
  const country = address.country.toUpperCase();
  if (!isCountryCode(country)) fail('shippingAddress.country', `"${address.country}" is not an ISO 3166-1 alpha-2 code`);
  if (!address.name) fail('shippingAddress.name', 'is empty');
  if (!address.line1) fail('shippingAddress.line1', 'is empty');
  if (!address.city) fail('shippingAddress.city', 'is empty');
  if (!address.postalCode && !postalCodeOptional(country)) fail('shippingAddress.postalCode', `is empty, but ${country} uses postal codes`);
  if (!draft.customer.name) fail('customer.name', 'is empty');
  if (draft.customer.email !== null && !/^[^\s@]+@[^\s@]+$/.test(draft.customer.email))
    fail('customer.email', `"${draft.customer.email}" is not an e-mail address`);
  if (!draft.externalId) fail('externalId', 'is empty');
  if (!draft.merchantReference) fail('merchantReference', 'is empty');

  return {
    platform,
    ...draft,
    shippingAddress: { ...dropEmpty(address), postalCode: address.postalCode, country },
    customer: dropEmpty(draft.customer),
    amounts: { items, shipping, discount, tax, fees, taxIncluded, difference: draft.totalAmount - expected },
  };
}

function dropEmpty<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as T;
}

/** Joins name parts, skipping blanks. */
export function fullName(...parts: (string | undefined | null)[]): string {
  return parts
    .filter((p): p is string => !!p && p.trim() !== '')
    .map((p) => p.trim())
    .join(' ');
}
