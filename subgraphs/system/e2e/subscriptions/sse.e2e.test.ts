import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS, SANDBOX_ORDERS, newId, type DomainEvent, type EventBus } from '@ipay/platform';
import { AS_OPERATOR, SANDBOX_KEYS, startTestSystem, type TestSystem } from '../support.ts';

/** GraphQL over SSE (graphql-sse, distinct connections) read with nothing but fetch: what `curl -N` sees. */

const [acme, nordic] = SANDBOX_MERCHANTS as [(typeof SANDBOX_MERCHANTS)[number], (typeof SANDBOX_MERCHANTS)[number]];
const acmeOrder = SANDBOX_ORDERS.find((o) => o.merchantId === acme.id && o.status === 'DELIVERED')!;
const nordicOrder = SANDBOX_ORDERS.find((o) => o.merchantId === nordic.id && o.status === 'DELIVERED')!;

function orderEvent(order: (typeof SANDBOX_ORDERS)[number], to = 'PAID'): DomainEvent {
  return {
    id: newId('evt'),
    type: 'order.status_changed',
    version: 1,
    occurredAt: new Date().toISOString(),
    source: 'test',
    merchantId: order.merchantId,
    livemode: false,
    carrierCode: null,
    subjectType: 'Order',
    subjectId: order.id,
    payload: { order_id: order.id, merchant: 'x', from: order.status, to },
  };
}

interface SseMessage {
  id?: string;
  event: string;
  data: any;
}

const FEED = `subscription($orderId: ID, $merchantId: ID, $lastEventId: ID) {
  orderEvents(orderId: $orderId, merchantId: $merchantId, lastEventId: $lastEventId) { eventId type payload order { merchantReference merchant { name } } }
}`;

/** Waits for a condition (checked on every wake-up and every 100 ms), failing with `what` after `timeoutMs`. */
async function until(condition: () => boolean, what: () => string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Opens a stream and reads SSE messages off the body as they come.
 *
 * `close()` cancels the body's reader before it aborts the request: on Node 20 (undici 6) aborting a fetch whose
 * body has fully arrived but whose end the reader has not taken yet leaves that reader pending forever, neither
 * done nor AbortError. A stream the server completes at once (a refusal) lands exactly there, so a test that read
 * the refusal and then aborted hung in `close()`. `reader.cancel()` always settles the pending read.
 */
async function openStream(url: string, body: unknown, headers: Record<string, string>) {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  const messages: SseMessage[] = [];
  const waiters: (() => void)[] = [];
  let buffer = '';
  let ended = false;
  const reader = response.body && response.headers.get('content-type')?.startsWith('text/event-stream') ? response.body.getReader() : undefined;
  const reading = (async () => {
    if (!reader) return;
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: SseMessage = { event: 'message', data: null };
          for (const line of block.split('\n')) {
            if (line.startsWith(':') || !line) continue;
            const [field, ...rest] = line.split(':');
            const value = rest.join(':').replace(/^ /, '');
            if (field === 'id') message.id = value;
            if (field === 'event') message.event = value;
            if (field === 'data') message.data = value ? JSON.parse(value) : null;
          }
          if (block.split('\n').every((line) => line.startsWith(':') || !line)) continue;
          messages.push(message);
          waiters.splice(0).forEach((wake) => wake());
        }
      }
      ended = true;
    } catch {
      // cancelled or aborted
    }
    waiters.splice(0).forEach((wake) => wake());
  })();
  const next = async (count: number, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (messages.filter((m) => m.event === 'next').length < count) {
      if (Date.now() > deadline) throw new Error(`timed out with ${JSON.stringify(messages)}`);
      await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), new Promise((resolve) => setTimeout(resolve, 500))]);
    }
    return messages.filter((m) => m.event === 'next').slice(0, count);
  };
  /** The server ended the response by itself (not a cancel of ours). */
  const serverEnded = async () => {
    await until(
      () => ended,
      () => `the server did not end the stream; got ${JSON.stringify(messages)}`,
    );
    return messages;
  };
  const close = async () => {
    await reader?.cancel().catch(() => {});
    controller.abort();
    await reading;
  };
  return { response, messages, next, serverEnded, close };
}

