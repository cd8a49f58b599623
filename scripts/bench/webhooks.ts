/**
 * Benchmark 5, outbound webhooks: identity's dispatcher (default settings) delivering to a receiver in a separate
 * process on loopback. Commit to first delivery: SINGLE events published to the bus one at a time (the next once the
 * previous arrived). Throughput: BURST events published at once, deliveries per second from the publish to the last
 * arrival (bounded by BURST_TIMEOUT_S). Writes scripts/bench/results/webhooks.json.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pnpm exec tsx scripts/bench/webhooks.ts
 *   (SINGLE=5 BURST=1000 BURST_TIMEOUT_S=120)
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SANDBOX_MERCHANTS, newId, type DomainEvent } from '@ipay/platform';
import { median, round, writeResult } from './lib.ts';
import { SANDBOX_KEYS, startBenchSystem } from './system.ts';

const SINGLE = Number(process.env.SINGLE ?? 5);
const BURST = Number(process.env.BURST ?? 1000);
const BURST_TIMEOUT_MS = Number(process.env.BURST_TIMEOUT_S ?? 120) * 1000;
const acme = SANDBOX_MERCHANTS[0]!;

const receiver = fork(fileURLToPath(new URL('./webhook-receiver.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const port = await new Promise<number>((resolve) => receiver.once('message', (message: { port: number }) => resolve(message.port)));
const arrivals = () =>
  new Promise<{ seq: number; sentAt: number; at: number }[]>((resolve) => {
    receiver.once('message', (message: { arrivals: { seq: number; sentAt: number; at: number }[] }) => resolve(message.arrivals));
    receiver.send({ kind: 'arrivals' });
  });

const system = await startBenchSystem({ subgraphConfig: { identity: { crmSyncIntervalMs: 0 } } });
let seq = 0;
const event = (): DomainEvent => ({
  id: newId('evt'),
  type: 'order.status_changed',
  version: 1,
  occurredAt: new Date().toISOString(),
  source: 'bench',
  merchantId: acme.id,
  livemode: false,
  carrierCode: null,
  subjectType: 'Order',
  subjectId: 'ord_bench',
  payload: { order_id: 'ord_bench', merchant: acme.slug, from: 'PAID', to: 'PAID', seq: seq++, sent_at: Date.now() },
});

let result;
try {
  const created = await fetch(system.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SANDBOX_KEYS['acme-owner']}` },
    body: JSON.stringify({
      query: 'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }',
      variables: {
        input: { merchantId: acme.id, url: `http://127.0.0.1:${port}/hook`, eventTypes: ['order.status_changed'], description: 'benchmark receiver' },
      },
    }),
  });
  const body = (await created.json()) as { errors?: unknown };
  if (body.errors) throw new Error(`createWebhookEndpoint: ${JSON.stringify(body.errors)}`);

  const firstDelivery: number[] = [];
  for (let i = 0; i < SINGLE; i++) {
    const e = event();
    await system.bus.publish([e]);
    const deadline = Date.now() + 60_000;
    let got: { sentAt: number; at: number } | undefined;
    while (!got && Date.now() < deadline) {
      got = (await arrivals()).find((a) => a.seq === e.payload.seq);
      if (!got) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (!got) throw new Error(`event ${i} was not delivered within 60 s`);
    firstDelivery.push(got.at - got.sentAt);
  }

  const burst = Array.from({ length: BURST }, event);
  const firstBurstSeq = burst[0]!.payload.seq as number;
  const started = Date.now();
  for (let i = 0; i < burst.length; i += 100) await system.bus.publish(burst.slice(i, i + 100));
  const seen = new Set<number>();
  let last = started;
  while (seen.size < BURST && Date.now() - started < BURST_TIMEOUT_MS) {
    for (const a of await arrivals()) {
      if (a.seq < firstBurstSeq || seen.has(a.seq)) continue;
      seen.add(a.seq);
      last = Math.max(last, a.at);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seconds = (last - started) / 1000;
  result = {
    commitToFirstDeliveryMsMedian: median(firstDelivery),
    commitToFirstDeliveryMsRange: `${Math.min(...firstDelivery)}–${Math.max(...firstDelivery)}`,
    burstEvents: BURST,
    burstDelivered: seen.size,
    burstSeconds: round(seconds, 1),
    deliveriesPerSecond: round(seen.size / Math.max(seconds, 0.001), 1),
  };
} finally {
  await system.stop();
  receiver.send({ kind: 'stop' });
}
console.table([result]);
console.log(
  `wrote ${writeResult('webhooks', { benchmark: 'outbound webhooks to a local receiver (default dispatcher settings)', database: system.kind, results: result })}`,
);
