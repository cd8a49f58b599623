/**
 * The subscribers of benchmark 4 (scripts/bench/subscriptions.ts), in a process of their own: COUNT graphql-ws
 * subscriptions, PER_CONNECTION on each connection. Reports over IPC: `opened`, then once every subscriber has seen
 * the event with payload `{ seq }`, `{ kind: 'delivered', seq, latencies }` (ms from the payload's `sent_at`).
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

const [url, authorization, countText, perConnectionText, orderId] = process.argv.slice(2) as [string, string, string, string, string];
const COUNT = Number(countText);
const PER_CONNECTION = Number(perConnectionText);
const QUERY = 'subscription($orderId: ID) { orderEvents(orderId: $orderId) { eventId type payload } }';
const send = (message: unknown) => process.send!(message);

const seen = new Map<number, number[]>();
const reported = new Set<number>();
const clients: Client[] = [];
let errors = 0;

function onEvent(payload: { seq?: number; sent_at?: number }) {
  if (payload.seq === undefined || payload.sent_at === undefined) return;
  const latency = Date.now() - payload.sent_at;
  let list = seen.get(payload.seq);
  if (!list) seen.set(payload.seq, (list = []));
  list.push(latency);
  if (list.length === COUNT && !reported.has(payload.seq)) {
    reported.add(payload.seq);
    send({ kind: 'delivered', seq: payload.seq, latencies: list });
  }
}

for (let opened = 0; opened < COUNT;) {
  const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization }, lazy: false, retryAttempts: 0, keepAlive: 0 });
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    const off = client.on('connected', () => (off(), resolve()));
    client.on('closed', (event) => reject(new Error(`closed before connecting: ${JSON.stringify(event)}`)));
  });
  for (let i = 0; i < PER_CONNECTION && opened < COUNT; i++, opened++) {
    client.subscribe<{ orderEvents: { payload: { seq?: number; sent_at?: number } } }>(
      { query: QUERY, variables: { orderId } },
      { next: (value) => (value.data ? onEvent(value.data.orderEvents.payload) : errors++), error: () => errors++, complete: () => {} },
    );
  }
  if (clients.length % 100 === 0) send({ kind: 'progress', opened });
}
send({ kind: 'opened', connections: clients.length });
process.on('message', (message: { kind: string }) => {
  if (message.kind === 'errors') send({ kind: 'errors', errors });
  if (message.kind === 'stop') {
    for (const client of clients) void client.dispose();
    setTimeout(() => process.exit(0), 200);
  }
});
