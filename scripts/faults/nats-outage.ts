/**
 * Fault c: the event bus (a PRIVATE nats-server with JetStream on its own port, FAULT_NATS_PORT or a free one;
 * never the shared :4222) goes down for FAULT_NATS_DOWN_MS (default 60 s) and comes back, while mutations go on
 * and graphql-ws subscribers listen. Mutations keep being acknowledged (the outbox holds their events); the relay
 * resumes and publishes every committed event; every subscriber gets every event (resuming with its last event
 * id when the gateway told it to reconnect, never stalling silently); a new subscriber works after the outage;
 * /readyz reports the bus down, then up.
 *
 *   pnpm fault:nats          FAULT_NATS_DOWN_MS (default 60000)
 */
import {
  committedEvents,
  envMs,
  finish,
  log,
  main,
  mutationStream,
  privateNats,
  privatePostgres,
  ResumingSubscriber,
  startProcesses,
  storedOrders,
  until,
  type Check,
} from './lib.ts';

const NAME = 'fault c: NATS down and back';
const DOWN_MS = envMs('FAULT_NATS_DOWN_MS', 60_000);
const SUBSCRIBERS = 3;

await main(NAME, async () => {
  const pg = await privatePostgres();
  const nats = await privateNats();
  const system = await startProcesses({ databaseUrl: pg.url, natsUrl: nats.url, env: { NATS_STREAM: 'IPAY_FAULT', NATS_SUBJECT_PREFIX: 'ipay.fault' } });
  const bus = async () => ((await (await fetch(new URL('/readyz', system.gatewayUrl))).json()) as { bus: string }).bus;
  const busBefore = await bus();

  const subscribers = Array.from({ length: SUBSCRIBERS }, (_, i) => new ResumingSubscriber(system.gatewayUrl, `subscriber ${i + 1}`));
  await Promise.all(subscribers.map((s) => s.start()));
  const stream = mutationStream(system.gatewayUrl, 2);
  await until('10 acknowledged mutations before the fault', () => stream.attempts.filter((a) => a.acknowledged).length >= 10);
  const baseline = (await committedEvents(pg.sql)).ids;
  await until('the subscribers to see the events before the fault', () => subscribers.every((s) => s.has(baseline.filter((_, i) => i < 5))), 30_000);

  const downAt = Date.now();
  await nats.stop();
  log(`nats-server killed; down for ${DOWN_MS} ms (mutations go on)`);
  const busDown = await until(
    '/readyz to report the bus down',
    async () => {
      const state = await bus();
      return state !== 'ok' ? state : undefined;
    },
    30_000,
  );
  log(`/readyz bus: ${busDown}`);
  await until(`${DOWN_MS} ms of outage`, () => Date.now() - downAt >= DOWN_MS, DOWN_MS + 60_000, 250);
  const acknowledgedWhileDown = stream.attempts.filter((a) => a.acknowledged && a.sentAt > downAt).length;
  const unpublishedWhileDown = (await committedEvents(pg.sql)).unpublished;

  const upAt = Date.now();
  await nats.start();
  log(`nats-server back after ${upAt - downAt} ms; ${unpublishedWhileDown} committed events waiting in the outbox`);
  const busAfter = await until('/readyz to report the bus ok again', async () => ((await bus()) === 'ok' ? 'ok' : undefined), 60_000);
  log(`/readyz bus ok ${Date.now() - upAt} ms after the restart`);
  await until('10 acknowledged mutations after the bus is back', () => stream.attempts.filter((a) => a.acknowledged && a.sentAt > upAt).length >= 10);
  const attempts = await stream.stop();

  const events = await until(
    'the relay to publish every committed event',
    async () => {
      const e = await committedEvents(pg.sql);
      return e.unpublished === 0 ? e : undefined;
    },
    60_000,
  ).catch(async () => committedEvents(pg.sql));
  // A subscriber that opens after the outage, replaying from the run's first event.
  const late = new ResumingSubscriber(system.gatewayUrl, 'late subscriber');
  late.lastEventId = events.ids[0] ?? null;
  await late.start();
  const expectedLate = events.ids.slice(1);
  const all = [...subscribers, late];
  await until('every subscriber to have every committed event', () => subscribers.every((s) => s.has(events.ids)) && late.has(expectedLate), 90_000).catch(
    () => undefined,
  );

  const stored = await storedOrders(pg.sql);
  const acknowledged = attempts.filter((a) => a.acknowledged);
  const missing = subscribers.map((s) => events.ids.filter((id) => !s.received.has(id)).length);
  const missingLate = expectedLate.filter((id) => !late.received.has(id)).length;
  const lost = acknowledged.filter((a) => !stored.has(a.reference)).length + events.unpublished + Math.max(0, ...missing) + missingLate;
  for (const s of all)
    log(
      `${s.label}: ${s.received.size} events, ${s.duplicates()} duplicates, resubscribed ${s.resubscribes}× (told: ${[...new Set([...s.errors, ...s.closeCodes.map((c) => `close ${c}`)])].join(', ') || 'nothing'})`,
    );
  await Promise.all(all.map((s) => s.stop()));

  const checks: Check[] = [
    {
      what: '/readyz reported the bus ok, down, then ok',
      ok: busBefore === 'ok' && busDown !== 'ok' && busAfter === 'ok',
      detail: `${busBefore} → ${busDown} → ${busAfter}`,
    },
    {
      what: 'mutations were acknowledged while the bus was down (the outbox holds their events)',
      ok: acknowledgedWhileDown > 0 && unpublishedWhileDown > 0,
      detail: `${acknowledgedWhileDown} acknowledged, ${unpublishedWhileDown} events waiting`,
    },
    { what: 'every acknowledged mutation is stored', ok: acknowledged.every((a) => stored.has(a.reference)) },
    {
      what: 'the relay resumed: every committed event published',
      ok: events.unpublished === 0,
      detail: `${events.ids.length - events.unpublished}/${events.ids.length}`,
    },
    ...subscribers.map((s, i) => ({
      what: `${s.label} got every committed event (no silent stall)`,
      ok: missing[i] === 0,
      detail: `${events.ids.length - missing[i]!}/${events.ids.length}, resubscribed ${s.resubscribes}×`,
    })),
    {
      what: 'a subscriber opened after the outage replays from its lastEventId and gets every later event',
      ok: missingLate === 0,
      detail: `${expectedLate.length - missingLate}/${expectedLate.length}`,
    },
  ];
  return finish(
    NAME,
    {
      downMs: upAt - downAt,
      sent: attempts.length,
      acknowledged: acknowledged.length,
      stored: stored.size,
      eventsCommitted: events.ids.length,
      eventsPublished: events.ids.length - events.unpublished,
      delivered: Math.min(...subscribers.map((s) => events.ids.filter((id) => s.received.has(id)).length)),
      subscribers: SUBSCRIBERS,
      resubscribes: subscribers.reduce((n, s) => n + s.resubscribes, 0),
      lost,
    },
    checks,
  );
});
