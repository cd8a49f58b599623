import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newSessionSnapshot, transition } from '../src/domain/state-machine.ts';
import { eventFromNotification, type ParseNotificationResult, type WebhookRequest } from '../src/adapters/psp/adapter.ts';
import { adyenHmacSignature, adyenSigningPayload, createAdyenAdapter } from '../src/adapters/psp/adyen.ts';
import { currencyExponent, decimalToMinorUnits, minorUnitsToDecimal } from '../src/adapters/psp/amount.ts';
import { createMollieAdapter, mollieSignature, notificationsFromPayment, parseMollieAmount } from '../src/adapters/psp/mollie.ts';
import { createStripeAdapter, stripeSignature } from '../src/adapters/psp/stripe.ts';

const expectError = (result: ParseNotificationResult, code: string, httpStatus: number) => {
  expect(result).toMatchObject({ ok: false, error: { code, httpStatus } });
};
const notificationsOf = (result: ParseNotificationResult) => {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.notifications;
};

describe('Adyen standard notifications', () => {
  const HMAC_KEY = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';
  const OTHER_KEY = 'A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90';
  // The fixtures' eventDate is 2026-11-02T09:15:00Z; the adapter's clock stands a minute later unless a test moves it.
  const EVENT_AT = new Date('2026-11-02T10:15:00+01:00');
  let now = new Date(EVENT_AT.getTime() + 60_000);
  const adapter = createAdyenAdapter({
    apiKey: 'k',
    merchantAccount: 'IpayECOM',
    checkoutUrl: 'http://127.0.0.1:9/v71',
    hmacKeys: [HMAC_KEY],
    live: false,
    now: () => now,
  });

  function item(overrides: Record<string, unknown> = {}, key = HMAC_KEY): Record<string, unknown> {
    const base: Record<string, unknown> = {
      amount: { currency: 'EUR', value: 7840 },
      eventCode: 'AUTHORISATION',
      eventDate: '2026-11-02T10:15:00+01:00',
      merchantAccountCode: 'IpayECOM',
      merchantReference: 'IPAY-7K3M-Q9XD-4',
      pspReference: 'QFQTPCQ8HXSKGK82',
      reason: '',
      success: 'true',
      ...overrides,
    };
    return { ...base, additionalData: { hmacSignature: adyenHmacSignature(base, key) } };
  }
  const request = (items: Record<string, unknown>[], headers: WebhookRequest['headers'] = { 'content-type': 'application/json' }): WebhookRequest => ({
    headers,
    rawBody: JSON.stringify({ live: 'false', notificationItems: items.map((NotificationRequestItem) => ({ NotificationRequestItem })) }),
  });

  it('signs the documented fields in the documented order (HMAC-SHA256 with the hex-decoded key, base64)', () => {
    const documented = {
      pspReference: '7914073381342284',
      merchantAccountCode: 'TestMerchant',
      merchantReference: 'TestPayment-1407325143704',
      amount: { value: 1130, currency: 'EUR' },
      eventCode: 'AUTHORISATION',
      success: 'true',
    };
    const payload = '7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true';
    expect(adyenSigningPayload(documented)).toBe(payload);
    expect(adyenHmacSignature(documented, HMAC_KEY)).toBe(createHmac('sha256', Buffer.from(HMAC_KEY, 'hex')).update(payload).digest('base64'));
  });

  it('normalises a verified AUTHORISATION', async () => {
    const [n] = notificationsOf(await adapter.parseNotification(request([item()])));
    expect(n).toMatchObject({
      psp: 'adyen',
      pspEventId: 'QFQTPCQ8HXSKGK82:AUTHORISATION:true',
      pspReference: 'QFQTPCQ8HXSKGK82',
      merchantReference: 'IPAY-7K3M-Q9XD-4',
      kind: 'AUTHORIZATION',
      success: true,
      amount: { amount: 7840, currency: 'EUR' },
      occurredAt: new Date('2026-11-02T09:15:00.000Z'),
    });
    expect(adapter.acknowledgement).toEqual({ status: 200, contentType: 'text/plain', body: '[accepted]' });
  });

  it('reports modifications against the original payment', async () => {
    const [capture, refundFailed] = notificationsOf(
      await adapter.parseNotification(
        request([
          item({ eventCode: 'CAPTURE', pspReference: 'MOD0000000000001', originalReference: 'QFQTPCQ8HXSKGK82' }),
          item({
            eventCode: 'REFUND_FAILED',
            pspReference: 'MOD0000000000002',
            originalReference: 'QFQTPCQ8HXSKGK82',
            amount: { currency: 'EUR', value: 1000 },
          }),
        ]),
      ),
    );
    expect(capture).toMatchObject({ kind: 'CAPTURE', success: true, pspReference: 'QFQTPCQ8HXSKGK82', modificationReference: 'MOD0000000000001' });
    expect(refundFailed).toMatchObject({ kind: 'REFUND', success: false });
    expect(eventFromNotification(refundFailed!).type).toBe('REFUND_FAILED');
  });

  it('refuses a signature made with another key (401)', async () => {
    expectError(await adapter.parseNotification(request([item({}, OTHER_KEY)])), 'BAD_SIGNATURE', 401);
  });

  it('refuses a notification without hmacSignature (401)', async () => {
    const unsigned = item();
    delete unsigned.additionalData;
    expectError(await adapter.parseNotification(request([unsigned])), 'MISSING_SIGNATURE', 401);
  });

  it('refuses a tampered body: a changed amount or success flag breaks the signature (401)', async () => {
    const signed = item();
    expectError(await adapter.parseNotification(request([{ ...signed, amount: { currency: 'EUR', value: 1 } }])), 'BAD_SIGNATURE', 401);
    expectError(await adapter.parseNotification(request([{ ...signed, success: 'false' }])), 'BAD_SIGNATURE', 401);
  });

  it('refuses the whole batch when one item is forged', async () => {
    expectError(await adapter.parseNotification(request([item(), item({ pspReference: 'FORGED0000000001' }, OTHER_KEY)])), 'BAD_SIGNATURE', 401);
  });

  it('signs no timestamp: a replay keeps its event id and is dropped as a duplicate', async () => {
    const replayed = request([item()]);
    const [first] = notificationsOf(await adapter.parseNotification(replayed));
    const [again] = notificationsOf(await adapter.parseNotification(replayed));
    expect(again!.pspEventId).toBe(first!.pspEventId);
    const session = {
      ...newSessionSnapshot({ id: 'pay_1', reference: 'IPAY-7K3M-Q9XD-4', amount: 7840, currency: 'EUR', createdAt: new Date() }),
      status: 'REQUESTED' as const,
    };
    const applied = transition(session, eventFromNotification(first!));
    if (!applied.ok) throw new Error(applied.refusal.reason);
    expect(transition(applied.snapshot, eventFromNotification(again!))).toMatchObject({ ok: true, outcome: 'duplicate' });
  });

  it('accepts a replay 6 minutes later (Adyen retries with the original eventDate) and it deduplicates; refuses one older than the tolerance (401 STALE_TIMESTAMP)', async () => {
    const replayed = request([item()]);
    const [first] = notificationsOf(await adapter.parseNotification(replayed));
    try {
      now = new Date(EVENT_AT.getTime() + 6 * 60_000);
      const [again] = notificationsOf(await adapter.parseNotification(replayed));
      expect(again!.pspEventId).toBe(first!.pspEventId);
      const session = {
        ...newSessionSnapshot({ id: 'pay_1', reference: 'IPAY-7K3M-Q9XD-4', amount: 7840, currency: 'EUR', createdAt: new Date() }),
        status: 'REQUESTED' as const,
      };
      const applied = transition(session, eventFromNotification(first!));
      if (!applied.ok) throw new Error(applied.refusal.reason);
      expect(transition(applied.snapshot, eventFromNotification(again!))).toMatchObject({ ok: true, outcome: 'duplicate' });
      // The last of Adyen's retries (30 days) still passes; a day beyond the 31-day default does not.
      now = new Date(EVENT_AT.getTime() + 30 * 86_400_000);
      expect(notificationsOf(await adapter.parseNotification(replayed))).toHaveLength(1);
      now = new Date(EVENT_AT.getTime() + 31 * 86_400_000 + 1000);
      expectError(await adapter.parseNotification(replayed), 'STALE_TIMESTAMP', 401);
      // A far-future eventDate is refused too.
      now = new Date(EVENT_AT.getTime() - 301_000);
      expectError(await adapter.parseNotification(replayed), 'STALE_TIMESTAMP', 401);
    } finally {
      now = new Date(EVENT_AT.getTime() + 60_000);
    }
  });

  it('takes its tolerance from configuration (a strict 5-minute window refuses the 6-minute replay)', async () => {
    const strict = createAdyenAdapter({
      apiKey: 'k',
      merchantAccount: 'IpayECOM',
      checkoutUrl: 'http://127.0.0.1:9/v71',
      hmacKeys: [HMAC_KEY],
      live: false,
      eventToleranceSeconds: 300,
      now: () => new Date(EVENT_AT.getTime() + 6 * 60_000),
    });
    expectError(await strict.parseNotification(request([item()])), 'STALE_TIMESTAMP', 401);
    expect(() =>
      createAdyenAdapter({
        apiKey: 'k',
        merchantAccount: 'IpayECOM',
        checkoutUrl: 'http://127.0.0.1:9/v71',
        hmacKeys: [HMAC_KEY],
        live: false,
        eventToleranceSeconds: 0,
      }),
    ).toThrow(/positive integer/);
  });

  it('refuses malformed payloads with 400', async () => {
    expectError(await adapter.parseNotification({ headers: {}, rawBody: '{"live":' }), 'MALFORMED', 400);
    expectError(await adapter.parseNotification({ headers: {}, rawBody: '{"live":"false","notificationItems":[]}' }), 'MALFORMED', 400);
    expectError(await adapter.parseNotification(request([item({ success: 'yes' })])), 'MALFORMED', 400);
    expectError(await adapter.parseNotification(request([item({ amount: { currency: 'EUR', value: 78.4 } })])), 'MALFORMED', 400);
    expectError(await adapter.parseNotification(request([item({ eventDate: 'yesterday' })])), 'MALFORMED', 400);
  });

  it('refuses notifications for another merchant account or environment', async () => {
    expectError(await adapter.parseNotification(request([item({ merchantAccountCode: 'SomeoneElse' })])), 'WRONG_ACCOUNT', 400);
    const live = { headers: {}, rawBody: JSON.stringify({ live: 'true', notificationItems: [{ NotificationRequestItem: item() }] }) };
    expectError(await adapter.parseNotification(live), 'WRONG_ACCOUNT', 400);
  });

  it('accepts the previous key during a rotation, and checks basic authentication when configured', async () => {
    const rotating = createAdyenAdapter({
      apiKey: 'k',
      merchantAccount: 'IpayECOM',
      checkoutUrl: 'http://127.0.0.1:9/v71',
      hmacKeys: [OTHER_KEY, HMAC_KEY],
      live: false,
      webhookBasicAuth: { username: 'adyen', password: 's3cret' },
      // The fixtures' clock: without it the wall clock judged the fixed eventDate, and the test failed once it was
      // older than the 31-day tolerance (3 December 2026).
      now: () => now,
    });
    const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
    expect(notificationsOf(await rotating.parseNotification(request([item()], basic('adyen', 's3cret'))))).toHaveLength(1);
    expectError(await rotating.parseNotification(request([item()], basic('adyen', 'wrong'))), 'BAD_CREDENTIALS', 401);
    expectError(await rotating.parseNotification(request([item()], {})), 'BAD_CREDENTIALS', 401);
  });

  it('acknowledges event codes it does not act on without returning them', async () => {
    expect(notificationsOf(await adapter.parseNotification(request([item({ eventCode: 'REPORT_AVAILABLE' })])))).toEqual([]);
  });
});

