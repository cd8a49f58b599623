/**
 * Fault e: kill the webhook dispatcher (the identity process, SIGKILL: no chance to finish or record anything)
 * mid-burst, with deliveries claimed and in flight to a slow receiver, then start it again. Every event of the
 * burst is eventually delivered and verified by the receiver (the independent `standardwebhooks` package); none
 * is lost; a duplicate is only ever a repeat of the same webhook-id (the receiver deduplicates on it).
 *
 *   pnpm fault:webhooks          FAULT_BURST (default 60 orders), FAULT_WEBHOOK_LEASE_MS (default 3000)
 */
import { RUN, committedEvents, createOrder, envMs, finish, log, main, privatePostgres, startProcesses, until, type Check, type OrderAttempt } from './lib.ts';
import { AS_ACME, ACME, graphql } from './lib.ts';
import { WebhookReceiver } from '../../subgraphs/system/e2e/webhooks/webhooks-receiver.ts';

const NAME = 'fault e: webhook dispatcher killed mid-burst';
const BURST = Number(process.env.FAULT_BURST ?? 60);
const LEASE_MS = envMs('FAULT_WEBHOOK_LEASE_MS', 3_000);

await main(NAME, async () => {
  const pg = await privatePostgres();
  const receiver = await new WebhookReceiver().start();
  // A slow receiver, so the kill finds deliveries claimed and in flight, and events not yet fanned out.
  receiver.respond = () => new Promise((resolve) => setTimeout(() => resolve(200), 400));
  const system = await startProcesses({
    databaseUrl: pg.url,
    // A short lease so the killed worker's claims come back within the run (production: max(60 s, 3 × timeout)).
    env: { WEBHOOK_WORKER_INTERVAL_MS: '200', WEBHOOK_TIMEOUT_MS: '2500', WEBHOOK_LEASE_MS: String(LEASE_MS) },
  });
  const identity = system.services.identity;

  const created = await graphql(
    system.gatewayUrl,
    `
      mutation ($input: CreateWebhookEndpointInput!) {
        createWebhookEndpoint(input: $input) {
          secret
          endpoint {
            id
          }
        }
      }
    `,
    { input: { merchantId: ACME.id, url: `${receiver.url}/burst`, eventTypes: ['order.created'] } },
    AS_ACME,
  );
  const endpoint = created.body?.data?.createWebhookEndpoint as { secret: string; endpoint: { id: string } } | undefined;
  if (!endpoint) throw new Error(`createWebhookEndpoint failed: ${JSON.stringify(created.body ?? created.transport)}`);
  receiver.secrets = [endpoint.secret];

  // The burst: BURST orders, 8 at a time, each an order.created for the endpoint.
  const attempts: OrderAttempt[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < BURST) {
        const n = ++next;
        attempts.push(await createOrder(system.gatewayUrl, `${RUN}-${String(n).padStart(5, '0')}`));
      }
    }),
  );
  const acknowledged = attempts.filter((a) => a.acknowledged).length;
  log(`burst: ${acknowledged}/${BURST} orders acknowledged`);
  const events = await until(
    'commerce to publish the burst',
    async () => {
      const e = await committedEvents(pg.sql);
      return e.ids.length === acknowledged && e.unpublished === 0 ? e : undefined;
    },
    60_000,
  );
  const expected = new Set(events.ids);

  await until('the first deliveries to arrive', () => [...receiver.ids('/burst')].filter((id) => expected.has(id)).length >= 5, 60_000, 10);
  const signal = await identity.kill('SIGKILL');
  const deliveredBeforeKill = [...receiver.ids('/burst')].filter((id) => expected.has(id)).length;
  const [atKill] = await pg.sql<{ claimed: string; pending: string; rows: string }[]>`
    select count(*) filter (where attempts > 0 and status = 'PENDING') as claimed, count(*) filter (where status = 'PENDING') as pending, count(*) as rows
    from identity.webhook_deliveries where endpoint_id = ${endpoint.endpoint.id}`;
  log(
    `killed identity (${signal}) with ${deliveredBeforeKill}/${expected.size} delivered; deliveries fanned out ${atKill!.rows}, pending ${atKill!.pending}, claimed and unfinished ${atKill!.claimed}`,
  );

  await identity.start();
  log('identity back');
  await until('every event of the burst to be delivered', () => [...expected].every((id) => receiver.ids('/burst').has(id)), 120_000, 100).catch(
    () => undefined,
  );
  const rows = await until(
    'every delivery row to be SUCCEEDED',
    async () => {
      const r = await pg.sql<
        { status: string; n: string }[]
      >`select status, count(*) as n from identity.webhook_deliveries where endpoint_id = ${endpoint.endpoint.id} group by status`;
      const total = r.reduce((s, x) => s + Number(x.n), 0);
      return total === expected.size && r.every((x) => x.status === 'SUCCEEDED') ? r : undefined;
    },
    60_000,
  ).catch(
    async () =>
      pg.sql<
        { status: string; n: string }[]
      >`select status, count(*) as n from identity.webhook_deliveries where endpoint_id = ${endpoint.endpoint.id} group by status`,
  );
  await receiver.stop();

  const receipts = receiver.received.filter((r) => r.path === '/burst');
  const delivered = new Set(receipts.map((r) => r.id).filter((id) => expected.has(id)));
  const unexpected = receipts.filter((r) => !expected.has(r.id));
  const unverified = receipts.filter((r) => r.verifiedWith.length !== 1);
  // A duplicate must be a repeat of the same event under the same webhook-id: the body names the same event.
  const mismatched = receipts.filter((r) => r.body?.id !== r.id);
  const duplicates = receipts.length - new Set(receipts.map((r) => r.id)).size;
  const lost = [...expected].filter((id) => !delivered.has(id)).length + (BURST - acknowledged);
  const statuses = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));

  const checks: Check[] = [
    { what: 'every order of the burst was acknowledged', ok: acknowledged === BURST, detail: `${acknowledged}/${BURST}` },
    {
      what: 'the kill came mid-burst (deliveries still pending)',
      ok: Number(atKill!.pending) > 0 || Number(atKill!.rows) < expected.size,
      detail: `${deliveredBeforeKill} delivered before, ${atKill!.claimed} claimed and unfinished`,
    },
    { what: 'every event delivered after the restart', ok: lost === 0, detail: `${delivered.size}/${expected.size}` },
    {
      what: 'every delivery row SUCCEEDED, one per event',
      ok: statuses.SUCCEEDED === expected.size && Object.keys(statuses).length === 1,
      detail: JSON.stringify(statuses),
    },
    { what: 'every receipt verified with the endpoint secret', ok: unverified.length === 0, detail: `${receipts.length} receipts` },
    {
      what: 'duplicates only as the same webhook-id (body id = webhook-id), no unknown ids',
      ok: mismatched.length === 0 && unexpected.length === 0,
      detail: `${duplicates} duplicates`,
    },
  ];
  return finish(
    NAME,
    {
      burst: BURST,
      acknowledged,
      eventsCommitted: expected.size,
      deliveredBeforeKill,
      claimedAtKill: Number(atKill!.claimed),
      delivered: delivered.size,
      receipts: receipts.length,
      duplicates,
      lost,
    },
    checks,
  );
});
