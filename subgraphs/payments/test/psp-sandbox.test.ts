import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCommand } from '../src/domain/state-machine.ts';
import { PspError, eventFromModification, type CreatePaymentInput, type PspAdapter } from '../src/adapters/psp/adapter.ts';
import { createAdyenAdapter } from '../src/adapters/psp/adyen.ts';
import { createMollieAdapter } from '../src/adapters/psp/mollie.ts';
import { startAdyenSandbox, startMollieSandbox, startStripeSandbox, type PspSandbox } from '../src/sandbox/psp/index.ts';
import { createStripeAdapter } from '../src/adapters/psp/stripe.ts';
import { Ledger, startReceiver, statusOf, until } from './psp-harness.ts';

const TIMEOUT_MS = 250;

function input(reference: string, overrides: Partial<CreatePaymentInput> = {}): CreatePaymentInput {
  return {
    reference,
    amount: { amount: 7840, currency: 'EUR' },
    method: 'card',
    description: `Order ${reference}`,
    returnUrl: 'https://pay.ipay.example/return',
    captureMode: 'automatic',
    idempotencyKey: `${reference}:create`,
    ...overrides,
  };
}

async function expectPspError(promise: Promise<unknown>, kind: PspError['kind']): Promise<PspError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected a ${kind} PspError`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PspError);
  expect((error as PspError).kind).toBe(kind);
  return error as PspError;
}

describe('Adyen adapter against the Adyen sandbox', () => {
  const HMAC_KEY = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';
  const BASIC = { username: 'adyen-webhooks', password: 'c0rrect-h0rse' };
  const ledger = new Ledger();
  let sandbox: PspSandbox;
  let adapter: PspAdapter;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver(() => adapter, ledger);
    sandbox = await startAdyenSandbox({
      apiKey: 'AQE-test-key',
      merchantAccount: 'IpayECOM',
      hmacKey: HMAC_KEY,
      webhookUrl: receiver.url,
      webhookBasicAuth: BASIC,
    });
    adapter = createAdyenAdapter({
      apiKey: 'AQE-test-key',
      merchantAccount: 'IpayECOM',
      checkoutUrl: `${sandbox.url}/v71`,
      hmacKeys: [HMAC_KEY],
      webhookBasicAuth: BASIC,
      live: false,
      timeoutMs: TIMEOUT_MS,
    });
  });
  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });

  it('card with automatic capture: Authorised at once, then signed AUTHORISATION and CAPTURE confirm the session', async () => {
    const reference = ledger.open(7840, 'EUR');
    const created = await adapter.createPayment(input(reference));
    expect(created).toMatchObject({ status: 'AUTHORIZED', pspStatusCode: 'Authorised', action: { type: 'none' } });
    ledger.created('adyen', reference, created);
    expect(ledger.session(reference).status).toBe('AUTHORIZED');

    await statusOf(ledger, reference, 'CONFIRMED');
    const deliveries = await sandbox.waitForDeliveries(reference, 2);
    expect(deliveries.map((d) => [d.describe, d.status, d.responseBody])).toEqual([
      ['AUTHORISATION true', 200, '[accepted]'],
      ['CAPTURE true', 200, '[accepted]'],
    ]);
    expect(ledger.notifications.get(reference)!.map((n) => [n.kind, n.pspReference, n.merchantReference])).toEqual([
      ['AUTHORIZATION', created.pspReference, reference],
      ['CAPTURE', created.pspReference, reference],
    ]);
    // The webhook restates what the API answer already said.
    expect(ledger.outcomes(reference)).toEqual(['REQUEST:applied', 'AUTHORIZE:applied', 'AUTHORIZE:duplicate', 'CAPTURE:applied']);
    expect(ledger.session(reference)).toMatchObject({ capturedAmount: 7840, pspReference: created.pspReference });
  });

  it('out of order: CAPTURE before AUTHORISATION confirms, and the late AUTHORISATION is recorded as ignored', async () => {
    const reference = ledger.open(7840, 'EUR');
    sandbox.scenario(reference, { reverse: true });
    const created = await adapter.createPayment(input(reference, { method: 'ideal' }));
    expect(created).toMatchObject({
      status: 'REQUESTED',
      pspStatusCode: 'RedirectShopper',
      action: { type: 'redirect', method: 'GET', url: expect.stringContaining(sandbox.url) },
    });
    ledger.created('adyen', reference, created);
    await sandbox.waitForDeliveries(reference, 2);
    expect(sandbox.deliveries(reference).map((d) => d.describe)).toEqual(['CAPTURE true', 'AUTHORISATION true']);
    await statusOf(ledger, reference, 'CONFIRMED');
    expect(ledger.outcomes(reference)).toEqual(['REQUEST:applied', 'CAPTURE:applied', 'AUTHORIZE:ignored']);
  });

  it('manual capture, then refunds held and released last-first, end fully refunded', async () => {
    const reference = ledger.open(7840, 'EUR');
    const created = await adapter.createPayment(input(reference, { captureMode: 'manual' }));
    ledger.created('adyen', reference, created);
    await until('AUTHORISATION', () => sandbox.deliveries(reference).length === 1);

    const capture = checkCommand(ledger.session(reference), { type: 'CAPTURE' });
    expect(capture).toEqual({ ok: true, amount: 7840 });
    const captured = await adapter.capture({
      pspReference: created.pspReference,
      reference,
      amount: { amount: 7840, currency: 'EUR' },
      idempotencyKey: `${reference}:capture`,
    });
    expect(captured).toMatchObject({ outcome: 'pending', pspStatusCode: 'received' });
    await statusOf(ledger, reference, 'CONFIRMED');

    sandbox.scenario(reference, { hold: true });
    for (const [i, amount] of [2_000, 5_840].entries()) {
      const refund = await adapter.refund({
        pspReference: created.pspReference,
        reference,
        amount: { amount, currency: 'EUR' },
        idempotencyKey: `${reference}:refund:${i}`,
      });
      expect(refund.outcome).toBe('pending');
    }
    expect(ledger.session(reference).status).toBe('CONFIRMED');
    await sandbox.release(reference, { reverse: true });
    const session = await statusOf(ledger, reference, 'REFUNDED');
    expect(session).toMatchObject({ capturedAmount: 7840, refundedAmount: 7840 });
    expect(
      ledger.notifications
        .get(reference)!
        .filter((n) => n.kind === 'REFUND')
        .map((n) => n.amount?.amount),
    ).toEqual([5_840, 2_000]);

    const tooMuch = await expectPspError(
      adapter.refund({ pspReference: created.pspReference, reference, amount: { amount: 1, currency: 'EUR' }, idempotencyKey: `${reference}:refund:2` }),
      'rejected',
    );
    expect(tooMuch.details).toMatchObject({ httpStatus: 422, pspCode: '137' });
  });

  it('a REFUND that overtakes its CAPTURE is answered 500, redelivered by the PSP and then applied', async () => {
    const reference = ledger.open(7840, 'EUR');
    const created = await adapter.createPayment(input(reference, { captureMode: 'manual' }));
    ledger.created('adyen', reference, created);
    await until('AUTHORISATION', () => sandbox.deliveries(reference).length === 1);
    sandbox.scenario(reference, { hold: true, redeliverAfterMs: [50, 100, 200] });
    await adapter.capture({ pspReference: created.pspReference, reference, amount: { amount: 7840, currency: 'EUR' }, idempotencyKey: `${reference}:capture` });
    // E.g. a refund made in the Customer Area while the CAPTURE notification is still on its way.
    await adapter.refund({
      pspReference: created.pspReference,
      reference,
      amount: { amount: 2_000, currency: 'EUR' },
      idempotencyKey: `${reference}:refund:0`,
    });
    await sandbox.release(reference, { reverse: true });
    await statusOf(ledger, reference, 'PARTIALLY_REFUNDED');
    await until('the accepted redelivery', () => sandbox.deliveries(reference).some((d) => d.describe === 'REFUND true' && d.status === 200));
    const deliveries = sandbox.deliveries(reference).slice(1);
    expect(deliveries[0]).toMatchObject({ describe: 'REFUND true', status: 500, attempt: 0 });
    expect(deliveries.filter((d) => d.describe === 'CAPTURE true').map((d) => d.status)).toEqual([200]);
    // Redeliveries run on the PSP's schedule: under load one may still come before the CAPTURE and be refused again.
    const refunds = deliveries.filter((d) => d.describe === 'REFUND true');
    expect(refunds.map((d) => d.attempt)).toEqual(refunds.map((_, i) => i));
    expect(refunds.map((d) => d.status)).toEqual([...refunds.slice(1).map(() => 500), 200]);
    const outcomes = ledger.outcomes(reference).slice(3);
    expect(outcomes[0]).toBe('REFUND:refused');
    expect(outcomes.at(-1)).toBe('REFUND:applied');
    expect(outcomes.indexOf('CAPTURE:applied')).toBeLessThan(outcomes.length - 1);
  });

  it('a declined card fails the session; the AUTHORISATION false notification restates it', async () => {
    const reference = ledger.open(7840, 'EUR');
    sandbox.scenario(reference, { outcome: 'decline' });
    const created = await adapter.createPayment(input(reference));
    expect(created).toMatchObject({ status: 'FAILED', pspStatusCode: 'Refused', refusalReason: 'Refused' });
    ledger.created('adyen', reference, created);
    await sandbox.waitForDeliveries(reference, 1);
    await until('the refusal notification', () => ledger.notifications.get(reference)?.length === 1);
    expect(ledger.notifications.get(reference)![0]).toMatchObject({ kind: 'AUTHORIZATION', success: false, reason: 'Refused' });
    expect(ledger.outcomes(reference)).toEqual(['REQUEST:applied', 'FAIL:applied', 'FAIL:duplicate']);
  });

  it('an abandoned redirect expires the session (OFFER_CLOSED)', async () => {
    const reference = ledger.open(7840, 'EUR');
    sandbox.scenario(reference, { outcome: 'expire' });
    ledger.created('adyen', reference, await adapter.createPayment(input(reference, { method: 'ideal' })));
    await statusOf(ledger, reference, 'EXPIRED');
    expect(ledger.notifications.get(reference)![0]).toMatchObject({ kind: 'EXPIRATION', pspStatusCode: 'OFFER_CLOSED' });
  });

  it('duplicate notifications are delivered, acknowledged and dropped', async () => {
    const reference = ledger.open(7840, 'EUR');
    sandbox.scenario(reference, { duplicate: true });
    ledger.created('adyen', reference, await adapter.createPayment(input(reference, { method: 'ideal' })));
    const deliveries = await sandbox.waitForDeliveries(reference, 4);
    expect(deliveries.map((d) => `${d.describe}:${d.status}`)).toEqual([
      'AUTHORISATION true:200',
      'AUTHORISATION true:200',
      'CAPTURE true:200',
      'CAPTURE true:200',
    ]);
    await statusOf(ledger, reference, 'CONFIRMED');
    expect(ledger.outcomes(reference)).toEqual(['REQUEST:applied', 'AUTHORIZE:applied', 'AUTHORIZE:duplicate', 'CAPTURE:applied', 'CAPTURE:duplicate']);
    expect(ledger.history.get(reference)).toHaveLength(3);
  });

  it('a delayed notification arrives after the delay', async () => {
    const reference = ledger.open(7840, 'EUR');
    sandbox.scenario(reference, { notificationDelayMs: 200 });
    const started = Date.now();
    ledger.created('adyen', reference, await adapter.createPayment(input(reference)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sandbox.deliveries(reference)).toHaveLength(0);
    const [first] = await sandbox.waitForDeliveries(reference, 2);
    expect(first!.at.getTime() - started).toBeGreaterThanOrEqual(195);
    await statusOf(ledger, reference, 'CONFIRMED');
  });

  it('a notification signed with the wrong key is refused with 401 and changes nothing', async () => {
    const reference = ledger.open(7840, 'EUR');
    sandbox.scenario(reference, { badSignature: true, outcome: 'expire' });
    ledger.created('adyen', reference, await adapter.createPayment(input(reference, { method: 'ideal' })));
    const [delivery] = await sandbox.waitForDeliveries(reference, 1);
    expect(delivery).toMatchObject({ status: 401, responseBody: expect.stringContaining('BAD_SIGNATURE') });
    expect(ledger.session(reference).status).toBe('REQUESTED');
    expect(ledger.notifications.get(reference)).toBeUndefined();
  });

  it('maps a PSP that never answers to a timeout whose outcome is unknown', async () => {
    const reference = ledger.open(7840, 'EUR');
    sandbox.scenario(reference, { hang: ['create'] });
    const started = Date.now();
    const error = await expectPspError(adapter.createPayment(input(reference)), 'timeout');
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1_000);
    expect(error).toMatchObject({ retryable: true, outcomeUnknown: true, operation: 'createPayment' });
    expect(error.message).toMatch(/same idempotency key/);
  });

  it('replays an idempotent create, and maps authentication errors', async () => {
    const reference = ledger.open(7840, 'EUR');
    const first = await adapter.createPayment(input(reference));
    const again = await adapter.createPayment(input(reference));
    expect(again.pspReference).toBe(first.pspReference);
    const wrongKey = createAdyenAdapter({ apiKey: 'nope', merchantAccount: 'IpayECOM', checkoutUrl: `${sandbox.url}/v71`, hmacKeys: [HMAC_KEY], live: false });
    const error = await expectPspError(wrongKey.createPayment(input(ledger.open(100, 'EUR'))), 'unauthorized');
    expect(error.details.httpStatus).toBe(401);
  });
});

describe('Stripe adapter against the Stripe sandbox', () => {
  const SECRET = 'whsec_sandbox_9b1f';
  const ledger = new Ledger();
  let sandbox: PspSandbox;
  let adapter: PspAdapter;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver(() => adapter, ledger);
    // Stripe also signs with a secret being rolled; the receiver knows only the current one.
    sandbox = await startStripeSandbox({
      secretKey: 'sk_test_ipay',
      webhookSecret: SECRET,
      extraWebhookSecrets: ['whsec_being_rolled'],
      webhookUrl: receiver.url,
    });
    adapter = createStripeAdapter({ secretKey: 'sk_test_ipay', webhookSecrets: [SECRET], apiUrl: sandbox.url, timeoutMs: TIMEOUT_MS });
  });
  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });

  it('automatic capture: the client confirms with the client secret, payment_intent.succeeded confirms the session', async () => {
    const reference = ledger.open(7840, 'EUR');
    const created = await adapter.createPayment(input(reference));
    expect(created).toMatchObject({
      status: 'REQUESTED',
      pspStatusCode: 'requires_payment_method',
      action: { type: 'sdk', psp: 'stripe', payload: { clientSecret: expect.stringMatching(/^pi_\w+_secret_/) } },
    });
    ledger.created('stripe', reference, created);
    await statusOf(ledger, reference, 'CONFIRMED');
    const deliveries = await sandbox.waitForDeliveries(reference, 2);
    // charge.succeeded is acknowledged but not acted on.
    expect(deliveries.map((d) => [d.describe, d.status])).toEqual([
      ['charge.succeeded', 200],
      ['payment_intent.succeeded', 200],
    ]);
    expect(deliveries[0]!.responseBody).toBe('{"received":true}');
    expect(ledger.session(reference)).toMatchObject({ capturedAmount: 7840, pspReference: created.pspReference });
  });

  it('manual capture: authorized, captured synchronously, refunds released last-first; the older refund total is ignored', async () => {
    const reference = ledger.open(7840, 'EUR');
    const created = await adapter.createPayment(input(reference, { captureMode: 'manual' }));
    ledger.created('stripe', reference, created);
    await statusOf(ledger, reference, 'AUTHORIZED');

    const amount = { amount: 7840, currency: 'EUR' };
    const captured = await adapter.capture({ pspReference: created.pspReference, reference, amount, idempotencyKey: `${reference}:capture` });
    expect(captured).toMatchObject({ outcome: 'succeeded', pspStatusCode: 'succeeded' });
    ledger.apply(reference, eventFromModification('stripe', 'capture', { pspReference: created.pspReference, amount }, captured, new Date())!);
    expect(ledger.session(reference).status).toBe('CONFIRMED');
    await until('payment_intent.succeeded', () => ledger.outcomes(reference).includes('CAPTURE:duplicate'));

    sandbox.scenario(reference, { hold: true });
    await adapter.refund({
      pspReference: created.pspReference,
      reference,
      amount: { amount: 3_000, currency: 'EUR' },
      idempotencyKey: `${reference}:refund:0`,
    });
    await adapter.refund({
      pspReference: created.pspReference,
      reference,
      amount: { amount: 4_840, currency: 'EUR' },
      idempotencyKey: `${reference}:refund:1`,
    });
    await sandbox.release(reference, { reverse: true });
    await statusOf(ledger, reference, 'REFUNDED');
    await until('the older charge.refunded', () => ledger.outcomes(reference).at(-1) === 'REFUND:ignored');
    expect(
      ledger.notifications
        .get(reference)!
        .filter((n) => n.kind === 'REFUND')
        .map((n) => n.refundedTotal),
    ).toEqual([7_840, 3_000]);
    // Charges do not carry the PaymentIntent's metadata: the ledger found the session by the PaymentIntent id.
    expect(ledger.notifications.get(reference)!.at(-1)!.merchantReference).toBeNull();

    const error = await expectPspError(
      adapter.refund({ pspReference: created.pspReference, reference, amount: { amount: 1, currency: 'EUR' }, idempotencyKey: `${reference}:refund:2` }),
      'rejected',
    );
    expect(error.details.pspCode).toBe('amount_too_large');
  });

  it('a declined card is a recorded attempt; the session stays payable', async () => {
    const reference = ledger.open(7840, 'EUR');
    sandbox.scenario(reference, { outcome: 'decline' });
    ledger.created('stripe', reference, await adapter.createPayment(input(reference)));
    await until('payment_failed', () => ledger.outcomes(reference).includes('ATTEMPT_FAILED:recorded'));
    expect(ledger.session(reference).status).toBe('REQUESTED');
    expect(ledger.notifications.get(reference)![0]).toMatchObject({ success: false, retryableByShopper: true, reason: 'generic_decline' });
  });

  it('an authorization that lapses uncaptured expires the session', async () => {
    const reference = ledger.open(7840, 'EUR');
    sandbox.scenario(reference, { outcome: 'expire' });
    ledger.created('stripe', reference, await adapter.createPayment(input(reference, { captureMode: 'manual' })));
    await statusOf(ledger, reference, 'EXPIRED');
    expect(ledger.outcomes(reference)).toEqual(['REQUEST:applied', 'AUTHORIZE:applied', 'EXPIRE:applied']);
  });

  it('cancels an authorized payment synchronously; the webhook restates it', async () => {
    const reference = ledger.open(7840, 'EUR');
    const created = await adapter.createPayment(input(reference, { captureMode: 'manual' }));
    ledger.created('stripe', reference, created);
    await statusOf(ledger, reference, 'AUTHORIZED');
    const cancelled = await adapter.cancel({ pspReference: created.pspReference, reference, idempotencyKey: `${reference}:cancel` });
    ledger.apply(reference, eventFromModification('stripe', 'cancel', { pspReference: created.pspReference }, cancelled, new Date())!);
    expect(ledger.session(reference).status).toBe('CANCELLED');
    await until('payment_intent.canceled', () => ledger.outcomes(reference).includes('CANCEL:duplicate'));
    await expectPspError(
      adapter.capture({ pspReference: created.pspReference, reference, amount: { amount: 7840, currency: 'EUR' }, idempotencyKey: `${reference}:capture` }),
      'rejected',
    );
  });

  it('duplicated events are dropped by event id', async () => {
    const reference = ledger.open(7840, 'EUR');
    sandbox.scenario(reference, { duplicate: true });
    ledger.created('stripe', reference, await adapter.createPayment(input(reference)));
    await sandbox.waitForDeliveries(reference, 4);
    await until('both copies', () => ledger.outcomes(reference).length === 3);
    expect(ledger.outcomes(reference)).toEqual(['REQUEST:applied', 'CAPTURE:applied', 'CAPTURE:duplicate']);
  });

  it('an event signed with another secret is refused with 401', async () => {
    const reference = ledger.open(7840, 'EUR');
    sandbox.scenario(reference, { badSignature: true });
    ledger.created('stripe', reference, await adapter.createPayment(input(reference)));
    const deliveries = await sandbox.waitForDeliveries(reference, 2);
    expect(deliveries.map((d) => d.status)).toEqual([401, 401]);
    expect(ledger.session(reference).status).toBe('REQUESTED');
  });

  it('maps a capture that never answers to a timeout', async () => {
    const reference = ledger.open(7840, 'EUR');
    sandbox.scenario(reference, { hang: ['capture'] });
    const created = await adapter.createPayment(input(reference, { captureMode: 'manual' }));
    ledger.created('stripe', reference, created);
    await statusOf(ledger, reference, 'AUTHORIZED');
    const error = await expectPspError(
      adapter.capture({ pspReference: created.pspReference, reference, amount: { amount: 7840, currency: 'EUR' }, idempotencyKey: `${reference}:capture` }),
      'timeout',
    );
    expect(error).toMatchObject({ operation: 'capture', outcomeUnknown: true });
  });
});

describe('Mollie adapter against the Mollie sandbox', () => {
  const SECRET = 'mollie_sandbox_secret';
  const ledger = new Ledger();
  let sandbox: PspSandbox;
  let adapter: PspAdapter;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver(() => adapter, ledger);
    // Both webhook systems at once: a classic call and a signed next-gen event (without snapshot) per change.
    sandbox = await startMollieSandbox({ apiKey: 'test_ipaysandbox', nextGen: { url: receiver.url, secret: SECRET, embedEntity: false } });
    adapter = createMollieAdapter({
      apiKey: 'test_ipaysandbox',
      apiUrl: sandbox.url,
      webhookUrl: receiver.url,
      webhookSigningSecrets: [SECRET],
      timeoutMs: TIMEOUT_MS,
    });
  });
  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });

  it('sends "78.40" for 7840 EUR, redirects to the checkout and learns "paid" by fetching the payment', async () => {
    const reference = ledger.open(7840, 'EUR');
    const created = await adapter.createPayment(input(reference, { method: 'ideal' }));
    expect(created).toMatchObject({
      status: 'REQUESTED',
      pspStatusCode: 'open',
      pspReference: expect.stringMatching(/^tr_/),
      action: { type: 'redirect', url: expect.stringContaining('/checkout/') },
    });
    expect(created.raw).toMatchObject({ amount: { currency: 'EUR', value: '78.40' }, metadata: { ipayReference: reference } });
    ledger.created('mollie', reference, created);
    await statusOf(ledger, reference, 'CONFIRMED');
    const deliveries = await sandbox.waitForDeliveries(reference, 2);
    expect(deliveries.map((d) => [d.describe, d.status])).toEqual([
      ['classic paid', 200],
      ['next-gen payment.paid', 200],
    ]);
    expect(deliveries[0]!.requestBody).toBe(`id=${created.pspReference}`);
    await until('both webhooks', () => ledger.outcomes(reference).length === 3);
    expect(ledger.outcomes(reference)).toEqual(['REQUEST:applied', 'CAPTURE:applied', 'CAPTURE:duplicate']);
  });

  it('zero-decimal currencies go out without decimals', async () => {
    const reference = ledger.open(1000, 'JPY');
    const created = await adapter.createPayment(input(reference, { amount: { amount: 1000, currency: 'JPY' } }));
    expect(created.raw).toMatchObject({ amount: { currency: 'JPY', value: '1000' } });
  });

  it('manual capture, capture, partial refund', async () => {
    const reference = ledger.open(7840, 'EUR');
    const created = await adapter.createPayment(input(reference, { captureMode: 'manual' }));
    ledger.created('mollie', reference, created);
    await statusOf(ledger, reference, 'AUTHORIZED');
    const captured = await adapter.capture({
      pspReference: created.pspReference,
      reference,
      amount: { amount: 7840, currency: 'EUR' },
      idempotencyKey: `${reference}:capture`,
    });
    expect(captured).toMatchObject({ outcome: 'succeeded', modificationReference: expect.stringMatching(/^cpt_/) });
    await statusOf(ledger, reference, 'CONFIRMED');
    const refund = await adapter.refund({
      pspReference: created.pspReference,
      reference,
      amount: { amount: 2_000, currency: 'EUR' },
      idempotencyKey: `${reference}:refund:0`,
    });
    expect(refund).toMatchObject({ outcome: 'pending', pspStatusCode: 'pending', modificationReference: expect.stringMatching(/^re_/) });
    const session = await statusOf(ledger, reference, 'PARTIALLY_REFUNDED');
    expect(session).toMatchObject({ capturedAmount: 7840, refundedAmount: 2000 });
  });

  it('declined, expired and cancelled payments close the session', async () => {
    const declined = ledger.open(7840, 'EUR');
    sandbox.scenario(declined, { outcome: 'decline' });
    ledger.created('mollie', declined, await adapter.createPayment(input(declined, { method: 'ideal' })));
    const expired = ledger.open(7840, 'EUR');
    sandbox.scenario(expired, { outcome: 'expire' });
    ledger.created('mollie', expired, await adapter.createPayment(input(expired, { method: 'ideal' })));
    const cancelled = ledger.open(7840, 'EUR');
    const toCancel = await adapter.createPayment(input(cancelled, { captureMode: 'manual' }));
    ledger.created('mollie', cancelled, toCancel);
    await statusOf(ledger, declined, 'FAILED');
    await statusOf(ledger, expired, 'EXPIRED');
    await statusOf(ledger, cancelled, 'AUTHORIZED');
    expect(await adapter.cancel({ pspReference: toCancel.pspReference, reference: cancelled, idempotencyKey: `${cancelled}:cancel` })).toMatchObject({
      outcome: 'succeeded',
      pspStatusCode: 'canceled',
    });
    await statusOf(ledger, cancelled, 'CANCELLED');
  });

  it('duplicated webhooks are dropped: the same payment state has the same event ids', async () => {
    const reference = ledger.open(7840, 'EUR');
    sandbox.scenario(reference, { duplicate: true });
    ledger.created('mollie', reference, await adapter.createPayment(input(reference)));
    await sandbox.waitForDeliveries(reference, 4);
    await until('four webhooks', () => ledger.outcomes(reference).length === 5);
    expect(ledger.outcomes(reference)).toEqual(['REQUEST:applied', 'CAPTURE:applied', 'CAPTURE:duplicate', 'CAPTURE:duplicate', 'CAPTURE:duplicate']);
  });

  it('a next-gen event with a bad signature is refused with 401; the classic call still tells the truth', async () => {
    const reference = ledger.open(7840, 'EUR');
    sandbox.scenario(reference, { badSignature: true });
    ledger.created('mollie', reference, await adapter.createPayment(input(reference)));
    const deliveries = await sandbox.waitForDeliveries(reference, 2);
    expect(deliveries.map((d) => [d.describe, d.status])).toEqual([
      ['classic paid', 200],
      ['next-gen payment.paid', 401],
    ]);
    await statusOf(ledger, reference, 'CONFIRMED');
  });

  it('answers 503 when fetching the payment times out, so Mollie calls again', async () => {
    const reference = ledger.open(7840, 'EUR');
    sandbox.scenario(reference, { hang: ['get'] });
    ledger.created('mollie', reference, await adapter.createPayment(input(reference)));
    const deliveries = await sandbox.waitForDeliveries(reference, 2);
    expect(deliveries.map((d) => d.status)).toEqual([503, 503]);
    expect(deliveries[0]!.responseBody).toContain('UPSTREAM_UNAVAILABLE');
    expect(ledger.session(reference).status).toBe('REQUESTED');
  });

  it('maps a create that never answers to a timeout, and problem+json errors to rejections', async () => {
    const reference = ledger.open(7840, 'EUR');
    sandbox.scenario(reference, { hang: ['create'] });
    await expectPspError(adapter.createPayment(input(reference)), 'timeout');
    const other = ledger.open(7840, 'EUR');
    const error = await expectPspError(adapter.createPayment(input(other, { description: '' })), 'rejected');
    expect(error.details).toMatchObject({ httpStatus: 422, field: 'description' });
  });
});