describe('GraphQL over SSE (graphql-sse distinct connections)', () => {
  let system: TestSystem;
  let bus: EventBus;
  let streamUrl: string;
  beforeAll(async () => {
    system = await startTestSystem({ seed: true });
    bus = system.bus;
    streamUrl = new URL('/graphql/stream', system.gatewayUrl).href;
  });
  afterAll(async () => system?.stop());

  const anchor = async () => {
    const event = orderEvent(nordicOrder, 'CANCELLED');
    await bus.publish([event]);
    return event.id;
  };

  it('refuses a stream without credentials with 401 UNAUTHENTICATED, and a bad key with 401', async () => {
    const none = await fetch(streamUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: FEED }),
    });
    expect(none.status).toBe(401);
    expect(((await none.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const bad = await fetch(streamUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ipk_test_notakey000000000000000000' },
      body: JSON.stringify({ query: FEED }),
    });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const malformed = await fetch(streamUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Basic abc' },
      body: JSON.stringify({ query: FEED }),
    });
    expect(malformed.status).toBe(401);
    const put = await fetch(streamUrl, { method: 'PUT', headers: AS_OPERATOR });
    expect(put.status).toBe(405);
  });

  it('follows federated events with SSE ids, and resumes with Last-Event-ID with no gap', async () => {
    const first = await openStream(streamUrl, { query: FEED, variables: { orderId: acmeOrder.id, lastEventId: await anchor() } }, AS_OPERATOR);
    expect(first.response.status).toBe(200);
    const events = [orderEvent(nordicOrder), orderEvent(acmeOrder, 'PAID'), orderEvent(acmeOrder, 'SHIPPED'), orderEvent(acmeOrder, 'DELIVERED')];
    await bus.publish(events.slice(0, 2));
    const [one] = await first.next(1);
    expect(one!.id).toBe(events[1]!.id);
    expect(one!.data.errors).toBeUndefined();
    expect(one!.data.data.orderEvents).toMatchObject({
      eventId: events[1]!.id,
      type: 'order.status_changed',
      payload: { to: 'PAID' },
      order: { merchantReference: acmeOrder.reference, merchant: { name: 'Acme Shop' } },
    });
    await first.close();

    // While nobody listens two more happen; a reconnect with Last-Event-ID (as EventSource does) gets both, in order.
    await bus.publish(events.slice(2));
    const resumed = await openStream(
      streamUrl,
      { query: FEED, variables: { orderId: acmeOrder.id, lastEventId: await anchor() } },
      { ...AS_OPERATOR, 'last-event-id': one!.id! },
    );
    const [two, three] = await resumed.next(2);
    expect([two!.id, three!.id]).toEqual([events[2]!.id, events[3]!.id]);
    expect([two!.data.data.orderEvents.payload.to, three!.data.data.orderEvents.payload.to]).toEqual(['SHIPPED', 'DELIVERED']);
    await resumed.close();
  });

  it('applies the same scopes as graphql-ws: a merchant key sees only its own merchant', async () => {
    const since = await anchor();
    const stream = await openStream(streamUrl, { query: FEED, variables: { lastEventId: since } }, { authorization: `Bearer ${SANDBOX_KEYS['acme-owner']}` });
    const events = [orderEvent(nordicOrder), orderEvent(acmeOrder, 'SHIPPED')];
    await bus.publish(events);
    const [only] = await stream.next(1);
    expect(only!.id).toBe(events[1]!.id);
    await stream.close();
    expect(stream.messages.filter((m) => m.event === 'next').map((m) => m.id)).not.toContain(events[0]!.id);
  });

  it('answers an unknown lastEventId as a BAD_USER_INPUT result and completes', async () => {
    const stream = await openStream(streamUrl, { query: FEED, variables: { lastEventId: 'evt_00000000-0000-7000-8000-000000000000' } }, AS_OPERATOR);
    expect(stream.response.status).toBe(200);
    // The refusal, then `complete`, then the server ends the response.
    const messages = await stream.serverEnded();
    expect(messages.map((m) => m.event)).toEqual(['next', 'complete']);
    expect(messages[0]!.data.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'lastEventId' });
    await stream.close();
  });

  it('does not serve queries over SSE: BAD_REQUEST, then complete', async () => {
    const query = await openStream(streamUrl, { query: '{ __typename }' }, AS_OPERATOR);
    const messages = await query.serverEnded();
    expect(messages.map((m) => m.event)).toEqual(['next', 'complete']);
    expect(messages[0]!.data.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(messages[0]!.data.data).toBeUndefined();
    await query.close();
  });

  it('releases the bus subscription as soon as the client goes away, with no event to wake the stream', async () => {
    // Counts the bus subscriptions the gateway holds open (the gateway calls this very bus object).
    let open = 0;
    const subscribe = bus.subscribe;
    bus.subscribe = async (options, onEvent) => {
      const subscription = await subscribe.call(bus, options, onEvent);
      open += 1;
      let closed = false;
      return { close: async () => (closed ? undefined : ((closed = true), (open -= 1), subscription.close())) };
    };
    try {
      // An order no event will come for while the stream is open.
      const quiet = SANDBOX_ORDERS.find((o) => o.merchantId === nordic.id && o.id !== nordicOrder.id)!;
      const streams = await Promise.all([1, 2, 3].map(() => openStream(streamUrl, { query: FEED, variables: { orderId: quiet.id } }, AS_OPERATOR)));
      await until(
        () => open === 3,
        () => `${open} bus subscriptions open, expected 3`,
      );
      await Promise.all(streams.map((stream) => stream.close()));
      await until(
        () => open === 0,
        () => `${open} bus subscriptions still open after the clients went away`,
      );
    } finally {
      bus.subscribe = subscribe;
    }
  });
});
