import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS } from '@ipay/platform';
import { MESSAGE_KEYS } from '@ipay/identity/src/domain/localization/index.ts';
import { SANDBOX_KEYS, bearer, startTestSystem, type TestSystem } from '../support.ts';

const [acme, nordic] = SANDBOX_MERCHANTS as [(typeof SANDBOX_MERCHANTS)[number], (typeof SANDBOX_MERCHANTS)[number]];
const AS_ACME = bearer(SANDBOX_KEYS['acme-owner']!);
const AS_ACME_READ_ONLY = bearer(SANDBOX_KEYS['acme-read-only']!);
const AS_NORDIC = bearer(SANDBOX_KEYS['nordic-owner']!);
const codeOf = (body: { errors?: { extensions?: Record<string, unknown> }[] }) => body.errors?.[0]?.extensions?.code;

const PUBLISH = `mutation($input: PublishMessageTemplateInput!) {
  publishMessageTemplate(input: $input) { id merchantId livemode locale key category latestVersion message versions { version message publishedBy } }
}`;
const RENDER = `query($m: ID, $l: String!, $k: String!, $v: JSON) { renderMessage(merchantId: $m, locale: $l, key: $k, values: $v) { key requestedLocale locale source version text } }`;
const MISSING = `query($m: ID, $l: [String!]) { missingMessageKeys(merchantId: $m, locales: $l) { locale missing unresolved } }`;

