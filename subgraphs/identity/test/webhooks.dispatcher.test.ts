import { fileURLToPath } from 'node:url';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, newId, openDatabase, type DatabaseHandle } from '@ipay/platform';
import { createTestDatabase, type TestDatabase } from '@ipay/platform/testing';
import * as dbSchema from '../src/db/schema.ts';
import { merchants, webhookAttempts, webhookDeliveries, webhookEndpoints } from '../src/db/schema.ts';
import { MAX_ATTEMPTS, RETRY_SCHEDULE_MS, WebhookDispatcher, type DispatcherOptions } from '../src/app/webhooks/dispatcher.ts';
import { encryptSecret, generateWebhookSecret, webhookEncryptionKey } from '../src/adapters/webhooks/signing.ts';
import { eventually, WebhookReceiver } from '../../system/e2e/webhooks/webhooks-receiver.ts';

const key = webhookEncryptionKey(undefined);
const logger = createLogger('test', 'silent');
const T0 = new Date('2026-06-01T10:00:00.000Z');

/** The dispatcher against a real identity schema, driven by hand (no loop, no bus) with a fixed clock. */
describe('webhook dispatcher', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle<typeof dbSchema>;
  let receiver: WebhookReceiver;
  const merchantId = newId('mer');
  const otherMerchantId = newId('mer');
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
      endpointConcurrency: 4,
      maxInFlight: 100,
      ...options,
    });

  const endpoint = async (path: string, eventTypes = ['order.status_changed'], createdAt = new Date(T0.getTime() - 60_000), owner = merchantId) => {
    const id = newId('whe');
    const secret = generateWebhookSecret();
    await db()
      .insert(webhookEndpoints)
      .values({
        id,
        merchantId: owner,
        livemode: false,
        url: `${receiver.url}${path}`,
        eventTypes,
        secretCiphertext: encryptSecret(key, secret, id),
        createdAt,
      });
    return { id, secret };
  };
  const event = (i: number, occurredAt = T0, owner = merchantId) => ({
    id: newId('evt'),
    type: 'order.status_changed' as const,
    occurredAt: occurredAt.toISOString(),
    livemode: false,
    merchantId: owner,
    payload: { order_id: `ord_${i}`, merchant: 'm', from: 'A', to: 'B' },
  });

  beforeAll(async () => {
    database = await createTestDatabase();
    handle = openDatabase(database.target, { schema: dbSchema });
    await handle.migrate('identity', fileURLToPath(new URL('../drizzle', import.meta.url)));
    await db()
      .insert(merchants)
      .values({ id: merchantId, slug: `m-${merchantId.slice(-8)}`, name: 'Merchant', country: 'NL', defaultCurrency: 'EUR' });
    await db()
      .insert(merchants)
      .values({ id: otherMerchantId, slug: `m-${otherMerchantId.slice(-8)}`, name: 'Other merchant', country: 'NL', defaultCurrency: 'EUR' });
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

  it('delivers another merchant’s event while one merchant’s receivers hang, and retries the hanging ones after their timeout', async () => {
    // Merchant A: three endpoints whose receivers hang (two events each, so the per-endpoint cap of 1 holds the
    // second back); merchant B: one fast endpoint. The background loop runs on the real clock, shifted by `ahead`.
    const hanging = ['/hang-1', '/hang-2', '/hang-3'];
    const a = await Promise.all(hanging.map((path) => endpoint(path, ['order.status_changed'], new Date(Date.now() - 60_000))));
    const b = await endpoint('/fast', ['order.status_changed'], new Date(Date.now() - 60_000), otherMerchantId);
    let release!: () => void;
    const released = new Promise<number>((resolve) => (release = () => resolve(200)));
    receiver.respond = (r) => (hanging.includes(r.path) ? released : 200);
    let ahead = 0;
    const d = dispatcher({ intervalMs: 3_600_000, timeoutMs: 3_000, endpointConcurrency: 1, clock: () => new Date(Date.now() + ahead) });
    await d.start(undefined);
    try {
      const aEvents = [event(200), event(201)];
      for (const e of aEvents) await d.fanOut({ ...e, occurredAt: new Date().toISOString() });
      // A's three receivers hold a request each (the cap keeps each endpoint's second delivery back).
      await eventually(() => expect(receiver.received.filter((r) => hanging.includes(r.path))).toHaveLength(3));
      expect(a.map((e) => d.inFlightOf(e.id))).toEqual([1, 1, 1]);
      await d.fanOut({ ...event(202, undefined, otherMerchantId), occurredAt: new Date().toISOString() });
      // The condition: B received, or an A attempt settled (its timeout) — whichever comes first.
      const attemptsOfA = () =>
        db()
          .select()
          .from(webhookAttempts)
          .where(
            inArray(
              webhookAttempts.endpointId,
              a.map((e) => e.id),
            ),
          );
      await eventually(async () => {
        if (receiver.received.some((r) => r.path === '/fast')) return;
        if ((await attemptsOfA()).length > 0) return;
        throw new Error('neither yet');
      });
      expect(receiver.received.filter((r) => r.path === '/fast')).toHaveLength(1);
      // B arrived while A's receivers were still blocked: none of A's attempts has an outcome yet.
      expect(await attemptsOfA()).toEqual([]);
      expect(a.map((e) => d.inFlightOf(e.id))).toEqual([1, 1, 1]);
      await eventually(async () =>
        expect(
          await db()
            .select()
            .from(webhookDeliveries)
            .where(and(eq(webhookDeliveries.endpointId, b.id), eq(webhookDeliveries.status, 'SUCCEEDED'))),
        ).toHaveLength(1),
      );
      // Nothing lost: A's attempts time out and are scheduled again; the receivers recover and every A delivery succeeds.
      await eventually(async () => {
        const rows = await attemptsOfA();
        expect(rows.filter((r) => r.error === 'timed out after 3000 ms')).toHaveLength(3);
      }, 20_000);
      release();
      receiver.respond = () => 200;
      ahead = 10 * 60_000;
      d.kick();
      await eventually(async () => {
        const rows = await db()
          .select()
          .from(webhookDeliveries)
          .where(
            inArray(
              webhookDeliveries.endpointId,
              a.map((e) => e.id),
            ),
          );
        expect(rows.map((r) => r.status)).toEqual(Array(6).fill('SUCCEEDED'));
      }, 20_000);
      const ids = receiver.ids();
      for (const e of aEvents) expect(ids.has(e.id)).toBe(true);
    } finally {
      release();
      await d.close();
      await db().update(webhookEndpoints).set({ deletedAt: T0 });
    }
  });
});
