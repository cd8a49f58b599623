import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS, SANDBOX_ORDERS } from '@ipay/platform';
import { SANDBOX_PASSWORD } from '@ipay/identity/src/sandbox/seed.ts';
import { SANDBOX_KEYS, bearer, startTestSystem, type TestSystem } from '../support.ts';
import { PARCEL, eventually } from '../logistics/logistics.support.ts';

const [acme, nordic] = SANDBOX_MERCHANTS as [(typeof SANDBOX_MERCHANTS)[number], (typeof SANDBOX_MERCHANTS)[number]];
const AS_ACME = bearer(SANDBOX_KEYS['acme-owner']!);
const AS_NORDIC = bearer(SANDBOX_KEYS['nordic-owner']!);
const codeOf = (body: { errors?: { extensions?: Record<string, unknown> }[] }) => body.errors?.[0]?.extensions?.code;
const nordicOrder = SANDBOX_ORDERS.find((o) => o.merchantId === nordic.id && o.status === 'AWAITING_PAYMENT')!;

const CREATE_ORDER = `mutation($input: CreateOrderInput!, $key: String!) { createOrder(input: $input, idempotencyKey: $key) { id merchantReference } }`;
const ISSUE = `mutation($o: ID!, $l: String) { issueConsumerToken(orderId: $o, locale: $l) { accessToken tokenType expiresIn tokenId orderId locale } }`;
const ACCESS = `mutation($input: ConsumerAccessInput!) { consumerAccess(input: $input) { accessToken orderId locale } }`;
const ORDER = `query($id: ID!) { order(id: $id) { id merchantReference status } }`;
const START = `mutation($input: StartPaymentSessionInput!) { startPaymentSession(input: $input) { id status reference amount { amount currency } } }`;
const SIMULATE = `mutation($id: ID!) { simulateSandboxPayment(sessionId: $id, outcome: SUCCEED) { id status } }`;
const RELEASE_CODE = `query($o: ID!) { releaseCode(orderId: $o) { code qrToken release { status locationType } } }`;
const CREATE_SHIPMENT = `mutation($input: CreateShipmentInput!) { createShipment(input: $input) { shipment { id trackingNumber } } }`;