describe('Stripe signed events', () => {
  const SECRET = 'whsec_test_7d3c0a1b2e4f';
  const NOW = new Date('2026-11-02T09:00:00.000Z');
  const t = Math.floor(NOW.getTime() / 1000);
  const adapter = createStripeAdapter({ secretKey: 'sk_test', webhookSecrets: [SECRET], apiUrl: 'http://127.0.0.1:9', now: () => NOW });
  const intent = {
    id: 'pi_3Q1',
    object: 'payment_intent',
    amount: 7840,
    amount_received: 7840,
    amount_capturable: 0,
    currency: 'eur',
    status: 'succeeded',
    metadata: { ipay_reference: 'IPAY-7K3M-Q9XD-4' },
  };
  const body = (type = 'payment_intent.succeeded', object: Record<string, unknown> = intent) =>
    JSON.stringify({ id: 'evt_1Q2', object: 'event', api_version: '2024-06-20', created: t - 2, livemode: false, type, data: { object } });
  const signed = (raw: string, header?: string): WebhookRequest => ({
    headers: { 'stripe-signature': header ?? `t=${t},v1=${stripeSignature(SECRET, t, raw)}` },
    rawBody: raw,
  });

  it('signs `${t}.${rawBody}` with HMAC-SHA256, hex', () => {
    expect(stripeSignature(SECRET, t, '{"a":1}')).toBe(createHmac('sha256', SECRET).update(`${t}.{"a":1}`).digest('hex'));
  });

  it('normalises payment_intent.succeeded', async () => {
    const [n] = notificationsOf(await adapter.parseNotification(signed(body())));
    expect(n).toMatchObject({
      psp: 'stripe',
      pspEventId: 'evt_1Q2',
      pspReference: 'pi_3Q1',
      merchantReference: 'IPAY-7K3M-Q9XD-4',
      kind: 'CAPTURE',
      success: true,
      amount: { amount: 7840, currency: 'EUR' },
      occurredAt: new Date((t - 2) * 1000),
    });
  });

  it('accepts any matching v1 among several (secret rotation) and ignores other schemes', async () => {
    const raw = body();
    const header = `t=${t},v0=abc,v1=${'0'.repeat(64)},v1=${stripeSignature(SECRET, t, raw)}`;
    expect(notificationsOf(await adapter.parseNotification(signed(raw, header)))).toHaveLength(1);
    const rotated = createStripeAdapter({ secretKey: 'sk_test', webhookSecrets: ['whsec_new', SECRET], now: () => NOW });
    expect(notificationsOf(await rotated.parseNotification(signed(raw)))).toHaveLength(1);
  });

  it('refuses a wrong signature (401)', async () => {
    const raw = body();
    expectError(await adapter.parseNotification(signed(raw, `t=${t},v1=${stripeSignature('whsec_other', t, raw)}`)), 'BAD_SIGNATURE', 401);
    expectError(await adapter.parseNotification(signed(raw, `t=${t},v1=not-hex`)), 'BAD_SIGNATURE', 401);
  });

  it('refuses a missing header or one without v1 (401) and one without a timestamp (400)', async () => {
    expectError(await adapter.parseNotification({ headers: {}, rawBody: body() }), 'MISSING_SIGNATURE', 401);
    expectError(await adapter.parseNotification(signed(body(), `t=${t}`)), 'MISSING_SIGNATURE', 401);
    expectError(await adapter.parseNotification(signed(body(), `v1=${'a'.repeat(64)}`)), 'MALFORMED', 400);
  });

  it('refuses a correctly signed but stale (or far future) timestamp outside 5 minutes (401)', async () => {
    const raw = body();
    const at = (ts: number) => signed(raw, `t=${ts},v1=${stripeSignature(SECRET, ts, raw)}`);
    expect(notificationsOf(await adapter.parseNotification(at(t - 300)))).toHaveLength(1);
    expectError(await adapter.parseNotification(at(t - 301)), 'STALE_TIMESTAMP', 401);
    expectError(await adapter.parseNotification(at(t + 301)), 'STALE_TIMESTAMP', 401);
  });

  it('refuses a tampered body (401)', async () => {
    const raw = body();
    const tampered = raw.replace('"amount_received":7840', '"amount_received":1');
    expect(tampered).not.toBe(raw);
    expectError(await adapter.parseNotification({ headers: signed(raw).headers, rawBody: tampered }), 'BAD_SIGNATURE', 401);
  });

  it('refuses a signed body that is not an event (400)', async () => {
    expectError(await adapter.parseNotification(signed('not json')), 'MALFORMED', 400);
    expectError(await adapter.parseNotification(signed(JSON.stringify({ id: 'x', object: 'event', type: 'y' }))), 'MALFORMED', 400);
  });

  it('maps the events a payment goes through', async () => {
    const parse = async (type: string, object: Record<string, unknown>) => notificationsOf(await adapter.parseNotification(signed(body(type, object))))[0];
    expect(
      await parse('payment_intent.amount_capturable_updated', { ...intent, status: 'requires_capture', amount_capturable: 7840, amount_received: 0 }),
    ).toMatchObject({
      kind: 'AUTHORIZATION',
      success: true,
      amount: { amount: 7840 },
    });
    const failed = await parse('payment_intent.payment_failed', {
      ...intent,
      status: 'requires_payment_method',
      last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds' },
    });
    expect(failed).toMatchObject({ kind: 'AUTHORIZATION', success: false, retryableByShopper: true, reason: 'insufficient_funds' });
    expect(eventFromNotification(failed!).type).toBe('ATTEMPT_FAILED');
    expect(await parse('payment_intent.canceled', { ...intent, status: 'canceled', cancellation_reason: 'automatic' })).toMatchObject({ kind: 'EXPIRATION' });
    expect(await parse('payment_intent.canceled', { ...intent, status: 'canceled', cancellation_reason: 'requested_by_customer' })).toMatchObject({
      kind: 'CANCELLATION',
    });
    const refunded = await parse('charge.refunded', {
      id: 'ch_3Q1',
      object: 'charge',
      payment_intent: 'pi_3Q1',
      amount: 7840,
      amount_refunded: 2500,
      currency: 'eur',
      metadata: {},
    });
    expect(refunded).toMatchObject({ kind: 'REFUND', pspReference: 'pi_3Q1', modificationReference: 'ch_3Q1', merchantReference: null, refundedTotal: 2500 });
    expect(eventFromNotification(refunded!)).toMatchObject({ type: 'REFUND', refundedTotal: 2500, amount: null });
    expect(notificationsOf(await adapter.parseNotification(signed(body('customer.created', { id: 'cus_1', currency: 'eur' }))))).toEqual([]);
  });
});

