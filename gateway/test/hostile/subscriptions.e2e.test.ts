import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SANDBOX_ORDERS, newId, type DomainEvent } from '@ipay/platform';
import { AS_OPERATOR } from '../../../subgraphs/system/e2e/support.ts';
import { startHostileSystem, type HostileSystem } from './support.ts';

let system: HostileSystem;
beforeAll(async () => {
  system = await startHostileSystem();
});
afterAll(async () => {
  await system?.stop();
});

/** A raw graphql-transport-ws socket: every message and the close code, so tests assert exactly what the server did. */
function rawSocket() {
  const socket = new WebSocket(system.gatewayUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const messages: any[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: String(reason), at: performance.now() })),
  );
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const until = async (predicate: () => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out; messages: ${JSON.stringify(messages).slice(0, 500)}`);
      await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), new Promise((resolve) => setTimeout(resolve, 200))]);
    }
  };
  const send = (message: unknown) => socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  const init = async (authorization = AS_OPERATOR.authorization) => {
    await opened;
    send({ type: 'connection_init', payload: { authorization } });
    await until(() => messages.some((m) => m.type === 'connection_ack'));
  };
  return { socket, messages, closed, opened, until, send, init };
}

const order = SANDBOX_ORDERS[0]!;
const event = (): DomainEvent => ({
  id: newId('evt'),
  type: 'order.status_changed',
  version: 1,
  occurredAt: new Date().toISOString(),
  source: 'hostile-test',
  merchantId: order.merchantId,
  livemode: false,
  carrierCode: null,
  subjectType: 'Order',
  subjectId: order.id,
  payload: { order_id: order.id, merchant: 'x', from: order.status, to: 'PAID' },
});

describe('subscriptions over graphql-ws', () => {
  it('counts the per-connection cap exactly: a burst of 21 subscribes refuses exactly one, and the 20 others receive', async () => {
    const ws = rawSocket();
    await ws.init();
    for (let i = 0; i < 21; i++)
      ws.send({ id: `s${i}`, type: 'subscribe', payload: { query: `subscription { events(orderId: "${order.id}") { eventId type } }` } });
    await ws.until(() => ws.messages.some((m) => m.type === 'error'));
    // Every accepted subscription is attached when the event published now reaches all twenty of them.
    const published = event();
    let received = 0;
    for (let attempt = 0; attempt < 30 && received < 20; attempt++) {
      await system.bus.publish([{ ...published, id: newId('evt') }]);
      await ws.until(() => ws.messages.filter((m) => m.type === 'next').length > 0, 2_000).catch(() => {});
      received = new Set(ws.messages.filter((m) => m.type === 'next').map((m) => m.id)).size;
    }
    const errors = ws.messages.filter((m) => m.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].payload[0]).toMatchObject({ message: 'at most 20 subscriptions per connection', extensions: { code: 'LIMIT_EXCEEDED' } });
    expect(received).toBe(20);
    expect(new Set(ws.messages.filter((m) => m.type === 'next').map((m) => m.id)).has(errors[0].id)).toBe(false);
    ws.socket.close();
  });

  it('survives a flood of 200 subscribes on one socket: 20 accepted, 180 refused, the socket stays open', async () => {
    const ws = rawSocket();
    await ws.init();
    for (let i = 0; i < 200; i++) ws.send({ id: `f${i}`, type: 'subscribe', payload: { query: 'subscription { events { eventId } }' } });
    await ws.until(() => ws.messages.filter((m) => m.type === 'error').length >= 180);
    expect(ws.messages.filter((m) => m.type === 'error')).toHaveLength(180);
    expect(ws.socket.readyState).toBe(WebSocket.OPEN);
    ws.socket.close();
  });

  it('closes a socket that sends no connection_init with 4408 after the 3 s default', async () => {
    const ws = rawSocket();
    await ws.opened;
    const openedAt = performance.now();
    const { code, at } = await ws.closed;
    expect(code).toBe(4408);
    expect(at - openedAt).toBeGreaterThanOrEqual(2_900);
    expect(at - openedAt).toBeLessThan(4_900);
  });

  it('closes with 4401 when a subscribe comes before connection_init', async () => {
    const ws = rawSocket();
    await ws.opened;
    ws.send({ id: '1', type: 'subscribe', payload: { query: 'subscription { events { eventId } }' } });
    expect((await ws.closed).code).toBe(4401);
  });

  it('closes with 4403 on an invalid credential in connection_init', async () => {
    const ws = rawSocket();
    await ws.opened;
    ws.send({ type: 'connection_init', payload: { authorization: 'Bearer ipk_test_forged_0000000000000000000000000000' } });
    expect((await ws.closed).code).toBe(4403);
  });

  it('closes with 4403 without any credential', async () => {
    const ws = rawSocket();
    await ws.opened;
    ws.send({ type: 'connection_init', payload: {} });
    expect((await ws.closed).code).toBe(4403);
  });

  it('closes with 4429 on a second connection_init', async () => {
    const ws = rawSocket();
    await ws.init();
    ws.send({ type: 'connection_init', payload: { authorization: AS_OPERATOR.authorization } });
    expect((await ws.closed).code).toBe(4429);
  });

  it('closes with 4409 when a subscription id is reused', async () => {
    const ws = rawSocket();
    await ws.init();
    ws.send({ id: 'dup', type: 'subscribe', payload: { query: 'subscription { events { eventId } }' } });
    ws.send({ id: 'dup', type: 'subscribe', payload: { query: 'subscription { events { eventId } }' } });
    expect((await ws.closed).code).toBe(4409);
  });

  it('closes with 4400 on a message that is not JSON', async () => {
    const ws = rawSocket();
    await ws.init();
    ws.send('{not json');
    expect((await ws.closed).code).toBe(4400);
  });

  it('closes with 1009 on a frame above 64 KiB', async () => {
    const ws = rawSocket();
    await ws.init();
    ws.send({ id: 'big', type: 'subscribe', payload: { query: `subscription { events { eventId } } # ${'x'.repeat(70_000)}` } });
    expect((await ws.closed).code).toBe(1009);
  });
});