describe('consumer tokens and consumer flows', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ seed: true, authCacheTtlMs: 0 });
  });
  afterAll(() => system?.stop());

  /** A new acme order shipping to a postal code, once identity has projected it (it issues tokens for it then). */
  const newOrder = async (postalCode = '1012 AB', headers = AS_ACME, amount = 7840) => {
    const reference = `CONS-${randomUUID().slice(0, 8).toUpperCase()}`;
    const input = {
      merchantId: acme.id,
      merchantReference: reference,
      currency: 'EUR',
      customer: { name: 'Emma de Vries', email: 'emma@example.com' },
      shippingAddress: { name: 'Emma de Vries', line1: 'Damrak 1', city: 'Amsterdam', postalCode, country: 'NL' },
      lines: [{ sku: 'SKU-1', name: 'Lamp', quantity: 1, unitAmount: amount }],
      totalAmount: amount,
    };
    const { body } = await system.query(CREATE_ORDER, { input, key: randomUUID() }, headers);
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return { id: body.data.createOrder.id as string, reference };
  };
  const issue = async (orderId: string, headers = AS_ACME, locale?: string) =>
    eventually(async () => {
      const { body } = await system.query(ISSUE, { o: orderId, l: locale }, headers);
      if (codeOf(body) === 'NOT_FOUND') return undefined; // identity has not seen order.created yet
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data.issueConsumerToken as { accessToken: string; tokenId: string; orderId: string; locale: string };
    }, 20_000);

  it('issues a token for an order to its merchant only; the consumer is a CONSUMER reaching that one order', async () => {
    const order = await newOrder();
    const token = await issue(order.id, AS_ACME, 'nl-BE');
    expect(token).toMatchObject({ orderId: order.id, locale: 'nl-BE' });
    const consumer = bearer(token.accessToken);
    const viewer = await system.query(`{ viewer { kind livemode grants { permission scope { kind orderId merchantIds } } } }`, {}, consumer);
    expect(viewer.body.data.viewer.kind).toBe('CONSUMER');
    expect(viewer.body.data.viewer.livemode).toBe(false);
    for (const grant of viewer.body.data.viewer.grants) expect(grant.scope).toEqual({ kind: 'ORDER', orderId: order.id, merchantIds: [acme.id] });
    expect(viewer.body.data.viewer.grants.map((g: { permission: string }) => g.permission)).toEqual(
      expect.arrayContaining(['orders:read', 'payments:create', 'shipments:read', 'releases:read']),
    );

    // Another merchant cannot issue tokens for acme's order; the consumer cannot issue any.
    expect(codeOf((await system.query(ISSUE, { o: order.id }, AS_NORDIC)).body)).toBe('NOT_FOUND');
    expect(codeOf((await system.query(ISSUE, { o: order.id }, consumer)).body)).toBe('FORBIDDEN');
    expect(codeOf((await system.query(ISSUE, { o: order.id }, bearer(SANDBOX_KEYS['acme-read-only']!))).body)).toBe('FORBIDDEN');
  });

  it('isolates the consumer over GraphQL: its order only, no other order, no other merchant, no merchant data', async () => {
    const mine = await newOrder();
    const other = await newOrder();
    const consumer = bearer((await issue(mine.id)).accessToken);
    expect((await system.query(ORDER, { id: mine.id }, consumer)).body.data.order).toMatchObject({ id: mine.id, merchantReference: mine.reference });
    expect(codeOf((await system.query(ORDER, { id: other.id }, consumer)).body)).toBe('NOT_FOUND');
    expect(codeOf((await system.query(ORDER, { id: nordicOrder.id }, consumer)).body)).toBe('NOT_FOUND');
    // Lists hold the one order.
    const list = await system.query(`{ orders(first: 50) { edges { node { id } } } }`, {}, consumer);
    expect(list.body.data.orders.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([mine.id]);
    // Merchant data and merchant actions are out of reach.
    expect(codeOf((await system.query(`query($id: ID!) { merchant(id: $id) { id name } }`, { id: acme.id }, consumer)).body)).toBe('FORBIDDEN');
    expect(codeOf((await system.query(`query($m: ID!) { webhookEndpoints(merchantId: $m) { id } }`, { m: acme.id }, consumer)).body)).toBe('FORBIDDEN');
    expect(codeOf((await system.query(`mutation($id: ID!) { cancelOrder(id: $id, reason: "x") { id } }`, { id: mine.id }, consumer)).body)).toBe('FORBIDDEN');
    expect(codeOf((await system.query(`{ auditTrail { commerce { records(first: 1) { edges { node { id } } } } } }`, {}, consumer)).body)).toBe('FORBIDDEN');
    // Paying or reading the code of another order: it does not exist for this consumer.
    const start = (orderId: string) => system.query(START, { input: { orderId, psp: 'ADYEN', method: 'ideal', idempotencyKey: randomUUID() } }, consumer);
    expect(codeOf((await start(other.id)).body)).toBe('NOT_FOUND');
    expect(codeOf((await start(nordicOrder.id)).body)).toBe('NOT_FOUND');
    expect(codeOf((await system.query(RELEASE_CODE, { o: other.id }, consumer)).body)).toBe('NOT_FOUND');
  });

  it('isolates the consumer over REST with the same codes', async () => {
    const mine = await newOrder();
    const other = await newOrder();
    const token = (await issue(mine.id)).accessToken;
    const rest = (path: string, init: RequestInit = {}) =>
      fetch(new URL(path, system.gatewayUrl), {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
      });
    const foreign = await rest(`/v1/orders/${other.id}`);
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get('content-type')).toContain('application/problem+json');
    expect((await rest(`/v1/orders/${nordicOrder.id}`)).status).toBe(404);
    expect((await rest(`/v1/merchants/${acme.id}`)).status).toBe(403);
    expect((await rest(`/v1/consumer/orders/${other.id}/release-code`)).status).toBe(404);
    const pay = await rest('/v1/consumer/payment-sessions', {
      method: 'POST',
      body: JSON.stringify({ orderId: nordicOrder.id, psp: 'ADYEN', method: 'ideal', idempotencyKey: randomUUID() }),
    });
    expect(pay.status).toBe(404);
    const consumerOrder = await rest('/v1/consumer/order');
    expect(consumerOrder.status).toBe(200);
    expect(await consumerOrder.json()).toMatchObject({ orderId: mine.id, merchantName: acme.name, order: { id: mine.id } });
    // A merchant's key is not a consumer.
    const asMerchant = await fetch(new URL('/v1/consumer/order', system.gatewayUrl), { headers: AS_ACME });
    expect(asMerchant.status).toBe(403);
  });

  it('never reaches the other mode: a live consumer token and a sandbox one each see only their own mode', async () => {
    const login = await system.query(
      `mutation($e: String!, $p: String!) { login(email: $e, password: $p, livemode: true) { accessToken } }`,
      { e: 'owner@acme-shop.test', p: SANDBOX_PASSWORD },
      {},
    );
    const liveOwner = bearer(login.body.data.login.accessToken);
    const liveOrder = await newOrder('1012 AB', liveOwner);
    const sandboxOrder = await newOrder();
    const liveToken = await issue(liveOrder.id, liveOwner);
    const sandboxToken = await issue(sandboxOrder.id);
    // The sandbox merchant key cannot even issue a token for the live order.
    expect(codeOf((await system.query(ISSUE, { o: liveOrder.id }, AS_ACME)).body)).toBe('NOT_FOUND');
    const live = bearer(liveToken.accessToken);
    const sandbox = bearer(sandboxToken.accessToken);
    expect((await system.query(`{ viewer { livemode } }`, {}, live)).body.data.viewer.livemode).toBe(true);
    expect((await system.query(ORDER, { id: liveOrder.id }, live)).body.data.order.id).toBe(liveOrder.id);
    expect(codeOf((await system.query(ORDER, { id: sandboxOrder.id }, live)).body)).toBe('NOT_FOUND');
    expect(codeOf((await system.query(ORDER, { id: liveOrder.id }, sandbox)).body)).toBe('NOT_FOUND');
    const start = await system.query(START, { input: { orderId: sandboxOrder.id, psp: 'ADYEN', method: 'ideal', idempotencyKey: randomUUID() } }, live);
    expect(['NOT_FOUND', 'BAD_USER_INPUT']).toContain(codeOf(start.body)); // live PSPs are not configured here; never the sandbox order
    const rest = await fetch(new URL(`/v1/orders/${sandboxOrder.id}`, system.gatewayUrl), { headers: live });
    expect(rest.status).toBe(404);
  });

  it('stops working at once when revoked', async () => {
    const order = await newOrder();
    const token = await issue(order.id);
    const consumer = bearer(token.accessToken);
    expect((await system.query(ORDER, { id: order.id }, consumer)).body.data.order.id).toBe(order.id);
    expect(codeOf((await system.query(`mutation($id: ID!) { revokeConsumerToken(id: $id) }`, { id: token.tokenId }, AS_NORDIC)).body)).toBe('NOT_FOUND');
    expect((await system.query(`mutation($id: ID!) { revokeConsumerToken(id: $id) }`, { id: token.tokenId }, AS_ACME)).body.data.revokeConsumerToken).toBe(
      true,
    );
    const after = await system.query(ORDER, { id: order.id }, consumer);
    expect(after.status).toBe(401);
    expect(codeOf(after.body)).toBe('UNAUTHENTICATED');
  });

  it('gives a token for reference + postal code, the same refusal for any wrong answer, and locks guessing out', async () => {
    const order = await newOrder('3011 CD');
    await issue(order.id); // waits until identity knows the order
    const access = (reference: string, postalCode: string, headers: Record<string, string> = {}) =>
      system.query(ACCESS, { input: { reference, postalCode, livemode: false, locale: 'fr-BE' } }, headers);
    const ok = await access(order.reference.toLowerCase(), ' 3011cd ');
    expect(ok.body.data.consumerAccess).toMatchObject({ orderId: order.id, locale: 'fr-BE' });
    // Live mode has no such order.
    const liveTry = await system.query(ACCESS, { input: { reference: order.reference, postalCode: '3011CD', livemode: true } }, {});
    expect(codeOf(liveTry.body)).toBe('UNAUTHENTICATED');
    const wrongReference = await access('NOPE-1', '3011CD');
    expect(codeOf(wrongReference.body)).toBe('UNAUTHENTICATED');
    const wrongOverRest = await fetch(new URL('/v1/consumer/access', system.gatewayUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reference: 'NOPE-2', postalCode: '3011CD', livemode: false }),
    });
    expect(wrongOverRest.status).toBe(401);
    for (let i = 0; i < 5; i += 1) expect(codeOf((await access(order.reference, '9999ZZ')).body)).toBe('UNAUTHENTICATED');
    // Five wrong postal codes for this reference: even the right one is refused now, over REST with Retry-After.
    const locked = await access(order.reference, '3011CD');
    expect(codeOf(locked.body)).toBe('RATE_LIMITED');
    const rest = await fetch(new URL('/v1/consumer/access', system.gatewayUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reference: order.reference, postalCode: '3011CD', livemode: false }),
    });
    expect(rest.status).toBe(429);
    expect(Number(rest.headers.get('retry-after'))).toBeGreaterThan(0);
    // The token obtained before the lockout still works; texts come in its locale.
    const consumer = bearer(ok.body.data.consumerAccess.accessToken);
    const view = await system.query(`{ consumerOrder { orderId locale paymentText { locale source text } } }`, {}, consumer);
    expect(view.body.data.consumerOrder).toEqual({
      orderId: order.id,
      locale: 'fr-BE',
      paymentText: { locale: 'fr', source: 'PLATFORM', text: 'Payez 78,40\u00a0€ à Acme Shop' },
    });
    // The client's Accept-Language wins over the token's locale, over GraphQL and REST.
    const german = await system.query(
      `{ consumerOrder { locale paymentText { locale text } } }`,
      {},
      { ...consumer, 'accept-language': 'ja;q=0.9, de-AT;q=0.8, en;q=0.1' },
    );
    expect(german.body.data.consumerOrder).toEqual({ locale: 'de-AT', paymentText: { locale: 'de', text: 'Zahlen Sie 78,40\u00a0€ an Acme Shop' } });
    const dutch = await fetch(new URL('/v1/consumer/order', system.gatewayUrl), { headers: { ...consumer, 'accept-language': 'nl-NL' } });
    expect(((await dutch.json()) as { paymentText: unknown }).paymentText).toEqual({
      key: 'consumer.payment.due',
      locale: 'nl',
      text: 'Betaal €\u00a078,40 aan Acme Shop',
    });
  });

  it('lets no more than 5 concurrent wrong guesses through for a reference (the rest are RATE_LIMITED)', async () => {
    const order = await newOrder('5611 AA');
    await issue(order.id);
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => system.query(ACCESS, { input: { reference: order.reference, postalCode: `${1000 + i}XX`, livemode: false } }, {})),
    );
    const codes = guesses.map((g) => codeOf(g.body));
    expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(5);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(7);
  });

  it('pays on arrival with the consumer token in the sandbox, then tracks the parcel and reveals the release code', async () => {
    const order = await newOrder('1012 AB', AS_ACME, 12_345);
    const token = await issue(order.id, AS_ACME, 'nl-BE');
    const consumer = bearer(token.accessToken);
    const shipment = await eventually(async () => {
      const { body } = await system.query(
        CREATE_SHIPMENT,
        { input: { orderId: order.id, serviceLevel: 'PICKUP_POINT', deliveryMethod: 'PICKUP_POINT', parcel: PARCEL } },
        AS_ACME,
      );
      if (body.errors && codeOf(body) !== 'NOT_FOUND') throw new Error(JSON.stringify(body.errors)); // NOT_FOUND: logistics has not seen the order yet
      return body.data?.createShipment?.shipment as { id: string; trackingNumber: string } | undefined;
    }, 20_000);

    // Before paying: no release code; the texts say what to pay, in Dutch (nl-BE → nl).
    expect(codeOf((await system.query(RELEASE_CODE, { o: order.id }, consumer)).body)).toBe('NOT_FOUND');
    const before = await system.query(
      `query($v: JSON) { consumerOrder { paymentText { text } pending: message(key: "consumer.pickup.code_pending") { text } pickup: message(key: "consumer.pickup.instructions", values: $v) { text } } }`,
      { v: { method: 'PICKUP_POINT' } },
      consumer,
    );
    expect(before.body.data.consumerOrder).toEqual({
      paymentText: { text: 'Betaal €\u00a0123,45 aan Acme Shop' },
      pending: { text: 'Je vrijgavecode verschijnt hier zodra je betaling bevestigd is.' },
      pickup: { text: 'Haal je pakket op bij het afhaalpunt: toon de vrijgavecode of QR-code aan de balie.' },
    });

    // Start, then resume with the same key: one session.
    const input = { orderId: order.id, psp: 'ADYEN', method: 'ideal', idempotencyKey: `consumer-${order.id}` };
    const started = await eventually(async () => {
      const { body } = await system.query(START, { input }, consumer);
      return body.data?.startPaymentSession as { id: string; status: string; amount: { amount: number } } | undefined;
    }, 20_000);
    expect(started.amount.amount).toBe(12_345);
    const resumed = await system.query(START, { input }, consumer);
    expect(resumed.body.data.startPaymentSession.id).toBe(started.id);
    expect((await system.query(SIMULATE, { id: started.id }, consumer)).body.errors).toBeUndefined();

    // Once payment is confirmed the consumer reads its code and QR token, and its order is PAID.
    const code = await eventually(
      async () =>
        (await system.query(RELEASE_CODE, { o: order.id }, consumer)).body.data?.releaseCode as
          { code: string; qrToken: string; release: { locationType: string } } | undefined,
      20_000,
    );
    expect(code.code).toMatch(/^\d{6}$/);
    expect(code.qrToken).toMatch(/^ipr1\./);
    expect(code.release.locationType).toBe('PICKUP_POINT');
    await eventually(async () => (await system.query(ORDER, { id: order.id }, consumer)).body.data?.order?.status === 'PAID', 20_000);

    // Tracking: the carrier's scans as the consumer sees them, over REST.
    await system.query(`mutation($id: ID!) { simulateCarrierScan(shipmentId: $id, scan: PICKED_UP) { shipment { status } } }`, { id: shipment.id }, AS_ACME);
    const tracking = await eventually(async () => {
      const response = await fetch(new URL('/v1/consumer/tracking', system.gatewayUrl), { headers: consumer });
      const body = (await response.json()) as { order: { shipment: { scans: { type: string }[]; trackingNumber: string } } };
      return body.order?.shipment?.scans?.length ? body : undefined;
    }, 20_000);
    expect(tracking.order.shipment).toMatchObject({ trackingNumber: shipment.trackingNumber, scans: [{ type: 'PICKED_UP' }] });
    // Identity learns the order is paid from order.status_changed.
    const paid = await eventually(async () => {
      const { body } = await system.query(`{ consumerOrder { paymentText { key text } } }`, {}, consumer);
      return body.data?.consumerOrder?.paymentText?.key === 'consumer.payment.paid' ? body.data.consumerOrder.paymentText : undefined;
    }, 20_000);
    expect(paid).toEqual({ key: 'consumer.payment.paid', text: 'Betaald: €\u00a0123,45' });
  });
});