describe('Mollie webhooks', () => {
  const SECRET = 'mollie_whsec_4f2a';
  const payment = {
    resource: 'payment',
    id: 'tr_7UhSN1zuXS',
    status: 'paid',
    amount: { currency: 'EUR', value: '78.40' },
    amountCaptured: { currency: 'EUR', value: '78.40' },
    amountRefunded: { currency: 'EUR', value: '0.00' },
    metadata: { ipayReference: 'IPAY-7K3M-Q9XD-4' },
    createdAt: '2026-11-02T09:00:00+00:00',
    paidAt: '2026-11-02T09:01:30+00:00',
  };
  const event = (entity: Record<string, unknown> = payment) =>
    JSON.stringify({
      resource: 'event',
      id: 'event_GvJ8WHrp5isUdRub9CJyH',
      type: `payment.${String(entity.status)}`,
      entityId: entity.id,
      createdAt: '2026-11-02T09:01:31+00:00',
      _embedded: { entity },
    });
  // Nothing listens on port 9: a test that needed the API would fail, proving the signed snapshot is used as is.
  const adapter = createMollieAdapter({
    apiKey: 'test_key',
    apiUrl: 'http://127.0.0.1:9',
    webhookUrl: 'https://ipay.example/webhooks/mollie',
    webhookSigningSecrets: [SECRET],
    timeoutMs: 500,
  });
  const signed = (raw: string, signature = mollieSignature(SECRET, raw)): WebhookRequest => ({
    headers: { 'content-type': 'application/json', 'x-mollie-signature': signature },
    rawBody: raw,
  });

  it('signs the raw body: sha256=<hex HMAC-SHA256>', () => {
    expect(mollieSignature(SECRET, '{"a":1}')).toBe(`sha256=${createHmac('sha256', SECRET).update('{"a":1}').digest('hex')}`);
  });

  it('verifies a next-gen event and normalises its payment snapshot', async () => {
    const [n] = notificationsOf(await adapter.parseNotification(signed(event())));
    expect(n).toMatchObject({
      psp: 'mollie',
      pspEventId: 'tr_7UhSN1zuXS:paid',
      kind: 'CAPTURE',
      success: true,
      amount: { amount: 7840, currency: 'EUR' },
      merchantReference: 'IPAY-7K3M-Q9XD-4',
    });
  });

  it('accepts either of two signatures during a secret rotation', async () => {
    const raw = event();
    expect(notificationsOf(await adapter.parseNotification(signed(raw, `${mollieSignature('old', raw)}, ${mollieSignature(SECRET, raw)}`)))).toHaveLength(1);
  });

  it('refuses a wrong or missing signature and a tampered body (401)', async () => {
    const raw = event();
    expectError(await adapter.parseNotification(signed(raw, mollieSignature('not-it', raw))), 'BAD_SIGNATURE', 401);
    expectError(await adapter.parseNotification({ headers: { 'content-type': 'application/json' }, rawBody: raw }), 'MISSING_SIGNATURE', 401);
    expectError(await adapter.parseNotification({ headers: signed(raw).headers, rawBody: raw.replace('78.40', '0.01') }), 'BAD_SIGNATURE', 401);
  });

  it('refuses signed bodies that are not events, and classic bodies without a payment id (400)', async () => {
    expectError(await adapter.parseNotification(signed('{"resource":"payment"}')), 'MALFORMED', 400);
    expectError(await adapter.parseNotification({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, rawBody: 'id=cst_123' }), 'MALFORMED', 400);
    expectError(await adapter.parseNotification({ headers: {}, rawBody: '' }), 'MALFORMED', 400);
  });

  it('answers 503 when the classic flow cannot fetch the payment, so Mollie calls again', async () => {
    expectError(
      await adapter.parseNotification({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, rawBody: 'id=tr_7UhSN1zuXS' }),
      'UPSTREAM_UNAVAILABLE',
      503,
    );
  });

  it('acknowledges a classic call for an unknown (possibly forged) payment without acting on it', async () => {
    const api = createServer((req, res) => {
      res.writeHead(404, { 'content-type': 'application/hal+json' });
      res.end(JSON.stringify({ status: 404, title: 'Not Found', detail: `No payment exists with token ${req.url?.split('/').pop()}.` }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    try {
      const classic = createMollieAdapter({
        apiKey: 'test_key',
        apiUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
        webhookUrl: 'https://ipay.example/w',
      });
      expect(
        notificationsOf(await classic.parseNotification({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, rawBody: 'id=tr_forged1234' })),
      ).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => api.close(() => resolve()));
    }
  });

  it('derives stable event ids from the payment state, so re-reading it is a duplicate', () => {
    const first = notificationsFromPayment({ ...payment, amountRefunded: { currency: 'EUR', value: '20.00' } }, new Date());
    const again = notificationsFromPayment({ ...payment, amountRefunded: { currency: 'EUR', value: '20.00' } }, new Date(Date.now() + 60_000));
    expect(first.map((n) => n.pspEventId)).toEqual(['tr_7UhSN1zuXS:paid', 'tr_7UhSN1zuXS:refunded:2000']);
    expect(again.map((n) => n.pspEventId)).toEqual(first.map((n) => n.pspEventId));
    expect(first[1]).toMatchObject({ kind: 'REFUND', refundedTotal: 2000 });
  });

  it('maps every Mollie status', () => {
    const statuses = (status: string, extra: Record<string, unknown> = {}) =>
      notificationsFromPayment({ ...payment, status, amountCaptured: undefined, amountRefunded: undefined, ...extra }, new Date()).map(
        (n) => `${n.kind}:${n.success}`,
      );
    expect(statuses('open')).toEqual([]);
    expect(statuses('pending')).toEqual([]);
    expect(statuses('authorized', { authorizedAt: '2026-11-02T09:01:00+00:00' })).toEqual(['AUTHORIZATION:true']);
    expect(statuses('paid', { authorizedAt: '2026-11-02T09:01:00+00:00' })).toEqual(['AUTHORIZATION:true', 'CAPTURE:true']);
    expect(statuses('failed')).toEqual(['AUTHORIZATION:false']);
    expect(statuses('expired')).toEqual(['EXPIRATION:true']);
    expect(statuses('canceled')).toEqual(['CANCELLATION:true']);
  });
});

describe('decimal amounts without floats', () => {
  it('converts Mollie-style decimal strings exactly', () => {
    expect(decimalToMinorUnits('78.40', 'EUR')).toBe(7840);
    expect(decimalToMinorUnits('0.07', 'EUR')).toBe(7);
    expect(decimalToMinorUnits('78.4', 'EUR')).toBe(7840);
    expect(decimalToMinorUnits('1000', 'JPY')).toBe(1000);
    expect(decimalToMinorUnits('1.234', 'KWD')).toBe(1234);
    expect(decimalToMinorUnits('21474836.47', 'EUR')).toBe(2_147_483_647);
    // 0.1 + 0.2 style inputs are exact: no float parsing anywhere.
    expect(decimalToMinorUnits('0.30', 'EUR')).toBe(30);
    expect(parseMollieAmount({ currency: 'SEK', value: '1250.00' })).toEqual({ amount: 125000, currency: 'SEK' });
  });

  it('refuses anything inexact or not a plain decimal', () => {
    for (const bad of ['78.401', '-1.00', '1e3', '78,40', ' 78.40', '78.40 ', '', '.5', '01.00', '78.', '21474836.48', 'NaN']) {
      expect(() => decimalToMinorUnits(bad, 'EUR'), bad).toThrow(RangeError);
    }
    expect(() => decimalToMinorUnits('10.5', 'JPY')).toThrow(/more decimals than JPY has minor units/);
    expect(() => decimalToMinorUnits('1.00', 'XYZ')).toThrow(/ISO 4217/);
    expect(() => parseMollieAmount({ currency: 'EUR', value: 78.4 })).toThrow(RangeError);
  });

  it('round-trips every amount in every exponent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_147_483_647 }), fc.constantFrom('EUR', 'JPY', 'KWD', 'SEK', 'BHD', 'ISK'), (minor, currency) => {
        const decimal = minorUnitsToDecimal(minor, currency);
        const exponent = currencyExponent(currency);
        expect(decimal).toMatch(exponent === 0 ? /^\d+$/ : new RegExp(`^\\d+\\.\\d{${exponent}}$`));
        expect(decimalToMinorUnits(decimal, currency)).toBe(minor);
      }),
    );
  });
});
