import { randomUUID } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, newId, NatsEventBus, type DomainEvent } from '../src/index.ts';

/**
 * A subgraph stops its consumers, then closes its database (subgraph.ts stop()): that order is only safe if closing a
 * consumer waits for the handler already running, which then acknowledges its event. This pins that behaviour of the
 * bus (nats.js's iterator close waits for the loop body). Uses the shared nats-server on :4222 with a stream of this
 * test's own.
 */
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const natsUp = await new Promise<boolean>((resolve) => {
  const url = new URL(NATS_URL);
  const socket = tcpConnect(Number(url.port || 4222), url.hostname);
  socket.once('connect', () => (socket.destroy(), resolve(true)));
  socket.once('error', () => resolve(false));
});

const event = (): DomainEvent => ({
  id: newId('evt'),
  type: 'order.created',
  version: 1,
  occurredAt: new Date().toISOString(),
  source: 'test',
  merchantId: null,
  livemode: false,
  carrierCode: null,
  subjectType: 'Order',
  subjectId: 'ord_1',
  payload: {},
});

describe.skipIf(!natsUp)('NATS bus: closing a consumer', () => {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
  let bus: NatsEventBus;
  beforeAll(async () => {
    bus = await NatsEventBus.connect(NATS_URL, createLogger('test', 'silent'), { stream: `IPAY_TEST_${suffix}`, subjectPrefix: `ipay.test.${suffix}` });
  });
  afterAll(async () => {
    await bus?.destroy();
    await bus?.close();
  });

  it('waits for the handler that is running, which then acknowledges its event (not redelivered)', async () => {
    let started!: () => void;
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    const consumer = await bus.consume('close-waits', async () => {
      started();
      await gate;
      finished = true;
    });
    const sent = event();
    await bus.publish([sent]);
    await handlerStarted;

    let closed = false;
    const closing = consumer.close().then(() => (closed = true));
    // Give close() every chance to return early: it must not while the handler holds the gate.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(finished).toBe(true);

    // The event was acknowledged before close() returned: the durable consumer has nothing left to deliver.
    const again: string[] = [];
    const reopened = await bus.consume('close-waits', async (e) => void again.push(e.id));
    const marker = event();
    await bus.publish([marker]);
    // Waits on the marker (the test timeout bounds it); anything delivered before it is the redelivery under test.
    while (!again.includes(marker.id)) await new Promise((resolve) => setTimeout(resolve, 50));
    await reopened.close();
    expect(again).toEqual([marker.id]);
  });
});
