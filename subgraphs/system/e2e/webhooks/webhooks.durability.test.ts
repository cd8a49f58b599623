import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS, createLogger, newId, type DomainEvent } from '@ipay/platform';
import { createTestDatabase, type TestDatabase } from '@ipay/platform/testing';
import { webhookDeliveries } from '@ipay/identity/src/db/schema.ts';
import type { IdentityServices } from '@ipay/identity/src/app/services.ts';
import { startSystem, type RunningSystem } from '../../src/index.ts';
import { SANDBOX_KEYS, bearer } from '../support.ts';
import { WebhookReceiver, eventually } from './webhooks-receiver.ts';

const acme = SANDBOX_MERCHANTS[0]!;
const BURST = 60;

/**
 * At least once across a crash: the dispatcher (bus consumer + worker) is killed mid-burst, with deliveries in
 * flight, and a new system on the same database delivers every event, none lost.
 */
describe('webhook dispatcher killed mid-burst', () => {
  let database: TestDatabase;
  let receiver: WebhookReceiver;
  const running: RunningSystem[] = [];

  const start = async (seed: boolean) => {
    const system = await startSystem({
      ephemeralPorts: true,
      seed,
      databaseUrl: database.url,
      pglite: database.target.kind === 'pglite' ? database.target.client : undefined,
      logger: createLogger('system', process.env.LOG_LEVEL ?? 'silent'),
      // A short lease so the crashed worker's claimed deliveries come back within the test.
      subgraphConfig: { identity: { crmSyncIntervalMs: 0, webhookWorkerIntervalMs: 100, webhookLeaseMs: 3000, webhookTimeoutMs: 2500 } },
    });
    running.push(system);
    return system;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    receiver = await new WebhookReceiver().start();
  });
  afterAll(async () => {
    for (const system of running) await system.stop().catch(() => {});
    await receiver?.stop();
    await database?.cleanup();
  });

  it('delivers every event at least once after the dispatcher dies and a new one starts on the same database', async () => {
    const first = await start(true);
    const response = await fetch(first.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(SANDBOX_KEYS['acme-owner']!) },
      body: JSON.stringify({
        query: `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } } }`,
        variables: { input: { merchantId: acme.id, url: `${receiver.url}/burst`, eventTypes: ['order.status_changed'] } },
      }),
    });
    const created = ((await response.json()) as any).data.createWebhookEndpoint;
    receiver.secrets = [created.secret];
    // A slow receiver, so the crash finds deliveries in flight and events not yet fanned out.
    receiver.respond = () => new Promise((resolve) => setTimeout(() => resolve(200), 150));

    const events: DomainEvent[] = Array.from({ length: BURST }, (_, i) => ({
      id: newId('evt'),
      type: 'order.status_changed',
      version: 1,
      occurredAt: new Date().toISOString(),
      source: 'test',
      merchantId: acme.id,
      livemode: false,
      carrierCode: null,
      subjectType: 'Order',
      subjectId: `ord_burst_${i}`,
      payload: { order_id: `ord_burst_${i}`, merchant: acme.slug, from: 'CREATED', to: 'PAYMENT_PENDING' },
    }));
    for (let i = 0; i < BURST; i += 10) await first.bus.publish(events.slice(i, i + 10));

    await eventually(() => expect(receiver.ids('/burst').size).toBeGreaterThanOrEqual(5), 15_000, 10);
    // Crash: in-flight attempts are cut off unrecorded (their deliveries stay claimed under a lease).
    await (first.subgraphs.identity.services as unknown as IdentityServices).webhooks.abandon();
    const beforeRestart = receiver.ids('/burst').size;
    const atCrash = await (first.subgraphs.identity.database.db as any).select().from(webhookDeliveries);
    // The crash really cut deliveries off mid-flight: claimed (attempted) but not finished.
    expect(atCrash.filter((d: { attempts: number; status: string }) => d.attempts > 0 && d.status === 'PENDING').length).toBeGreaterThan(0);
    await first.stop();
    running.splice(running.indexOf(first), 1);
    expect(beforeRestart).toBeLessThan(BURST);

    const second = await start(false);
    const expected = new Set(events.map((e) => e.id));
    await eventually(() => expect(receiver.ids('/burst')).toEqual(expected), 30_000, 100);
    expect(receiver.received.filter((r) => r.path === '/burst' && r.verifiedWith.length !== 1)).toEqual([]);
    const db = second.subgraphs.identity.database.db as any;
    await eventually(
      async () => {
        const rows = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, created.endpoint.id));
        expect(rows).toHaveLength(BURST);
        expect(rows.filter((r: { status: string }) => r.status !== 'SUCCEEDED')).toEqual([]);
      },
      20_000,
      100,
    );
  });
});
