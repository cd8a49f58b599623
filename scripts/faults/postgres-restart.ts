/**
 * Fault b: restart PostgreSQL during a stream of createOrder mutations. The cluster is a PRIVATE one (initdb into
 * a temp directory, its own port: FAULT_PG_PORT, default a free one; never the shared server on 5432), stopped
 * with `pg_ctl -m immediate` (a crash: backends killed, WAL recovery on start) and started again.
 * Every acknowledged mutation is stored (committed means durable), every refused one retried with its
 * idempotency key is stored once, the services recover by themselves and the outbox relay publishes everything.
 *
 *   pnpm fault:postgres          FAULT_DOWN_MS (default 10000): how long PostgreSQL stays down
 */
import {
  committedEvents,
  envMs,
  finish,
  log,
  main,
  mutationStream,
  outcomeCode,
  privatePostgres,
  retryWithSameKeys,
  startProcesses,
  storedOrders,
  until,
  type Check,
} from './lib.ts';

const NAME = 'fault b: PostgreSQL restarted during a stream of mutations';
const DOWN_MS = envMs('FAULT_DOWN_MS', 10_000);

await main(NAME, async () => {
  const pg = await privatePostgres();
  const system = await startProcesses({ databaseUrl: pg.url });
  const subgraphs = Object.values(system.services).filter((s) => s.name !== 'gateway');

  const stream = mutationStream(system.gatewayUrl, 4);
  await until('20 acknowledged mutations before the fault', () => stream.attempts.filter((a) => a.acknowledged).length >= 20);

  const stoppedAt = Date.now();
  pg.stop('immediate');
  log(`PostgreSQL stopped (immediate: a crash) with ${stream.attempts.length} mutations sent so far; down for ${DOWN_MS} ms`);
  const noticed = await until(
    'a subgraph to report its database unavailable',
    async () => ((await Promise.all(subgraphs.map((s) => s.ready()))).some((r) => !r) ? true : undefined),
    30_000,
  );
  await until(`${DOWN_MS} ms of downtime`, () => Date.now() - stoppedAt >= DOWN_MS, DOWN_MS + 60_000);
  const downAttempts = stream.attempts.filter((a) => a.sentAt > stoppedAt);

  const startedAt = Date.now();
  pg.start();
  log(`PostgreSQL started again after ${startedAt - stoppedAt} ms (recovery done in ${Date.now() - startedAt} ms)`);
  await until('every subgraph ready again', async () => (await Promise.all(subgraphs.map((s) => s.ready()))).every(Boolean), 60_000).catch(async (error) => {
    const states = await Promise.all(
      subgraphs.map(
        async (s) =>
          `${s.name}: ${(
            await fetch(new URL('/readyz', s.url))
              .then((r) => r.text())
              .catch((e: Error) => e.message)
          ).slice(0, 300)}`,
      ),
    );
    throw new Error(`${(error as Error).message}\n${states.join('\n')}`);
  });
  const recoveredAt = await until(
    'a mutation acknowledged after the restart',
    () => stream.attempts.find((a) => a.acknowledged && a.sentAt >= startedAt)?.sentAt,
    60_000,
  );
  log(`mutations acknowledged again ${recoveredAt - startedAt} ms after the start`);
  await until('10 acknowledged mutations after the recovery', () => stream.attempts.filter((a) => a.acknowledged && a.sentAt >= recoveredAt).length >= 10);
  const attempts = await stream.stop();

  const failed = attempts.filter((a) => !a.acknowledged);
  const retriedOk = await retryWithSameKeys(system.gatewayUrl, failed);
  const stored = await storedOrders(pg.sql);
  const acknowledged = attempts.filter((a) => a.acknowledged);
  const lost = attempts.filter((a) => !stored.has(a.reference)).length;
  const duplicates = [...stored.values()].filter((n) => n > 1).length;
  // The relay resumes by itself: every committed order.created is published (to the SQL log bus in the same cluster).
  const events = await until(
    'the outbox relay to publish every committed event',
    async () => {
      const e = await committedEvents(pg.sql);
      return e.unpublished === 0 ? e : undefined;
    },
    60_000,
  );
  const codes: Record<string, number> = {};
  for (const a of failed) codes[outcomeCode(a.outcome)] = (codes[outcomeCode(a.outcome)] ?? 0) + 1;
  log(`refusals by code: ${JSON.stringify(codes)}`);
  const leaked = failed.filter(
    (a) => /postgres|ECONNREFUSED|connect|sql/i.test(JSON.stringify(a.outcome.body?.errors ?? [])) && outcomeCode(a.outcome) === 'INTERNAL_SERVER_ERROR',
  );

  const checks: Check[] = [
    { what: 'the subgraphs reported their database unavailable (readyz 503) while it was down', ok: noticed === true },
    {
      what: 'requests while it was down got an answer (an error, no hang)',
      ok: downAttempts.length > 0 && downAttempts.every((a) => a.outcome.status > 0),
      detail: `${downAttempts.length} requests, slowest ${Math.max(0, ...downAttempts.map((a) => a.outcome.ms)).toFixed(0)} ms`,
    },
    { what: 'mutations succeeded again by themselves after the restart', ok: acknowledged.some((a) => a.sentAt >= startedAt) },
    { what: 'every acknowledged mutation is stored (committed = durable across a crash)', ok: acknowledged.every((a) => stored.has(a.reference)) },
    { what: 'every refused mutation, retried with its idempotency key, is stored', ok: retriedOk === failed.length, detail: `${retriedOk}/${failed.length}` },
    { what: 'no order stored twice', ok: duplicates === 0 },
    {
      what: 'the outbox relay resumed: every committed order.created published',
      ok: events.ids.length === stored.size && events.unpublished === 0,
      detail: `${events.ids.length} events`,
    },
  ];
  if (leaked.length) log(`note: ${leaked.length} refusals carried database details in development mode (masked in production)`);
  return finish(
    NAME,
    {
      sent: attempts.length,
      acknowledged: acknowledged.length,
      refused: failed.length,
      retriedAcknowledged: retriedOk,
      stored: stored.size,
      eventsCommitted: events.ids.length,
      eventsPublished: events.ids.length - events.unpublished,
      duplicates,
      lost,
    },
    checks,
  );
});
