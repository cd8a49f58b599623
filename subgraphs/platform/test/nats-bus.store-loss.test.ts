import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, newId, NatsEventBus, type BusEvent, type DomainEvent } from '../src/index.ts';

/**
 * A NATS server that comes back WITHOUT its JetStream store (a new volume, a wiped disk): the stream and the durable
 * consumers are gone. The bus must notice, recreate them, and carry on publishing and consuming, instead of failing
 * every publish with 503 while reporting itself healthy. A private nats-server on a port of its own, never :4222.
 */
const NATS_SERVER = '/usr/sbin/nats-server';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const event = (type: DomainEvent['type']): DomainEvent => ({
  id: newId('evt'),
  type,
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

describe.skipIf(!existsSync(NATS_SERVER))('NATS bus after the server lost its store', () => {
  const storeDir = mkdtempSync(join(tmpdir(), 'nats-store-'));
  let server: ChildProcess | undefined;
  let port = 0;
  const start = async () => {
    server = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' });
    await until(`nats-server on ${port}`, () => portOpen(port));
  };
  const kill = () =>
    new Promise<void>((resolve) => {
      if (!server || server.exitCode !== null) return resolve();
      server.once('exit', () => resolve());
      server.kill('SIGKILL');
    });
  let bus: NatsEventBus | undefined;
  afterAll(async () => {
    await bus?.close().catch(() => {});
    await kill();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('recreates its stream and durable consumers after the server came back without its store', async () => {
    port = await freePort();
    await start();
    bus = await NatsEventBus.connect(`nats://127.0.0.1:${port}`, createLogger('nats-test', 'silent'), { stream: 'STORE_LOSS', subjectPrefix: 'store.loss' });
    const received: BusEvent[] = [];
    await bus.consume('projector', async (e) => {
      received.push(e);
    });
    const before = event('order.created');
    await bus.publish([before]);
    await until('the first event', async () => received.some((e) => e.id === before.id));

    // The server dies and comes back on the same port with an empty store.
    await kill();
    rmSync(storeDir, { recursive: true, force: true });
    await start();

    // Whatever the bus says in between, it ends up healthy with its stream back, publishing and consuming again.
    const after = event('payment.confirmed');
    await until('a publish after the store loss', async () => {
      try {
        await bus!.publish([after]);
        return true;
      } catch {
        return false;
      }
    });
    await until('the event published after the store loss, on the durable consumer', async () => received.some((e) => e.id === after.id));
    expect(await bus.health()).toBe('ok');
    expect(received.filter((e) => e.id === after.id)).toHaveLength(1);
  });

  it('reports a missing stream on its health check, and recreates it', async () => {
    await bus!.destroy();
    expect(await bus!.health()).toBe('stream missing (recreating)');
    await until('the stream back', async () => (await bus!.health()) === 'ok');
    const again = event('parcel.released');
    await bus!.publish([again]);
  });
});
