import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NatsEventBus, createLogger, newId, type BusEvent, type DomainEvent } from '@ipay/platform';

/** A PRIVATE nats-server (never the shared one) on a free port, with its own JetStream store. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
const storeDir = mkdtempSync(join(tmpdir(), 'ipay-nats-'));
let server: ChildProcess | undefined;
const startNats = (port: number) => {
  server = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' });
};
const stopNats = () =>
  new Promise<void>((resolve) => {
    if (!server || server.exitCode !== null) return resolve();
    server.once('exit', () => resolve());
    server.kill('SIGKILL');
  });
const until = async (what: string, predicate: () => Promise<boolean> | boolean, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

afterAll(async () => {
  await stopNats();
  rmSync(storeDir, { recursive: true, force: true });
});

const event = (): DomainEvent => ({
  id: newId('evt'),
  type: 'order.status_changed',
  version: 1,
  occurredAt: new Date().toISOString(),
  source: 'fault-test',
  merchantId: 'mer_x',
  livemode: false,
  carrierCode: null,
  subjectType: 'Order',
  subjectId: 'ord_x',
  payload: { order_id: 'ord_x', merchant: 'x', from: 'CREATED', to: 'PAID' },
});

describe('NATS outage longer than nats.js would retry by default', () => {
  it('reconnects without limit: health reports the outage, then publishing and subscribing work again', async () => {
    const port = await freePort();
    startNats(port);
    const url = `nats://127.0.0.1:${port}`;
    let bus: NatsEventBus | undefined;
    await until('nats-server to accept connections', async () => {
      bus = await NatsEventBus.connect(url, createLogger('fault', 'silent'), { stream: 'IPAY_FAULT', subjectPrefix: 'ipay.fault' }).catch(() => undefined);
      return bus !== undefined;
    });
    try {
      expect(await bus!.health()).toBe('ok');
      await bus!.publish([event()]);

      await stopNats();
      await until('the outage to be noticed', async () => (await bus!.health()) !== 'ok');
      // 25 s down: more than nats.js's default of 10 reconnect attempts 2 s apart, after which it closed for good.
      const downSince = Date.now();
      await until('25 s of outage', () => Date.now() - downSince >= 25_000, 40_000);
      expect(await bus!.health()).not.toBe('closed');

      startNats(port);
      await until('the bus to reconnect', async () => (await bus!.health()) === 'ok', 30_000);
      const received: BusEvent[] = [];
      const after = event();
      const subscription = await bus!.subscribe({ afterEventId: null }, (e) => void received.push(e));
      await bus!.publish([after]);
      await until('the event published after the outage', () => received.some((e) => e.id === after.id), 15_000);
      await subscription.close();
    } finally {
      await bus?.destroy().catch(() => {});
      await bus?.close().catch(() => {});
    }
  }, 120_000);
});