describe('localization through the gateway', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ seed: true });
  });
  afterAll(() => system?.stop());

  it('seeds platform defaults for every required key in en, nl, de and fr', async () => {
    const { body } = await system.query(MISSING, { l: ['en', 'nl', 'de', 'fr'] }, AS_ACME);
    expect(body.errors).toBeUndefined();
    expect(body.data.missingMessageKeys).toEqual(['en', 'nl', 'de', 'fr'].map((locale) => ({ locale, missing: [], unresolved: [] })));
    const keys = await system.query(`{ messageKeys { key category arguments { name type } } }`, {}, AS_ACME);
    expect(keys.body.data.messageKeys.map((k: { key: string }) => k.key)).toEqual(MESSAGE_KEYS.map((k) => k.key));
  });

  it('reports keys a locale lacks; a market locale is complete through its language', async () => {
    const { body } = await system.query(MISSING, { l: ['nl-BE', 'es'] }, AS_ACME);
    const all = MESSAGE_KEYS.map((k) => k.key);
    // Nothing is written for nl-BE or es: every key is missing there, yet each renders through nl or en.
    expect(body.data.missingMessageKeys).toEqual([
      { locale: 'nl-BE', missing: all, unresolved: [] },
      { locale: 'es', missing: all, unresolved: [] },
    ]);
  });

  it('publishes merchant versions, keeps the history and renders down the fallback chain', async () => {
    const first = await system.query(
      PUBLISH,
      { input: { merchantId: acme.id, locale: 'nl-BE', key: 'consumer.payment.due', message: 'Te betalen aan {merchant}: {amount, number, money}' } },
      AS_ACME,
    );
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data.publishMessageTemplate).toMatchObject({
      merchantId: acme.id,
      livemode: false,
      locale: 'nl-BE',
      category: 'PAYMENT',
      latestVersion: 1,
    });
    const second = await system.query(
      PUBLISH,
      { input: { merchantId: acme.id, locale: 'nl-be', key: 'consumer.payment.due', message: 'Nog te betalen aan {merchant}: {amount, number, money}' } },
      AS_ACME,
    );
    const template = second.body.data.publishMessageTemplate;
    expect(template.latestVersion).toBe(2);
    expect(template.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(template.message).toBe('Nog te betalen aan {merchant}: {amount, number, money}');

    const old = await system.query(
      `query($m: ID, $v: Int) { messageTemplate(merchantId: $m, locale: "nl-BE", key: "consumer.payment.due") { version(version: $v) { version message } } }`,
      { m: acme.id, v: 1 },
      AS_ACME,
    );
    expect(old.body.data.messageTemplate.version).toEqual({ version: 1, message: 'Te betalen aan {merchant}: {amount, number, money}' });
    const gone = await system.query(
      `query($m: ID) { messageTemplate(merchantId: $m, locale: "nl-BE", key: "consumer.payment.due") { version(version: 9) { version } } }`,
      { m: acme.id },
      AS_ACME,
    );
    expect(codeOf(gone.body)).toBe('NOT_FOUND');

    const amount = { amount: 7840, currency: 'EUR' };
    const own = await system.query(RENDER, { m: acme.id, l: 'nl-BE', k: 'consumer.payment.due', v: { amount, merchant: 'Acme' } }, AS_ACME);
    expect(own.body.data.renderMessage).toEqual({
      key: 'consumer.payment.due',
      requestedLocale: 'nl-BE',
      locale: 'nl-BE',
      source: 'MERCHANT',
      version: 2,
      text: 'Nog te betalen aan Acme: €\u00a078,40',
    });
    // Another merchant has no nl-BE template: nl-BE → nl, platform default.
    const other = await system.query(RENDER, { m: nordic.id, l: 'nl-BE', k: 'consumer.payment.due', v: { amount, merchant: 'Nordic' } }, AS_NORDIC);
    expect(other.body.data.renderMessage).toMatchObject({ locale: 'nl', source: 'PLATFORM', version: 1, text: 'Betaal €\u00a078,40 aan Nordic' });
    // A language without templates: down to en.
    const spanish = await system.query(
      RENDER,
      { l: 'es-ES', k: 'consumer.payment.due', v: { amount: { amount: 1500, currency: 'JPY' }, merchant: 'Acme' } },
      AS_ACME,
    );
    expect(spanish.body.data.renderMessage).toMatchObject({ locale: 'en', source: 'PLATFORM', text: 'Pay ¥1,500 to Acme' });
  });

  it('audits each publication', async () => {
    const { body } = await system.query(
      `{ auditTrail { identity { records(filter: { action: "message_template.publish" }, first: 10) { edges { node { action entityType after } } } } } }`,
    );
    expect(body.errors).toBeUndefined();
    const records = body.data.auditTrail.identity.records.edges.map((e: { node: { after: { version: number; key: string } } }) => e.node);
    expect(
      records
        .filter((r: { after: { key: string } }) => r.after.key === 'consumer.payment.due')
        .map((r: { after: { version: number } }) => r.after.version)
        .sort(),
    ).toEqual([1, 2]);
  });

  it('refuses invalid templates with the field, and unknown keys and locales', async () => {
    const broken = await system.query(
      PUBLISH,
      { input: { merchantId: acme.id, locale: 'en', key: 'consumer.payment.due', message: 'Pay {amount} now' } },
      AS_ACME,
    );
    expect(broken.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.message' });
    const unknownKey = await system.query(PUBLISH, { input: { merchantId: acme.id, locale: 'en', key: 'no.such.key', message: 'x' } }, AS_ACME);
    expect(unknownKey.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.key' });
    const badLocale = await system.query(PUBLISH, { input: { merchantId: acme.id, locale: 'klingon!', key: 'support.contact', message: 'x' } }, AS_ACME);
    expect(badLocale.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.locale' });
    const missingValue = await system.query(RENDER, { l: 'en', k: 'support.contact', v: {} }, AS_ACME);
    expect(missingValue.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'values.merchant' });
  });

  it('serves the same over REST', async () => {
    const rest = (path: string, init: RequestInit = {}) =>
      fetch(new URL(path, system.gatewayUrl), { ...init, headers: { ...AS_ACME, 'content-type': 'application/json', ...(init.headers ?? {}) } });
    const keys = await rest('/v1/message-keys');
    expect(keys.status).toBe(200);
    expect(((await keys.json()) as unknown[]).length).toBe(MESSAGE_KEYS.length);
    const rendered = await rest('/v1/messages/render', {
      method: 'POST',
      body: JSON.stringify({
        merchantId: acme.id,
        locale: 'nl-BE',
        key: 'consumer.payment.due',
        values: { amount: { amount: 1234567, currency: 'KWD' }, merchant: 'Acme' },
      }),
    });
    expect(rendered.status).toBe(200);
    expect(await rendered.json()).toMatchObject({ locale: 'nl-BE', source: 'MERCHANT', text: 'Nog te betalen aan Acme: KWD\u00a01.234,567' });
    const missing = await rest('/v1/missing-message-keys?locales=de&locales=fr');
    expect(await missing.json()).toEqual([
      { locale: 'de', missing: [], unresolved: [] },
      { locale: 'fr', missing: [], unresolved: [] },
    ]);
    const template = await rest(`/v1/message-templates/nl-BE/consumer.payment.due?merchantId=${acme.id}&version=1`);
    expect(await template.json()).toMatchObject({ latestVersion: 2, version: { version: 1 }, versions: [{ version: 2 }, { version: 1 }] });
    const invalid = await rest('/v1/message-templates', {
      method: 'POST',
      body: JSON.stringify({ merchantId: acme.id, locale: 'en', key: 'consumer.payment.due', message: '{amount' }),
    });
    expect(invalid.status).toBe(422);
    const foreign = await fetch(new URL(`/v1/message-templates?merchantId=${acme.id}`, system.gatewayUrl), { headers: AS_NORDIC });
    expect(foreign.status).toBe(404);
  });

  it('keeps merchants apart and platform defaults to operators', async () => {
    const foreign = await system.query(
      PUBLISH,
      { input: { merchantId: acme.id, locale: 'en', key: 'support.contact', message: 'Call {merchant}' } },
      AS_NORDIC,
    );
    expect(codeOf(foreign.body)).toBe('NOT_FOUND');
    const peek = await system.query(`query($m: ID) { messageTemplates(merchantId: $m) { id } }`, { m: acme.id }, AS_NORDIC);
    expect(codeOf(peek.body)).toBe('NOT_FOUND');
    const platform = await system.query(PUBLISH, { input: { locale: 'en', key: 'support.contact', message: 'Call {merchant}' } }, AS_ACME);
    expect(codeOf(platform.body)).toBe('FORBIDDEN');
    const readOnly = await system.query(
      PUBLISH,
      { input: { merchantId: acme.id, locale: 'en', key: 'support.contact', message: 'Call {merchant}' } },
      AS_ACME_READ_ONLY,
    );
    expect(codeOf(readOnly.body)).toBe('FORBIDDEN');
    const operator = await system.query(PUBLISH, { input: { locale: 'es', key: 'support.contact', message: '¿Preguntas? Contacta con {merchant}.' } });
    expect(operator.body.data.publishMessageTemplate).toMatchObject({ merchantId: null, livemode: null, locale: 'es', latestVersion: 1 });
    const missing = await system.query(MISSING, { l: ['es'] }, AS_ACME);
    expect(missing.body.data.missingMessageKeys[0].missing).not.toContain('support.contact');
    expect(missing.body.data.missingMessageKeys[0].missing).toHaveLength(MESSAGE_KEYS.length - 1);
  });
});
