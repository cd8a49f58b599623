/**
 * Fault a: kill a subgraph (commerce, SIGKILL) under a stream of createOrder mutations and bring it back.
 * While it is down requests fail fast with SUBGRAPH_UNAVAILABLE naming it (the circuit opens); after it is back
 * they succeed again by themselves; every acknowledged mutation is stored, exactly once; every refused one,
 * retried with its idempotency key, is stored once too.
 *
 *   pnpm fault:subgraph          FAULT_DOWN_MS (default 15000): how long commerce stays down
 */
import {
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

const NAME = 'fault a: subgraph killed under load';
const DOWN_MS = envMs('FAULT_DOWN_MS', 15_000);

await main(NAME, async () => {
  const pg = await privatePostgres();
  const system = await startProcesses({ databaseUrl: pg.url });
  const commerce = system.services.commerce;
  const readyz = async () => (await (await fetch(new URL('/readyz', system.gatewayUrl))).json()) as { status: string; circuits: Record<string, string> };

  const stream = mutationStream(system.gatewayUrl, 4);
  await until('20 acknowledged mutations before the fault', () => stream.attempts.filter((a) => a.acknowledged).length >= 20);

  const killedAt = Date.now();
  const signal = await commerce.kill('SIGKILL');
  log(`killed commerce (${signal}) with ${stream.attempts.length} mutations sent so far; down for ${DOWN_MS} ms`);
  const open = await until('the commerce circuit to open', async () => ((await readyz()).circuits.commerce === 'open' ? Date.now() : undefined), 30_000);
  log(`circuit of commerce open ${open - killedAt} ms after the kill`);
  await until(`${DOWN_MS} ms of downtime`, () => Date.now() - killedAt >= DOWN_MS, DOWN_MS + 60_000);
  const whileDown = stream.attempts.filter((a) => a.sentAt >= open);
  const downReadyz = await readyz();

  const restartedAt = Date.now();
  await commerce.start();
  log(`commerce back after ${restartedAt - killedAt} ms down (ready in ${Date.now() - restartedAt} ms)`);
  const recoveredAt = await until(
    'a mutation acknowledged after the restart',
    () => stream.attempts.find((a) => a.acknowledged && a.sentAt >= restartedAt)?.sentAt,
    60_000,
  );
  await until('10 acknowledged mutations after the recovery', () => stream.attempts.filter((a) => a.acknowledged && a.sentAt >= recoveredAt).length >= 10);
  const attempts = await stream.stop();
  const upReadyz = await readyz();

  // The ones that failed, retried with the same idempotency key: each stored once (never a second order).
  const failed = attempts.filter((a) => !a.acknowledged);
  const retriedOk = await retryWithSameKeys(system.gatewayUrl, failed);

  const stored = await storedOrders(pg.sql);
  const acknowledged = attempts.filter((a) => a.acknowledged);
  const lost = acknowledged.filter((a) => !stored.has(a.reference)).length + failed.filter((a) => !stored.has(a.reference)).length;
  const duplicates = [...stored.values()].filter((n) => n > 1).length;
  const codes: Record<string, number> = {};
  for (const a of failed) codes[outcomeCode(a.outcome)] = (codes[outcomeCode(a.outcome)] ?? 0) + 1;
  const downLatencies = whileDown.map((a) => a.outcome.ms).sort((x, y) => x - y);
  const p95 = downLatencies[Math.floor(downLatencies.length * 0.95)] ?? 0;
  const namesCommerce = whileDown.every((a) => a.outcome.body?.errors?.[0]?.extensions?.serviceName === 'commerce');
  log(`refusals by code: ${JSON.stringify(codes)}`);

  const checks: Check[] = [
    {
      what: 'requests while commerce was down failed with SUBGRAPH_UNAVAILABLE naming commerce',
      ok: whileDown.length > 0 && whileDown.every((a) => outcomeCode(a.outcome) === 'SUBGRAPH_UNAVAILABLE') && namesCommerce,
      detail: `${whileDown.length} requests`,
    },
    { what: 'they failed fast (p95 under 1 s, the subgraph timeout is 10 s)', ok: whileDown.length > 0 && p95 < 1000, detail: `p95 ${p95.toFixed(0)} ms` },
    {
      what: '/readyz named commerce while it was down and was ready after',
      ok: downReadyz.status === 'unavailable' && upReadyz.status === 'ready',
      detail: `${downReadyz.status} → ${upReadyz.status}`,
    },
    {
      what: 'mutations succeeded again by themselves after the restart',
      ok: acknowledged.some((a) => a.sentAt >= restartedAt),
      detail: `${acknowledged.filter((a) => a.sentAt >= restartedAt).length} after`,
    },
    { what: 'every acknowledged mutation is stored', ok: acknowledged.every((a) => stored.has(a.reference)) },
    { what: 'every refused mutation, retried with its idempotency key, is stored', ok: retriedOk === failed.length, detail: `${retriedOk}/${failed.length}` },
    { what: 'no order stored twice', ok: duplicates === 0 },
  ];
  return finish(
    NAME,
    {
      sent: attempts.length,
      acknowledged: acknowledged.length,
      refused: failed.length,
      retried: failed.length,
      retriedAcknowledged: retriedOk,
      stored: stored.size,
      duplicates,
      lost,
    },
    checks,
  );
});
