import { GraphQLError } from 'graphql';
import { IntlMessageFormat } from 'intl-messageformat';
import { assertCurrency, assertMinorUnits, badUserInput, majorUnits } from '@ipay/platform';
import type { MessageKeySpec } from './keys.ts';
import { fallbackChain, type TemplateOwner } from './locales.ts';

/** ICU MessageFormat element types (as @formatjs/icu-messageformat-parser numbers them). */
const enum Element {
  Literal = 0,
  Argument = 1,
  Number = 2,
  Date = 3,
  Time = 4,
  Select = 5,
  Plural = 6,
  Pound = 7,
  Tag = 8,
}

interface AstElement {
  type: number;
  value?: unknown;
  style?: unknown;
  options?: Record<string, { value: AstElement[] }>;
  children?: AstElement[];
}

export const MAX_MESSAGE_LENGTH = 5000;

/** Texts are plain text (emails, SMS, app): `<` is literal, never a markup tag. */
const PARSE_OPTIONS = { ignoreTag: true } as const;

function parse(message: string, locale: string, field: string): IntlMessageFormat {
  try {
    return new IntlMessageFormat(message, locale, undefined, PARSE_OPTIONS);
  } catch (error) {
    throw badUserInput(field, `is not valid ICU MessageFormat: ${(error as Error).message}`);
  }
}

/** Every argument a message uses, with how it is used. */
function argumentsOf(elements: readonly AstElement[], found = new Map<string, { type: number; style: unknown }[]>()) {
  for (const element of elements) {
    if (typeof element.value === 'string' && element.type !== Element.Literal && element.type !== Element.Pound && element.type !== Element.Tag) {
      const uses = found.get(element.value) ?? [];
      uses.push({ type: element.type, style: element.style ?? null });
      found.set(element.value, uses);
    }
    for (const option of Object.values(element.options ?? {})) argumentsOf(option.value, found);
    if (element.children) argumentsOf(element.children, found);
  }
  return found;
}

/**
 * Checks a template before it is published: valid ICU MessageFormat, only the key's arguments, money written
 * `{amount, number, money}` (formatted from minor units in the order's currency), numbers used as numbers.
 */
export function validateTemplate(spec: MessageKeySpec, locale: string, message: string, field = 'input.message'): void {
  if (!message.trim()) throw badUserInput(field, 'must not be empty');
  if (message.length > MAX_MESSAGE_LENGTH) throw badUserInput(field, `must be at most ${MAX_MESSAGE_LENGTH} characters`);
  const format = parse(message, locale, field);
  for (const [name, uses] of argumentsOf(format.getAst() as AstElement[])) {
    const type = spec.arguments[name];
    if (!type)
      throw badUserInput(field, `uses {${name}}, which ${spec.key} does not have (it has: ${Object.keys(spec.arguments).join(', ') || 'no arguments'})`);
    for (const use of uses) {
      if (type === 'MONEY' && !(use.type === Element.Number && use.style === 'money'))
        throw badUserInput(field, `{${name}} is money: write it {${name}, number, money}`);
      if (type !== 'MONEY' && use.type === Element.Number && use.style === 'money') throw badUserInput(field, `{${name}} is not money`);
      if (type === 'STRING' && (use.type === Element.Number || use.type === Element.Plural)) throw badUserInput(field, `{${name}} is text, not a number`);
      if (use.type === Element.Date || use.type === Element.Time) throw badUserInput(field, `{${name}}: dates are not arguments of ${spec.key}`);
    }
  }
}

/** Decimal places of a currency's minor unit, as the platform money module defines them (majorUnits). */
export function currencyExponent(currency: string): number {
  const one = majorUnits(1, currency);
  return one === 1 ? 0 : Math.round(-Math.log10(one));
}

export type MessageValues = Record<string, unknown>;

/**
 * Turns the caller's values into what ICU formats: money from `{ amount, currency }` minor units into major
 * units (through the platform money module) with a `money` number style of that currency's ISO exponent.
 */
