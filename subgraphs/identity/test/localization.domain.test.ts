import { describe, expect, it } from 'vitest';
import {
  MESSAGE_KEYS,
  PLATFORM_DEFAULT_TEMPLATES,
  canonicalLocale,
  currencyExponent,
  fallbackChain,
  formatMessage,
  localeChain,
  messageKeySpec,
  missingKeys,
  negotiateLocale,
  renderMessage,
  validateTemplate,
  type StoredTemplate,
  type TemplateOwner,
} from '../src/domain/localization/index.ts';

const spec = (key: string) => messageKeySpec(key)!;
const ownerKey = (owner: TemplateOwner) => (owner === 'platform' ? 'platform' : owner.merchantId);

function store(templates: (Omit<StoredTemplate, 'version'> & { version?: number })[]) {
  const byKey = new Map(templates.map((t) => [`${t.merchantId ?? 'platform'}|${t.locale}|${t.key}`, { version: 1, ...t }]));
  return {
    find: (owner: TemplateOwner, locale: string, key: string) => byKey.get(`${ownerKey(owner)}|${locale}|${key}`),
    has: (owner: TemplateOwner, locale: string, key: string) => byKey.has(`${ownerKey(owner)}|${locale}|${key}`),
  };
}

describe('locales', () => {
  it('canonicalises language[-REGION] tags and refuses others', () => {
    expect(canonicalLocale('NL-be')).toBe('nl-BE');
    expect(canonicalLocale('fr')).toBe('fr');
    expect(canonicalLocale('zh-Hant-TW')).toBeNull();
    expect(canonicalLocale('not a locale')).toBeNull();
  });

  it('falls back nl-BE → nl → en, merchant before platform in each locale', () => {
    expect(localeChain('nl-BE')).toEqual(['nl-BE', 'nl', 'en']);
    expect(localeChain('en-GB')).toEqual(['en-GB', 'en']);
    expect(localeChain('en')).toEqual(['en']);
    expect(fallbackChain('nl-BE', 'mer_1').map((s) => `${ownerKey(s.owner)}:${s.locale}`)).toEqual([
      'mer_1:nl-BE',
      'platform:nl-BE',
      'mer_1:nl',
      'platform:nl',
      'mer_1:en',
      'platform:en',
    ]);
  });

  it('negotiates Accept-Language by q-value against the locales that have templates', () => {
    expect(negotiateLocale('de-CH;q=0.5, fr-BE;q=0.9, en;q=0.1', ['en', 'nl', 'de', 'fr'])).toBe('fr-BE');
    expect(negotiateLocale('ja, nl;q=0.2', ['en', 'nl'])).toBe('nl');
    expect(negotiateLocale('ja', ['en', 'nl'])).toBeNull();
    expect(negotiateLocale(undefined, ['en'])).toBeNull();
  });
});

describe('platform defaults', () => {
  it('cover every required key in en, nl, de and fr, and each one validates', () => {
    for (const locale of ['en', 'nl', 'de', 'fr']) {
      const texts = PLATFORM_DEFAULT_TEMPLATES[locale]!;
      expect(Object.keys(texts).sort()).toEqual(MESSAGE_KEYS.map((k) => k.key).sort());
      for (const [key, message] of Object.entries(texts)) expect(() => validateTemplate(spec(key), locale, message)).not.toThrow();
    }
  });
});

