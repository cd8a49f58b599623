import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { NatsEventBus, SANDBOX_MERCHANTS, SANDBOX_ORDERS, createLogger, newId, type DomainEvent, type EventBus } from '@ipay/platform';
import { createGateway } from '@ipay/gateway';
import { AS_OPERATOR, SANDBOX_KEYS, startTestSystem, type TestSystem } from '../support.ts';

const [acme, nordic] = SANDBOX_MERCHANTS as [(typeof SANDBOX_MERCHANTS)[number], (typeof SANDBOX_MERCHANTS)[number]];
const acmeOrder = SANDBOX_ORDERS.find((o) => o.merchantId === acme.id && o.status === 'DELIVERED')!;
const nordicOrder = SANDBOX_ORDERS.find((o) => o.merchantId === nordic.id && o.status === 'DELIVERED')!;

export function wsClient(gatewayUrl: string, authorization: string | null, options: Partial<Parameters<typeof createClient>[0]> = {}): Client {
  return createClient({
    url: gatewayUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: authorization ? { authorization } : {},
    retryAttempts: 0,
    lazy: true,
    ...options,
  });
}

/** Collects a subscription's results until `count` arrived (or the timeout). */
export function collect(client: Client, query: string, variables: Record<string, unknown>, count: number, timeoutMs = 10_000) {
  const results: any[] = [];
  let dispose: () => void = () => {};
  const done = new Promise<any[]>((resolve, reject) => {
    const timer = setTimeout(() => (dispose(), reject(new Error(`timed out with ${results.length}/${count}: ${JSON.stringify(results)}`))), timeoutMs);
    dispose = client.subscribe(
      { query, variables },
      {
        next: (value) => {
          results.push(value);
          if (results.length >= count) {
            clearTimeout(timer);
            dispose();
            resolve(results);
          }
        },
        error: (error) => {
          clearTimeout(timer);
          // A refused or dropped socket arrives as its CloseEvent: keep the code, which is what the tests assert.
          const code = (error as { code?: unknown }).code;
          if (typeof code === 'number')
            reject(Object.assign(new Error(`socket closed ${code}: ${(error as { reason?: string }).reason ?? ''}`), { closeCode: code }));
          else reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        },
        complete: () => (clearTimeout(timer), resolve(results)),
      },
    );
  });
  return { done, results, stop: () => dispose() };
}

