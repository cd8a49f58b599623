import { fileURLToPath } from 'node:url';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, newId, openDatabase, type DatabaseHandle } from '@ipay/platform';
import { createTestDatabase, type TestDatabase } from '@ipay/platform/testing';
import * as dbSchema from '../src/db/schema.ts';
import { merchants, webhookAttempts, webhookDeliveries, webhookEndpoints } from '../src/db/schema.ts';
import { MAX_ATTEMPTS, RETRY_SCHEDULE_MS, WebhookDispatcher, type DispatcherOptions } from '../src/webhooks/dispatcher.ts';
import { encryptSecret, generateWebhookSecret, webhookEncryptionKey } from '../src/webhooks/signing.ts';
import { WebhookReceiver } from '../../../scripts/test/webhooks-receiver.ts';

const key = webhookEncryptionKey(undefined, false);
const logger = createLogger('test', 'silent');
const T0 = new Date('2026-06-01T10:00:00.000Z');

/** The dispatcher against a real identity schema, driven by hand (no loop, no bus) with a fixed clock. */
describe('webhook dispatcher', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle<typeof dbSchema>;
  let receiver: WebhookReceiver;
  const merchantId = newId('mer');
  const db = () => handle.db;

  const dispatcher = (options: Partial<DispatcherOptions> = {}) =>
    new WebhookDispatcher(db(), logger, {
      encryptionKey: key,
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
      clock: () => T0,
      timeoutMs: 2000,
      leaseMs: 60_000,
      intervalMs: 0,
      disableAfterMs: 30 * 86_400_000,
      batch: 20,
      ...options,
    });

  const endpoint = async (path: string, eventTypes = ['order.status_changed'], createdAt = new Date(T0.getTime() - 60_000)) => {
    const id = newId('whe');
    const secret = generateWebhookSecret();
    await db().insert(webhookEndpoints).values({ id, merchantId, livemode: false, url: `${receiver.url}${path}`, eventTypes, secretCiphertext: encryptSecret(key, secret, id), createdAt });
    return { id, secret };
  };
  const event = (i: number, occurredAt = T0) => ({
    id: newId('evt'),
    type: 'order.status_changed' as const,
    occurredAt: occurredAt.toISOString(),
    livemode: false,
    merchantId,
    payload: { order_id: `ord_${i}`, merchant: 'm', from: 'A', to: 'B' },
  });

  beforeAll(async () => {
    database = await createTestDatabase();
    handle = openDatabase(database.target, { schema: dbSchema });
    await handle.migrate('identity', fileURLToPath(new URL('../drizzle', import.meta.url)));
    await db().insert(merchants).values({ id: merchantId, slug: `m-${merchantId.slice(-8)}`, name: 'Merchant', country: 'NL', defaultCurrency: 'EUR' });
    receiver = await new WebhookReceiver().start();
  });
  afterAll(async () => {
    await receiver?.stop();
    await handle?.close();
    await database?.cleanup();
  });

  it('fans out once per matching endpoint, whatever the number of times the bus hands an event over', async () => {
    const { id } = await endpoint('/fanout');
    await endpoint('/other-type', ['payment.confirmed']);
    await endpoint('/too-new', ['*'], new Date(T0.getTime() + 60_000));
    const d = dispatcher();
    const e = event(1);
    expect(await d.fanOut(e)).toBe(1);
    expect(await d.fanOut(e)).toBe(0);
    expect(await d.fanOut({ ...e, id: newId('evt'), livemode: true })).toBe(0);
    expect(await d.fanOut({ ...e, id: newId('evt'), merchantId: null })).toBe(0);
    const rows = await db().select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, e.id));
    expect(rows.map((r) => r.endpointId)).toEqual([id]);
    await db().update(webhookEndpoints).set({ deletedAt: T0 });
  });

  it('retries on the schedule (with only-positive jitter) and fails the delivery after the last attempt', async () => {
    const { id } = await endpoint('/always-down');
    receiver.respond = (r) => (r.path === '/always-down' ? 500 : 200);
    const d = dispatcher();
    await d.fanOut(event(2));
    let now = T0;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      expect(await d.runOnce(new Date(now.getTime() - 1))).toMatchObject({ claimed: 0 });
      expect(await d.runOnce(now)).toMatchObject({ claimed: 1 });
      const [row] = await db().select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, id));
      if (attempt < MAX_ATTEMPTS) {
        const gap = row!.nextAttemptAt.getTime() - now.getTime();
        expect(gap).toBeGreaterThanOrEqual(RETRY_SCHEDULE_MS[attempt - 1]!);
        expect(gap).toBeLessThanOrEqual(RETRY_SCHEDULE_MS[attempt - 1]! * 1.2);
        expect(row!.status).toBe('PENDING');
      } else {
        expect(row).toMatchObject({ status: 'FAILED', attempts: MAX_ATTEMPTS, lastStatusCode: 500 });
      }
      now = row!.nextAttemptAt;
    }
    const attempts = await db().select().from(webhookAttempts).where(eq(webhookAttempts.endpointId, id)).orderBy(asc(webhookAttempts.attemptNumber));
    expect(attempts.map((a) => a.attemptNumber)).toEqual(Array.from({ length: MAX_ATTEMPTS }, (_, i) => i + 1));
    expect(attempts.every((a) => a.statusCode === 500 && !a.succeeded && a.error === 'HTTP 500')).toBe(true);
    expect(receiver.received.filter((r) => r.path === '/always-down')).toHaveLength(MAX_ATTEMPTS);
    await db().update(webhookEndpoints).set({ deletedAt: T0 });
  });

  it('lets replicas share the work without sending an event twice', async () => {
    const { secret } = await endpoint('/shared');
    receiver.secrets = [secret];
    receiver.respond = () => new Promise((resolve) => setTimeout(() => resolve(200), 20));
    const [a, b] = [dispatcher({ batch: 5, clock: () => new Date() }), dispatcher({ batch: 5, clock: () => new Date() })];
    const events = Array.from({ length: 30 }, (_, i) => event(100 + i));
    for (const e of events) await a.fanOut(e);
    const drain = async (d: WebhookDispatcher) => {
      while ((await d.runOnce()).claimed > 0);
    };
    await Promise.all([drain(a), drain(b)]);
    const hits = receiver.received.filter((r) => r.path === '/shared');
    expect(hits.map((h) => h.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(hits.every((h) => h.verifiedWith.length === 1)).toBe(true);
    await db().update(webhookEndpoints).set({ deletedAt: T0 });
  });

  it('re-sends a crashed worker’s claimed delivery once its lease ends', async () => {
    const { id } = await endpoint('/crash');
    receiver.respond = (r, attempt) => (r.path === '/crash' && attempt === 1 ? new Promise((resolve) => setTimeout(() => resolve(200), 3000)) : 200);
    const crashed = dispatcher({ leaseMs: 10_000 });
    await crashed.fanOut(event(3));
    const running = crashed.runOnce(T0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await crashed.abandon();
    await running;
    const survivor = dispatcher({ leaseMs: 10_000 });
    expect(await survivor.runOnce(new Date(T0.getTime() + 9_000))).toMatchObject({ claimed: 0 });
    expect(await survivor.runOnce(new Date(T0.getTime() + 10_000))).toMatchObject({ claimed: 1, succeeded: 1 });
    const [row] = await db().select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, id));
    expect(row).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    // The crashed attempt left no record; the receiver saw the same webhook-id twice and deduplicates.
    expect(await db().select().from(webhookAttempts).where(eq(webhookAttempts.endpointId, id))).toHaveLength(1);
    expect(new Set(receiver.received.filter((r) => r.path === '/crash').map((r) => r.id)).size).toBe(1);
  });
});