function prepareValues(spec: MessageKeySpec, values: MessageValues, field: string) {
  const prepared: Record<string, string | number> = {};
  let currency: string | null = null;
  for (const [name, type] of Object.entries(spec.arguments)) {
    const value = values[name];
    if (value === undefined || value === null) continue;
    if (type === 'MONEY') {
      const money = value as { amount?: unknown; currency?: unknown };
      if (typeof money !== 'object' || typeof money.amount !== 'number' || typeof money.currency !== 'string') {
        throw badUserInput(`${field}.${name}`, 'money is { amount: <integer minor units>, currency: <ISO 4217> }');
      }
      const amount = assertMinorUnits(money.amount, `${field}.${name}.amount`);
      const code = assertCurrency(money.currency, `${field}.${name}.currency`);
      if (currency && currency !== code) throw badUserInput(`${field}.${name}.currency`, `one message formats one currency (${currency} and ${code} given)`);
      currency = code;
      prepared[name] = majorUnits(amount, code);
    } else if (type === 'NUMBER') {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw badUserInput(`${field}.${name}`, 'must be a number');
      prepared[name] = value;
    } else {
      if (typeof value !== 'string' && typeof value !== 'number') throw badUserInput(`${field}.${name}`, 'must be text');
      prepared[name] = String(value);
    }
  }
  for (const name of Object.keys(values)) if (!(name in spec.arguments)) throw badUserInput(`${field}.${name}`, `${spec.key} has no argument ${name}`);
  return { prepared, currency };
}

/** Formats one template in its locale. A value the message needs but was not given is BAD_USER_INPUT, never a raw `{name}`. */
export function formatMessage(spec: MessageKeySpec, locale: string, message: string, values: MessageValues, field = 'values'): string {
  const { prepared, currency } = prepareValues(spec, values, field);
  const digits = currency ? currencyExponent(currency) : 2;
  const formats = currency
    ? { number: { money: { style: 'currency' as const, currency, minimumFractionDigits: digits, maximumFractionDigits: digits } } }
    : undefined;
  const needed = argumentsOf(parse(message, locale, 'message').getAst() as AstElement[]);
  for (const name of needed.keys()) if (!(name in prepared)) throw badUserInput(`${field}.${name}`, `${spec.key} needs a value for {${name}}`);
  if ([...needed.values()].flat().some((u) => u.style === 'money') && !currency) throw badUserInput(field, `${spec.key} needs a money value`);
  const output = new IntlMessageFormat(message, locale, formats, PARSE_OPTIONS).format(prepared);
  return Array.isArray(output) ? output.join('') : String(output);
}

export interface StoredTemplate {
  merchantId: string | null;
  locale: string;
  key: string;
  version: number;
  message: string;
}

export interface RenderedMessage {
  key: string;
  requestedLocale: string;
  /** The locale whose template was used (nl for an nl-BE request without nl-BE template). */
  locale: string;
  source: 'MERCHANT' | 'PLATFORM';
  version: number;
  text: string;
}

/** A key with no template anywhere on the fallback chain: a clear failure, never the key shown as text. */
export function templateMissing(key: string, locale: string): GraphQLError {
  return new GraphQLError(`no template for ${key} in ${locale} or any fallback locale`, { extensions: { code: 'MESSAGE_TEMPLATE_MISSING', key, locale } });
}

/**
 * Renders `key` for `locale`: the first template on the fallback chain (nl-BE → nl → en; merchant before platform
 * in each locale). `find` answers one lookup from templates loaded beforehand.
 */
export function renderMessage(
  spec: MessageKeySpec,
  locale: string,
  merchantId: string | null,
  values: MessageValues,
  find: (owner: TemplateOwner, locale: string, key: string) => StoredTemplate | undefined,
): RenderedMessage {
  for (const step of fallbackChain(locale, merchantId)) {
    const template = find(step.owner, step.locale, spec.key);
    if (!template) continue;
    return {
      key: spec.key,
      requestedLocale: locale,
      locale: step.locale,
      source: step.owner === 'platform' ? 'PLATFORM' : 'MERCHANT',
      version: template.version,
      text: formatMessage(spec, step.locale, template.message, values),
    };
  }
  throw templateMissing(spec.key, locale);
}

export interface MissingKeysReport {
  locale: string;
  /** Required keys without a template in exactly this locale (of the merchant, or of the platform). */
  missing: string[];
  /** Of those, the keys nothing on the fallback chain has either: rendering them fails. */
  unresolved: string[];
}

/** The required keys each locale lacks; `has` tells whether an owner has a template for a key in a locale. */
export function missingKeys(
  keys: readonly MessageKeySpec[],
  locales: readonly string[],
  merchantId: string | null,
  has: (owner: TemplateOwner, locale: string, key: string) => boolean,
): MissingKeysReport[] {
  return locales.map((locale) => {
    const own = (key: string) => has('platform', locale, key) || (!!merchantId && has({ merchantId }, locale, key));
    const missing = keys.filter((k) => !own(k.key)).map((k) => k.key);
    const unresolved = missing.filter((key) => !fallbackChain(locale, merchantId).some((step) => has(step.owner, step.locale, key)));
    return { locale, missing, unresolved };
  });
}
