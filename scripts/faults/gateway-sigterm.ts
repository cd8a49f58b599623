/**
 * Fault d: SIGTERM the gateway process during requests (createOrder mutations and a federated query over every
 * subgraph, 8 at a time) and open graphql-ws subscriptions. Every request it had accepted finishes with an
 * answer (no socket error), subscribers are told to reconnect (close code 1012), the process exits 0; a new
 * gateway on the same port serves again and every subscriber, resuming with its last event id, gets every
 * committed event (including those of the in-flight mutations).
 *
 *   pnpm fault:gateway
 */
import { randomUUID } from 'node:crypto';
import {
  RUN,
  committedEvents,
  createOrder,
  finish,
  graphql,
  log,
  main,
  mutationStream,
  privatePostgres,
  ResumingSubscriber,
  sleep,
  startProcesses,
  storedOrders,
  until,
  type Check,
  type GraphQLOutcome,
  type OrderAttempt,
} from './lib.ts';

const NAME = 'fault d: SIGTERM on the gateway during requests and subscriptions';
const SUBSCRIBERS = 3;
const WORKERS = 8;
const QUERY = `{ orders(first: 20) { edges { node { id merchantReference status merchant { name } paymentSession { status } shipment { status } settlement { status } } } } }`;

await main(NAME, async () => {
  const pg = await privatePostgres();
  const system = await startProcesses({ databaseUrl: pg.url });
  const gateway = system.services.gateway;

  const subscribers = Array.from({ length: SUBSCRIBERS }, (_, i) => new ResumingSubscriber(system.gatewayUrl, `subscriber ${i + 1}`));
  await Promise.all(subscribers.map((s) => s.start()));

  // The load: every request is kept with when it was sent and what came back.
  const requests: { kind: 'mutation' | 'query'; sentAt: number; outcome?: GraphQLOutcome; order?: OrderAttempt }[] = [];
  let sending = true;
  let inFlight = 0;
  let n = 0;
  const loops = Array.from({ length: WORKERS }, async (_, w) => {
    while (sending) {
      const request: (typeof requests)[number] = { kind: w % 2 ? 'query' : 'mutation', sentAt: Date.now() };
      requests.push(request);
      inFlight += 1;
      if (request.kind === 'mutation') {
        request.order = await createOrder(system.gatewayUrl, `${RUN}-${String(++n).padStart(5, '0')}`, randomUUID());
        request.outcome = request.order.outcome;
      } else request.outcome = await graphql(system.gatewayUrl, QUERY);
      inFlight -= 1;
    }
  });
  await until('20 answered requests before the fault', () => requests.filter((r) => r.outcome?.status === 200).length >= 20);
  await until('requests in flight', () => inFlight >= WORKERS / 2, 10_000, 5);

  // SIGTERM; the load stops sending at once (what would be sent after it has nowhere to go: the port is closed).
  sending = false;
  const inFlightAtSigterm = inFlight;
  const sigtermAt = Date.now();
  const exited = gateway.kill('SIGTERM');
  log(`SIGTERM to the gateway with ${inFlightAtSigterm} requests in flight and ${subscribers.filter((s) => s.connected).length} subscribers connected`);
  await Promise.all(loops);
  const exitCode = await exited;
  log(`gateway exited with ${exitCode} after ${Date.now() - sigtermAt} ms`);
  const answered = requests.filter((r) => r.outcome && r.outcome.status > 0);
  const socketErrors = requests.filter((r) => r.outcome?.transport);
  const told = subscribers.filter((s) => s.closeCodes.includes(1012)).length;

  // A new gateway on the same port; subscribers reconnect by themselves with their last event id.
  await gateway.start();
  log(`gateway back on ${gateway.port}`);
  const after = mutationStream(system.gatewayUrl, 2);
  await until('10 acknowledged mutations after the restart', () => after.attempts.filter((a) => a.acknowledged).length >= 10);
  const afterAttempts = await after.stop();
  const events = await until(
    'the relay to publish every committed event',
    async () => {
      const e = await committedEvents(pg.sql);
      return e.unpublished === 0 ? e : undefined;
    },
    60_000,
  );
  await until('every subscriber to have every committed event', () => subscribers.every((s) => s.has(events.ids)), 60_000).catch(() => undefined);

  const orders = [...requests.flatMap((r) => (r.order ? [r.order] : [])), ...afterAttempts];
  const acknowledged = orders.filter((o) => o.acknowledged);
  const stored = await storedOrders(pg.sql);
  const missing = subscribers.map((s) => events.ids.filter((id) => !s.received.has(id)).length);
  const lost = acknowledged.filter((o) => !stored.has(o.reference)).length + socketErrors.length + Math.max(0, ...missing);
  for (const s of subscribers)
    log(`${s.label}: ${s.received.size} events, close codes ${[...new Set(s.closeCodes)].join(',')}, resubscribed ${s.resubscribes}×`);
  await Promise.all(subscribers.map((s) => s.stop()));

  const checks: Check[] = [
    { what: 'requests were in flight at SIGTERM', ok: inFlightAtSigterm > 0, detail: String(inFlightAtSigterm) },
    {
      what: 'every request sent before SIGTERM got an HTTP answer (no socket error)',
      ok: socketErrors.length === 0,
      detail: socketErrors.length ? socketErrors.map((r) => r.outcome!.transport).join(', ') : `${answered.length}/${requests.length}`,
    },
    {
      what: 'and every answer was 200',
      ok: answered.every((r) => r.outcome!.status === 200 && !r.outcome!.body?.errors),
      detail: [...new Set(answered.map((r) => r.outcome!.status))].join(','),
    },
    { what: 'the gateway exited 0', ok: exitCode === 0, detail: String(exitCode) },
    { what: 'every subscriber was told to reconnect with close code 1012', ok: told === SUBSCRIBERS, detail: `${told}/${SUBSCRIBERS}` },
    { what: 'every acknowledged mutation is stored', ok: acknowledged.every((o) => stored.has(o.reference)) },
    ...subscribers.map((s, i) => ({
      what: `${s.label} resumed with its last event id and got every committed event`,
      ok: missing[i] === 0 && s.duplicates() === 0,
      detail: `${events.ids.length - missing[i]!}/${events.ids.length}, ${s.duplicates()} duplicates`,
    })),
  ];
  await sleep(0);
  return finish(
    NAME,
    {
      sent: requests.length + afterAttempts.length,
      inFlightAtSigterm,
      answered: answered.length + afterAttempts.filter((a) => a.outcome.status > 0).length,
      socketErrors: socketErrors.length,
      acknowledged: acknowledged.length,
      stored: stored.size,
      subscribersTold1012: told,
      eventsCommitted: events.ids.length,
      delivered: Math.min(...subscribers.map((s, i) => events.ids.length - missing[i]!)),
      lost,
    },
    checks,
  );
});
