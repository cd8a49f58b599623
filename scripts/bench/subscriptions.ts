/**
 * Benchmark 4, federated subscriptions: SIZES (default 1,000 and 10,000) graphql-ws subscribers on one gateway
 * (`orderEvents(orderId:)`, PER_CONNECTION subscriptions per connection), the subscribers in a separate process.
 * Commit-to-delivery: EVENTS events published to the bus one after the other (each once the previous reached every
 * subscriber); latency = delivery time − the publish time carried in the event. Memory per subscriber: the system
 * process's heap and RSS after a GC, with the subscribers minus before. Targets: 10,000 subscribers, p99 < 100 ms,
 * < 20 KiB each. Writes scripts/bench/results/subscriptions.json.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --expose-gc --import tsx scripts/bench/subscriptions.ts
 *   (SIZES=1000,10000 PER_CONNECTION=10 EVENTS=5 EVENT_TIMEOUT_S=60)
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SANDBOX_ORDERS, newId, type DomainEvent } from '@ipay/platform';
import { median, percentile, round, writeResult } from './lib.ts';
import { SANDBOX_KEYS, startBenchSystem } from './system.ts';

const SIZES = (process.env.SIZES ?? '1000,10000').split(',').map(Number);
const PER_CONNECTION = Number(process.env.PER_CONNECTION ?? 10);
const EVENTS = Number(process.env.EVENTS ?? 5);
const EVENT_TIMEOUT_MS = Number(process.env.EVENT_TIMEOUT_S ?? 60) * 1000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) console.warn('run with node --expose-gc for memory per subscriber after a GC');

const order = SANDBOX_ORDERS[0]!;
let seq = 0;
const event = (): DomainEvent => ({
  id: newId('evt'),
  type: 'order.status_changed',
  version: 1,
  occurredAt: new Date().toISOString(),
  source: 'bench',
  merchantId: order.merchantId,
  livemode: false,
  carrierCode: null,
  subjectType: 'Order',
  subjectId: order.id,
  payload: { order_id: order.id, from: 'PAID', to: 'PAID', seq: seq++, sent_at: Date.now() },
});
const memory = () => {
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, rss: usage.rss };
};

const system = await startBenchSystem({
  subscriptionLimits: { maxSubscriptionsPerConnection: Math.max(20, PER_CONNECTION), maxQueuedEvents: 100_000, connectionInitTimeoutMs: 60_000 },
});
const results = [];
try {
  for (const size of SIZES) {
    const before = memory();
    const client = fork(
      fileURLToPath(new URL('./subscribers-client.ts', import.meta.url)),
      [system.gatewayUrl.replace(/^http/, 'ws'), `Bearer ${SANDBOX_KEYS.operator}`, String(size), String(PER_CONNECTION), order.id],
      {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    // What the subscriber process reports over IPC: its kind, and the fields that kind carries.
    type ClientMessage = { kind: string; seq: number; latencies: number[] } & Record<string, unknown>;
    const waiters = new Map<string, (message: ClientMessage) => void>();
    const delivered = new Map<number, number[]>();
    client.on('message', (message: ClientMessage) => {
      if (message.kind === 'delivered') delivered.set(message.seq, message.latencies);
      waiters.get(message.kind)?.(message);
    });
    const next = (kind: string, timeoutMs: number) =>
      new Promise<ClientMessage>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${kind} within ${timeoutMs} ms`)), timeoutMs);
        waiters.set(kind, (message) => (clearTimeout(timer), waiters.delete(kind), resolve(message)));
      });
    const connectStarted = performance.now();
    const opened = await next('opened', 300_000);
    // Subscribing is asynchronous (authenticate, plan, attach to the bus): warm-up events until every subscriber has one.
    const warmups: number[] = [];
    for (let ready = false; !ready;) {
      const warm = event();
      warmups.push(warm.payload.seq as number);
      await system.bus.publish([warm]);
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && !(ready = warmups.some((s) => delivered.has(s)))) await new Promise((resolve) => setTimeout(resolve, 50));
      if (performance.now() - connectStarted > 300_000) throw new Error('subscribers were not all subscribed within 300 s');
    }
    const subscribedMs = performance.now() - connectStarted;
    const during = memory();
    const latencies: number[] = [];
    const allDeliveredMs: number[] = [];
    let missing = 0;
    for (let i = 0; i < EVENTS; i++) {
      const e = event();
      const s = e.payload.seq as number;
      const started = Date.now();
      await system.bus.publish([e]);
      while (!delivered.has(s) && Date.now() - started < EVENT_TIMEOUT_MS) await new Promise((resolve) => setTimeout(resolve, 5));
      const got = delivered.get(s);
      if (!got) missing += 1;
      else {
        latencies.push(...got);
        allDeliveredMs.push(Math.max(...got));
      }
    }
    client.send({ kind: 'errors' });
    const { errors } = await next('errors', 10_000);
    client.send({ kind: 'stop' });
    await new Promise((resolve) => client.once('exit', resolve));
    results.push({
      subscribers: size,
      connections: opened.connections,
      subscribeAllSeconds: round(subscribedMs / 1000, 1),
      events: EVENTS,
      eventsNotDeliveredToAll: missing,
      p50Ms: median(latencies),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
      lastSubscriberMsMedian: median(allDeliveredMs),
      heapKiBPerSubscriber: round((during.heapUsed - before.heapUsed) / size / 1024, 1),
      rssKiBPerSubscriber: round((during.rss - before.rss) / size / 1024, 1),
      clientErrors: errors,
    });
    console.table(results.slice(-1));
    // Let the server drop the closed connections' state before the next size.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
} finally {
  await system.stop();
}
console.table(results);
console.log(
  `wrote ${writeResult('subscriptions', { benchmark: 'graphql-ws subscribers on one gateway (commit to delivery)', database: system.kind, perConnection: PER_CONNECTION, results })}`,
);