export function orderEvent(order: (typeof SANDBOX_ORDERS)[number], to = 'PAID', livemode = false): DomainEvent {
  return {
    id: newId('evt'),
    type: 'order.status_changed',
    version: 1,
    occurredAt: new Date().toISOString(),
    source: 'test',
    merchantId: order.merchantId,
    livemode,
    carrierCode: null,
    subjectType: 'Order',
    subjectId: order.id,
    payload: { order_id: order.id, merchant: 'x', from: order.status, to },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

/**
 * Subscribing is asynchronous (connect, authenticate, plan, attach to the bus), so tests anchor on an event
 * published first and subscribe after it: what follows is delivered whatever the timing.
 */
async function anchor(bus: EventBus): Promise<string> {
  const event = orderEvent(nordicOrder, 'CANCELLED');
  await bus.publish([event]);
  return event.id;
}

const ORDER_FEED = /* GraphQL */ `
  subscription ($orderId: ID, $lastEventId: ID) {
    orderEvents(orderId: $orderId, lastEventId: $lastEventId) {
      eventId
      type
      payload
      order {
        merchantReference
        merchant {
          name
        }
        paymentSession {
          status
        }
        shipment {
          status
        }
        settlement {
          status
        }
      }
    }
  }
`;

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const natsStream = () => {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
  return { stream: `IPAY_TEST_${suffix}`, subjectPrefix: `ipay.test.${suffix}` };
};

// The same behaviour on both buses: the SQL log (one machine) and NATS JetStream (several).
describe.each(['sql', 'nats'] as const)('federated subscriptions over graphql-ws (%s bus)', (kind) => {
  let system: TestSystem;
  let bus: EventBus;
  let natsBus: NatsEventBus | undefined;
  beforeAll(async () => {
    natsBus = kind === 'nats' ? await NatsEventBus.connect(NATS_URL, createLogger('test', 'silent'), natsStream()) : undefined;
    system = await startTestSystem({ seed: true, bus: natsBus });
    bus = system.bus;
  });
  afterAll(async () => {
    await system?.stop();
    // Only the bus this suite opened; one startTestSystem opened is closed by it.
    if (natsBus) {
      await natsBus.destroy();
      await natsBus.close();
    }
  });

  it('resolves fields of all five subgraphs per event, planned by the federation query planner', async () => {
    const client = wsClient(system.gatewayUrl, AS_OPERATOR.authorization);
    const sub = collect(client, ORDER_FEED, { orderId: acmeOrder.id, lastEventId: await anchor(bus) }, 1);
    await bus.publish([orderEvent(nordicOrder), orderEvent(acmeOrder)]);
    const [result] = await sub.done;
    expect(result.errors).toBeUndefined();
    expect(result.data.orderEvents).toMatchObject({
      type: 'order.status_changed',
      payload: { order_id: acmeOrder.id, to: 'PAID' },
      order: {
        merchantReference: acmeOrder.reference,
        merchant: { name: 'Acme Shop' },
        paymentSession: { status: 'CONFIRMED' },
        shipment: { status: 'DELIVERED' },
        settlement: { status: 'OPEN' },
      },
    });
    await client.dispose();
  });

  it('selects fields of three subgraphs and receives them on mutations in a fourth', async () => {
    // commerce owns orderEvents; the selection reaches identity (merchant) and payments (session). The trigger is
    // a mutation in payments: its payment.requested moves the order (commerce consumes it), which emits the event.
    const reference = `SUB-${randomUUID().slice(0, 8)}`;
    const created = await system.query(`mutation($input: CreateOrderInput!, $key: String!) { createOrder(input: $input, idempotencyKey: $key) { id } }`, {
      key: reference,
      input: {
        merchantId: acme.id,
        merchantReference: reference,
        currency: 'EUR',
        customer: { name: 'Sub Scriber', email: 'sub@example.com' },
        shippingAddress: { name: 'Sub Scriber', line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 LG', country: 'NL' },
        lines: [{ sku: 'S-1', name: 'Socks', quantity: 1, unitAmount: 1500 }],
        totalAmount: 1500,
      },
    });
    const orderId = created.body.data.createOrder.id;
    const client = wsClient(system.gatewayUrl, AS_OPERATOR.authorization);
    const sub = collect(
      client,
      `subscription($orderId: ID, $after: ID) { orderEvents(orderId: $orderId, types: ["order.status_changed"], lastEventId: $after) { type payload order { status merchant { name } paymentSession { reference status } } } }`,
      { orderId, after: await anchor(bus) },
      1,
      20_000,
    );
    // payments learns the order from order.created asynchronously: retry until it can start the session.
    let started: any;
    for (let i = 0; i < 100 && !started; i += 1) {
      const result = await system.query(`mutation($input: StartPaymentSessionInput!) { startPaymentSession(input: $input) { id reference } }`, {
        input: { orderId, psp: 'ADYEN', method: 'card', idempotencyKey: reference },
      });
      started = result.body.data?.startPaymentSession;
      if (!started) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(started).toBeTruthy();
    const [result] = await sub.done;
    expect(result.errors).toBeUndefined();
    expect(result.data.orderEvents).toMatchObject({
      type: 'order.status_changed',
      payload: { order_id: orderId, to: 'AWAITING_PAYMENT' },
      order: { merchant: { name: 'Acme Shop' }, paymentSession: { reference: started.reference } },
    });
    await client.dispose();
  });

  it('delivers a mutation’s event from another subgraph (identity’s operator feed on createMerchant)', async () => {
    const client = wsClient(system.gatewayUrl, AS_OPERATOR.authorization);
    const sub = collect(
      client,
      `subscription($after: ID) { events(types: ["merchant.created"], lastEventId: $after) { type merchantId payload } }`,
      { after: await anchor(bus) },
      1,
    );
    const slug = `live-feed-${randomUUID().slice(0, 8)}`;
    const created = await system.query(
      `mutation($s: String!) { createMerchant(input: { slug: $s, name: "Feed Shop", country: "NL", defaultCurrency: "EUR" }) { id } }`,
      { s: slug },
    );
    const [result] = await sub.done;
    expect(result.data.events).toMatchObject({ type: 'merchant.created', merchantId: created.body.data.createMerchant.id, payload: { merchant: slug } });
    await client.dispose();
  });

  it('gives a merchant only its own events, in its own mode', async () => {
    const client = wsClient(system.gatewayUrl, `Bearer ${SANDBOX_KEYS['acme-owner']}`);
    const sub = collect(
      client,
      `subscription($after: ID) { orderEvents(lastEventId: $after) { type order { merchantReference } } }`,
      { after: await anchor(bus) },
      1,
    );
    await bus.publish([orderEvent(nordicOrder), orderEvent(acmeOrder, 'PAID', true), orderEvent(acmeOrder, 'OUT_FOR_DELIVERY')]);
    const [result] = await sub.done;
    expect(result.data.orderEvents.order.merchantReference).toBe(acmeOrder.reference);
    await settle();
    expect(sub.results).toHaveLength(1);
    await client.dispose();
  });

  it('resumes after the last event id seen: what was missed, in order, then live', async () => {
    const client = wsClient(system.gatewayUrl, AS_OPERATOR.authorization);
    const first = collect(client, ORDER_FEED, { orderId: acmeOrder.id, lastEventId: await anchor(bus) }, 1);
    const seen = orderEvent(acmeOrder, 'PAID');
    await bus.publish([seen]);
    const [firstResult] = await first.done;
    expect(firstResult.data.orderEvents.eventId).toBe(seen.id);
    await client.dispose();

    // Disconnected: three events happen meanwhile.
    const missed = ['OUT_FOR_DELIVERY', 'RELEASED', 'DELIVERED'].map((to) => orderEvent(acmeOrder, to));
    for (const event of missed) await bus.publish([event]);

    const again = wsClient(system.gatewayUrl, AS_OPERATOR.authorization);
    const resumed = collect(again, ORDER_FEED, { orderId: acmeOrder.id, lastEventId: seen.id }, 4);
    const live = orderEvent(acmeOrder, 'RETURNED');
    await bus.publish([live]);
    const results = await resumed.done;
    expect(results.map((r) => r.data.orderEvents.eventId)).toEqual([...missed.map((e) => e.id), live.id]);
    await again.dispose();
  });

  it('refuses a connection without valid credentials and enforces limits', async () => {
    const anonymous = wsClient(system.gatewayUrl, null);
    // graphql-ws closes a refused connection_init with 4403 Forbidden.
    await expect(collect(anonymous, ORDER_FEED, {}, 1).done).rejects.toMatchObject({ closeCode: 4403 });
    const forged = wsClient(system.gatewayUrl, 'Bearer ipk_test_' + 'x'.repeat(40));
    await expect(collect(forged, ORDER_FEED, {}, 1).done).rejects.toMatchObject({ closeCode: 4403 });

    // connection_init must come in time.
    const silent = new WebSocket(system.gatewayUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const closed = await new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
    expect(closed).toBe(4408);

    // Only subscriptions over WebSocket; and an oversized message closes the socket.
    const client = wsClient(system.gatewayUrl, AS_OPERATOR.authorization);
    const query = await collect(client, `{ carriers { code } }`, {}, 1, 3000).done.catch((e) => e);
    expect(JSON.stringify(query)).toMatch(/only subscriptions/);
    const huge = wsClient(system.gatewayUrl, AS_OPERATOR.authorization);
    // Over the 64 KiB frame limit: ws closes with 1009 (message too big) before graphql-ws parses anything.
    await expect(collect(huge, `subscription { events { type } } # ${'x'.repeat(70_000)}`, {}, 1).done).rejects.toMatchObject({ closeCode: 1009 });
    await client.dispose();
    await huge.dispose();
  });

  it('streams live KPI counters from finance as events move them, counting each event once', async () => {
    const owner = { authorization: `Bearer ${SANDBOX_KEYS['acme-owner']}` };
    const today = new Date().toISOString().slice(0, 10);
    const countNow = async () => {
      const { body } = await system.query(
        `query($m: ID!, $d: String) { kpis(merchantId: $m, day: $d) { counters { metric count } } }`,
        { m: acme.id, d: today },
        owner,
      );
      return body.data.kpis.counters.find((c: any) => c.metric === 'orders_created')?.count ?? 0;
    };
    const baseline = await countNow();
    const client = wsClient(system.gatewayUrl, owner.authorization);
    const kpis = collect(
      client,
      `subscription($after: ID) { kpis(lastEventId: $after) { type snapshot { merchantId counters { metric count amount { amount currency } } } } }`,
      { after: await anchor(bus) },
      2,
    );
    const created = (amountMinor: number): DomainEvent => ({
      ...orderEvent(acmeOrder),
      id: newId('evt'),
      type: 'order.created',
      payload: { order_id: acmeOrder.id, merchant: 'acme-shop', total: { amount: amountMinor / 100, amount_minor: amountMinor, currency: 'EUR' } },
    });
    const first = created(1250);
    await bus.publish([first, first, created(750)]); // the duplicate is stored once and counted once
    const results = await kpis.done;
    const last = results.at(-1).data.kpis.snapshot;
    const counter = last.counters.find((c: any) => c.metric === 'orders_created');
    expect(last.merchantId).toBe(acme.id);
    // Snapshots show the counters at delivery time; the duplicate was counted once.
    expect(counter.count).toBe(baseline + 2);
    expect(counter.amount.currency).toBe('EUR');
    expect(await countNow()).toBe(baseline + 2);
    const foreign = await system.query(`query($m: ID!) { kpis(merchantId: $m) { day } }`, { m: nordic.id }, owner);
    expect(foreign.body.errors[0].extensions.code).toBe('NOT_FOUND');
    await client.dispose();
  });

  it('caps subscriptions per connection', async () => {
    const client = wsClient(system.gatewayUrl, AS_OPERATOR.authorization);
    const subs = Array.from({ length: 21 }, () => collect(client, `subscription { events { type } }`, {}, 1, 3000));
    // Exactly one of the 21 is refused (whichever the server counted 21st); the others stay open until stopped.
    const outcomes = await Promise.all(
      subs.map((s) =>
        s.done.then(
          () => 'open',
          (e: Error) => e.message,
        ),
      ),
    );
    expect(outcomes.filter((outcome) => /at most 20 subscriptions/.test(outcome))).toHaveLength(1);
    subs.forEach((s) => s.stop());
    await client.dispose();
  });
});

describe('two gateways on one NATS stream', () => {
  it('both deliver events to their own clients', async () => {
    const names = natsStream();
    const logger = createLogger('test', 'silent');
    const busA = await NatsEventBus.connect(NATS_URL, logger, names);
    const busB = await NatsEventBus.connect(NATS_URL, logger, names);
    const system = await startTestSystem({ seed: true, bus: busA });
    // A second gateway process would do the same: its own NATS connection, the same subgraphs.
    const second = await createGateway({ subgraphUrls: system.subgraphUrls, bus: busB, logger, database: system.database.target });
    const port = await second.listen(0, '127.0.0.1');
    try {
      const clientA = wsClient(system.gatewayUrl, AS_OPERATOR.authorization);
      const clientB = wsClient(`http://127.0.0.1:${port}/graphql`, AS_OPERATOR.authorization);
      const query = `subscription($after: ID) { events(types: ["merchant.created"], lastEventId: $after) { type payload } }`;
      const after = await anchor(busA);
      const a = collect(clientA, query, { after }, 1);
      const b = collect(clientB, query, { after }, 1);
      const slug = `nats-${randomUUID().slice(0, 8)}`;
      await system.query(`mutation($s: String!) { createMerchant(input: { slug: $s, name: "Nats Shop", country: "NL", defaultCurrency: "EUR" }) { id } }`, {
        s: slug,
      });
      const [[fromA], [fromB]] = await Promise.all([a.done, b.done]);
      expect(fromA.data.events.payload.merchant).toBe(slug);
      expect(fromB.data.events.payload.merchant).toBe(slug);
      await clientA.dispose();
      await clientB.dispose();
    } finally {
      await second.stop();
      await system.stop();
      await busA.destroy();
      await busA.close();
      await busB.close();
    }
  });
});

describe('a slow subscriber', () => {
  it('is paced from the log past its queue: it gets every event once and in order, and other subscribers keep receiving', async () => {
    const system = await startTestSystem({ seed: true, subscriptionLimits: { maxQueuedEvents: 5 } });
    try {
      const client = wsClient(system.gatewayUrl, AS_OPERATOR.authorization);
      const after = await anchor(system.bus);
      // Five subgraphs per event is slow next to a burst of 50 events arriving at once: the queue of 5 fills at once.
      const slow = collect(client, ORDER_FEED.replace('$orderId: ID, ', '').replace('orderId: $orderId, ', ''), { lastEventId: after }, 51, 120_000);
      const fast = collect(
        client,
        `subscription($after: ID) { events(types: ["order.status_changed"], merchantId: "${nordic.id}", lastEventId: $after) { eventId } }`,
        { after },
        1,
        120_000,
      );
      const burst = Array.from({ length: 50 }, () => orderEvent(acmeOrder, 'PAID'));
      const target = orderEvent(nordicOrder, 'PAID');
      await system.bus.publish([...burst, target]);
      const [received] = await fast.done;
      expect(received.data.events.eventId).toBe(target.id);
      const slowResults = await slow.done;
      expect(slowResults.filter((r) => r.errors)).toEqual([]);
      expect(slowResults.map((r) => r.data.orderEvents.eventId)).toEqual([...burst, target].map((e) => e.id));
      await client.dispose();
    } finally {
      await system.stop();
    }
  });
});
