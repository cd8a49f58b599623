import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS, Sealer, createLogger } from '@ipay/platform';
import { createTestDatabase, type TestDatabase } from '@ipay/platform/testing';
import { createCommerceServer } from '@ipay/commerce';
import { integrations, orders } from '@ipay/commerce/src/db/schema.ts';
import { transitionOrder } from '@ipay/commerce/src/app/orders.ts';
import { startSimulatedShop, type SimulatedShop } from '@ipay/commerce/src/sandbox/shops/simulated-shop.ts';
import type { PlatformCode } from '@ipay/commerce/src/adapters/shops/index.ts';

const acme = SANDBOX_MERCHANTS[0]!;
type Server = Awaited<ReturnType<typeof createCommerceServer>>;

async function eventually<T>(fn: () => Promise<T> | T, check: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('integration sync scheduler', () => {
  let database: TestDatabase;
  let shop: SimulatedShop;
  let a: Server;
  let b: Server;
  const config = {
    scheduler: { tickMs: 0, settleMs: 0, backoffMs: 200, maxBackoffMs: 5_000, maxFailures: 3, intervalSeconds: 600, http: { retries: 0, timeoutMs: 3_000 } },
  };
  const logger = createLogger('commerce-scheduler-test', 'silent');

  beforeAll(async () => {
    database = await createTestDatabase();
    shop = await startSimulatedShop();
    // Two schedulers (as two replicas) on one database; only the first consumes events.
    a = await createCommerceServer({ database: database.target, seed: true, logger, config });
    b = await createCommerceServer({ database: database.target, logger, config: { ...config, consumeEvents: false } });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await shop?.close();
    await database?.cleanup();
  });

  const db = () => a.database.db;
  const mutate =
    (server: Server) =>
    <T>(work: Parameters<Server['runAsSystem']>[2]) =>
      server.runAsSystem('test', false, work as any) as Promise<T>;
  const connect = async (platform: PlatformCode) => {
    const row = await a.services.integrations.connect(mutate(a), {
      merchantId: acme.id,
      livemode: false,
      platform,
      credentials: shop.credentials(platform),
      baseUrl: shop.baseUrl(platform),
    });
    expect(row, row.lastError ?? '').toMatchObject({ status: 'CONNECTED' });
    return row;
  };
  const row = async (id: string) => (await db().select().from(integrations).where(eq(integrations.id, id)))[0]!;
  const ordersOf = async (id: string) => db().select().from(orders).where(eq(orders.integrationId, id));
  const ago = (s: number) => new Date(Date.now() - s * 1000);

  it('imports new orders, backs off on failure, recovers, and neither duplicates nor skips', async () => {
    const integration = await connect('shopify');
    const sealed = (await row(integration.id)).credentialsSealed;
    expect(sealed).not.toContain(shop.credentials('shopify').accessToken);
    expect(sealed).toMatch(/^v1\./);

    const first = [shop.addOrder('shopify', { updatedAt: ago(30) }), shop.addOrder('shopify', { updatedAt: ago(20) })];
    const run1 = await a.services.integrations.runDue();
    expect(run1).toEqual([{ integrationId: integration.id, ok: true, created: 2 }]);
    const after1 = await row(integration.id);
    expect(after1.syncCursor).not.toBeNull();
    expect(after1.nextRunAt!.getTime()).toBeGreaterThan(Date.now() + 500_000); // next regular run in 10 minutes
    expect(await a.services.integrations.runDue()).toEqual([]); // not due

    // The shop fails: the run is recorded, backed off exponentially, the cursor stays.
    // Sync windows are whole seconds: let one pass so the next run has a window to ask the shop for.
    await new Promise((r) => setTimeout(r, 1100));
    const missed = shop.addOrder('shopify', { updatedAt: new Date() });
    shop.failNext(1, { status: 503 }, 'shopify');
    const failed = await a.services.integrations.syncNow(integration.id);
    expect(failed.outcome).toMatchObject({ ok: false, created: 0 });
    expect(failed.row).toMatchObject({ status: 'CONNECTED', consecutiveFailures: 1, syncCursor: after1.syncCursor });
    expect(failed.row.lastError).toMatch(/shopify/);
    const backoff1 = failed.row.nextRunAt!.getTime() - failed.row.lastRunAt!.getTime();
    shop.failNext(1, { status: 500 }, 'shopify');
    const failed2 = await a.services.integrations.syncNow(integration.id);
    const backoff2 = failed2.row.nextRunAt!.getTime() - failed2.row.lastRunAt!.getTime();
    expect(backoff1).toBe(200);
    expect(backoff2).toBe(400);

    // The shop recovers: the order missed by the failed runs arrives exactly once, and one that changed comes back as no duplicate.
    shop.updateOrder('shopify', first[0]!, new Date());
    await eventually(
      () => Date.now(),
      (now) => now >= failed2.row.nextRunAt!.getTime(),
    );
    const recovered = await a.services.integrations.runDue();
    expect(recovered).toEqual([{ integrationId: integration.id, ok: true, created: 1 }]);
    expect(await row(integration.id)).toMatchObject({ status: 'CONNECTED', consecutiveFailures: 0, lastError: null, importedCount: 3 });
    const imported = await ordersOf(integration.id);
    expect(imported.map((o) => o.externalId).sort()).toEqual([...first, missed].sort());
    expect(imported.every((o) => o.source === 'INTEGRATION' && o.sourcePlatform === 'shopify' && o.status === 'CREATED')).toBe(true);
  });

  it('goes to ERROR after repeated failures and stops being scheduled until synced by hand', async () => {
    const integration = await connect('woocommerce');
    shop.failNext(3, { status: 500 }, 'woocommerce');
    for (let i = 1; i <= 3; i++) {
      const { row: state } = await a.services.integrations.syncNow(integration.id);
      expect(state.consecutiveFailures).toBe(i);
      expect(state.status).toBe(i < 3 ? 'CONNECTED' : 'ERROR');
    }
    const errored = await row(integration.id);
    expect(errored.nextRunAt).toBeNull();
    expect((await a.services.integrations.runDue()).map((o) => o.integrationId)).not.toContain(integration.id);
    shop.addOrder('woocommerce', { updatedAt: ago(15) });
    const manual = await a.services.integrations.syncNow(integration.id);
    expect(manual.row).toMatchObject({ status: 'CONNECTED', consecutiveFailures: 0, importedCount: 1 });
  });

  it('the scheduler tick runs as a job on the platform queue', async () => {
    const integration = await connect('shopify');
    shop.addOrder('shopify', { updatedAt: ago(10) });
    const jobId = await a.jobs.send('integration-sync', {});
    await eventually(
      () => a.jobs.job('integration-sync', jobId!),
      (job) => job?.state === 'completed',
    );
    expect(await row(integration.id)).toMatchObject({ status: 'CONNECTED', importedCount: 1 });
  });

  it('runs each due integration once when two schedulers tick at the same time', async () => {
    const platforms: PlatformCode[] = ['lazada', 'shopify', 'woocommerce'];
    const rows = [];
    for (const platform of platforms) {
      rows.push(await connect(platform));
      for (let i = 0; i < 3; i++) shop.addOrder(platform, { updatedAt: ago(40 - i) });
    }
    // Make every integration due, including the earlier tests' ones.
    await db()
      .update(integrations)
      .set({ nextRunAt: new Date(Date.now() - 1000) })
      .where(eq(integrations.status, 'CONNECTED'));
    const due = (await db().select().from(integrations).where(eq(integrations.status, 'CONNECTED'))).map((r) => r.id);
    const [ra, rb] = await Promise.all([a.services.integrations.runDue(), b.services.integrations.runDue()]);
    const ran = [...ra, ...rb].map((o) => o.integrationId);
    expect(ran.sort()).toEqual([...due].sort());
    expect([...ra, ...rb].every((o) => o.ok)).toBe(true);
    for (const r of rows) {
      const imported = await ordersOf(r.id);
      expect(new Set(imported.map((o) => o.externalId)).size).toBe(imported.length);
    }
    // The same integration asked to sync now by both at once: one runs it, the other sees it taken.
    const target = rows[0]!.id;
    const both = await Promise.all([a.services.integrations.syncNow(target), b.services.integrations.syncNow(target)]);
    expect(both.filter((r) => r.outcome !== null).length).toBeGreaterThanOrEqual(1);
    expect((await ordersOf(target)).length).toBe(3);
    expect((await row(target)).leaseOwner).toBeNull();
  });

  it('pushes an order status change back to the shop', async () => {
    const integration = await connect('woocommerce');
    const externalId = shop.addOrder('woocommerce', { updatedAt: ago(12) });
    await a.services.integrations.syncNow(integration.id);
    const [order] = (await ordersOf(integration.id)).filter((o) => o.externalId === externalId);
    await a.runAsSystem('test', false, (uow) =>
      transitionOrder(uow, order!.id, 'AWAITING_PAYMENT', { action: 'order.awaiting_payment', merchantSlug: acme.slug }),
    );
    await a.relay.kick();
    const push = await eventually(
      () => shop.pushes('woocommerce').find((p) => p.externalId === externalId),
      (p) => !!p,
    );
    expect(push!.action).toBe('status:on-hold');
  });

  it('keeps credentials sealed with the row as associated data', async () => {
    const r = (await db().select().from(integrations).limit(1))[0]!;
    const key = (a.services.integrations as unknown as { key: Buffer }).key;
    expect(() => new Sealer(key).open(r.credentialsSealed, `integration:other:${r.merchantId}:${r.platform}`)).toThrow();
    expect(JSON.parse(new Sealer(key).open(r.credentialsSealed, `integration:${r.id}:${r.merchantId}:${r.platform}`))).toEqual(
      shop.credentials(r.platform as PlatformCode),
    );
  });
});