describe('rendering', () => {
  const templates = store([
    { merchantId: null, locale: 'en', key: 'consumer.payment.due', message: 'Pay {amount, number, money} to {merchant}' },
    { merchantId: null, locale: 'nl', key: 'consumer.payment.due', message: 'Betaal {amount, number, money} aan {merchant}' },
    { merchantId: 'mer_1', locale: 'nl-BE', key: 'support.contact', message: 'Vragen? Bel {merchant}.', version: 3 },
    { merchantId: null, locale: 'en', key: 'support.contact', message: 'Contact {merchant}.' },
  ]);

  it('uses nl for nl-BE when neither merchant nor platform has nl-BE', () => {
    const out = renderMessage(spec('consumer.payment.due'), 'nl-BE', 'mer_1', { amount: { amount: 7840, currency: 'EUR' }, merchant: 'Acme' }, templates.find);
    expect(out).toMatchObject({ requestedLocale: 'nl-BE', locale: 'nl', source: 'PLATFORM', version: 1 });
    expect(out.text).toBe('Betaal €\u00a078,40 aan Acme');
  });

  it("prefers the merchant's own template and falls back to the platform default for another merchant", () => {
    expect(renderMessage(spec('support.contact'), 'nl-BE', 'mer_1', { merchant: 'Acme' }, templates.find)).toMatchObject({
      locale: 'nl-BE',
      source: 'MERCHANT',
      version: 3,
      text: 'Vragen? Bel Acme.',
    });
    expect(renderMessage(spec('support.contact'), 'nl-BE', 'mer_2', { merchant: 'Nordic' }, templates.find)).toMatchObject({
      locale: 'en',
      source: 'PLATFORM',
      text: 'Contact Nordic.',
    });
  });

  it('fails with MESSAGE_TEMPLATE_MISSING, never the raw key, when nothing on the chain has it', () => {
    expect(() => renderMessage(spec('consumer.return.started'), 'de', 'mer_1', { reference: 'R1' }, templates.find)).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'MESSAGE_TEMPLATE_MISSING', key: 'consumer.return.started', locale: 'de' }) }),
    );
  });

  it('refuses a missing value instead of printing {name}', () => {
    expect(() => renderMessage(spec('support.contact'), 'en', null, {}, templates.find)).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'values.merchant' }) }),
    );
  });

  it('formats money from minor units in a zero-decimal and a three-decimal currency', () => {
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('KWD')).toBe(3);
    expect(currencyExponent('EUR')).toBe(2);
    const due = spec('consumer.payment.due');
    const msg = 'Pay {amount, number, money} to {merchant}';
    expect(formatMessage(due, 'en', msg, { amount: { amount: 1500, currency: 'JPY' }, merchant: 'Tokyo' })).toBe('Pay ¥1,500 to Tokyo');
    expect(formatMessage(due, 'en', msg, { amount: { amount: 1234567, currency: 'KWD' }, merchant: 'Kuwait' })).toBe('Pay KWD\u00a01,234.567 to Kuwait');
    expect(formatMessage(due, 'en', msg, { amount: { amount: 5, currency: 'BHD' }, merchant: 'Manama' })).toBe('Pay BHD\u00a00.005 to Manama');
    expect(formatMessage(due, 'de', msg, { amount: { amount: 7840, currency: 'EUR' }, merchant: 'X' })).toBe('Pay 78,40\u00a0€ to X');
  });

  it('refuses money that is not integer minor units of an ISO currency', () => {
    const due = spec('consumer.payment.due');
    const msg = '{amount, number, money}';
    expect(() => formatMessage(due, 'en', msg, { amount: { amount: 78.4, currency: 'EUR' }, merchant: 'X' })).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ field: 'values.amount.amount' }) }),
    );
    expect(() => formatMessage(due, 'en', msg, { amount: { amount: 1, currency: 'XXQ' }, merchant: 'X' })).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ field: 'values.amount.currency' }) }),
    );
  });

  it('pluralises per locale', () => {
    const parcels = spec('consumer.tracking.parcels');
    const msg = PLATFORM_DEFAULT_TEMPLATES.fr!['consumer.tracking.parcels']!;
    expect(formatMessage(parcels, 'fr', msg, { count: 0 })).toBe('Aucun scan pour l’instant');
    expect(formatMessage(parcels, 'fr', msg, { count: 1 })).toBe('1 scan');
    expect(formatMessage(parcels, 'fr', msg, { count: 3 })).toBe('3 scans');
    const days = PLATFORM_DEFAULT_TEMPLATES.de!['notification.pickup.ready.email.body']!;
    expect(formatMessage(spec('notification.pickup.ready.email.body'), 'de', days, { name: 'Eva', reference: 'R1', days: 1 })).toContain(
      'Sie wird 1 Tag aufbewahrt',
    );
    expect(formatMessage(spec('notification.pickup.ready.email.body'), 'de', days, { name: 'Eva', reference: 'R1', days: 7 })).toContain(
      'Sie wird 7 Tage aufbewahrt',
    );
  });
});

describe('validation', () => {
  const due = spec('consumer.payment.due');
  it('refuses broken ICU, unknown arguments and money not written as money', () => {
    expect(() => validateTemplate(due, 'en', 'Pay {amount, number, money')).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.message' }) }),
    );
    expect(() => validateTemplate(due, 'en', 'Pay {amount, number, money} to {shop}')).toThrow(/\{shop\}/);
    expect(() => validateTemplate(due, 'en', 'Pay {amount} to {merchant}')).toThrow(/write it \{amount, number, money\}/);
    expect(() => validateTemplate(due, 'en', '   ')).toThrow(/must not be empty/);
  });
});

describe('missing keys', () => {
  it('lists, per locale, the required keys it lacks and which of them nothing on the chain has', () => {
    const keys = [spec('consumer.payment.due'), spec('support.contact'), spec('consumer.return.started')];
    const templates = store([
      { merchantId: null, locale: 'en', key: 'consumer.payment.due', message: 'x' },
      { merchantId: null, locale: 'en', key: 'support.contact', message: 'x' },
      { merchantId: null, locale: 'nl', key: 'consumer.payment.due', message: 'x' },
      { merchantId: 'mer_1', locale: 'nl-BE', key: 'support.contact', message: 'x' },
    ]);
    expect(missingKeys(keys, ['en', 'nl', 'nl-BE'], 'mer_1', templates.has)).toEqual([
      { locale: 'en', missing: ['consumer.return.started'], unresolved: ['consumer.return.started'] },
      { locale: 'nl', missing: ['support.contact', 'consumer.return.started'], unresolved: ['consumer.return.started'] },
      { locale: 'nl-BE', missing: ['consumer.payment.due', 'consumer.return.started'], unresolved: ['consumer.return.started'] },
    ]);
  });
});
