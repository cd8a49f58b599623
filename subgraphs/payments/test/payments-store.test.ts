import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SANDBOX_MERCHANTS,
  SANDBOX_ORDERS,
  createLogger,
  newId,
  runMutation,
  systemActor,
  type BusEvent,
  type Database,
  type SubgraphServer,
} from '@ipay/platform';
import { createTestDatabase, type TestDatabase } from '@ipay/platform/testing';
import * as schema from '../src/db/schema.ts';
import { canStartPayment } from '../src/domain/payability.ts';
import { newPaymentReference } from '../src/domain/reference.ts';
import { settleRefunds } from '../src/app/payments.ts';
import type { NormalisedNotification } from '../src/adapters/psp/adapter.ts';
import { createPaymentsServer } from '../src/server.ts';
import { projectOrderEvent, type PaymentsServices } from '../src/app/services.ts';
import { DeliverAgain, storeNotifications } from '../src/app/notifications.ts';

const logger = createLogger('payments-test');
const acme = SANDBOX_MERCHANTS[0]!;

describe('canStartPayment', () => {
  it.each([
    ['CREATED', [], true],
    ['AWAITING_PAYMENT', ['REQUESTED', 'FAILED', 'EXPIRED'], true],
    ['AWAITING_PAYMENT', ['AUTHORIZED'], false],
    ['CREATED', ['CONFIRMED'], false],
    ['PAID', [], false],
    ['CANCELLED', [], false],
    ['REFUNDED', [], false],
  ] as const)('order %s with sessions %j → %s', (status, sessions, ok) => {
    expect(canStartPayment(status, sessions).ok).toBe(ok);
  });
});

describe('payments store on a real database', () => {
  let database: TestDatabase;
  let server: SubgraphServer<typeof schema, PaymentsServices>;
  let db: Database<typeof schema>;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await createPaymentsServer({
      database: database.target,
      seed: true,
      logger,
      config: { sandboxPsps: false, consumeOrderEvents: false, expirySweepIntervalMs: 0 },
    });
    db = server.database.db;
  });
  afterAll(async () => {
    await server?.stop();
    await database?.cleanup();
  });

  const insertSession = async (overrides: Partial<schema.PaymentSessionRow> = {}) => {
    const now = new Date();
    const [row] = await db
      .insert(schema.paymentSessions)
      .values({
        id: newId('pay'),
        reference: newPaymentReference(),
        orderId: newId('ord'),
        merchantId: acme.id,
        livemode: false,
        status: 'REQUESTED',
        amount: 5000,
        currency: 'EUR',
        psp: 'adyen',
        method: 'ideal',
        pspReference: `PSP${newId('x').slice(-13).toUpperCase()}`,
        expiresAt: new Date(now.getTime() + 3600_000),
        ...overrides,
      })
      .returning();
    return row!;
  };
  const notification = (session: schema.PaymentSessionRow, overrides: Partial<NormalisedNotification> = {}): NormalisedNotification => ({
    psp: 'adyen',
    pspEventId: `${session.pspReference}:AUTHORISATION:true`,
    pspReference: session.pspReference!,
    modificationReference: null,
    merchantReference: session.reference,
    kind: 'AUTHORIZATION',
    success: true,
    retryableByShopper: false,
    amount: { amount: session.amount, currency: session.currency },
    refundedTotal: null,
    pspStatusCode: 'AUTHORISATION',
    reason: null,
    occurredAt: new Date(),
    raw: {},
    ...overrides,
  });
  const historyOf = (id: string) => db.select().from(schema.paymentEvents).where(eq(schema.paymentEvents.sessionId, id));

  it('seeds the orders projection from the sandbox orders, with amounts that satisfy the money invariants', async () => {
    const projected = await db.select().from(schema.orders);
    expect(projected).toHaveLength(SANDBOX_ORDERS.length);
    const refunded = await db.select().from(schema.paymentSessions).where(eq(schema.paymentSessions.status, 'REFUNDED'));
    expect(refunded.every((s) => s.capturedAmount === s.amount && s.refundedAmount === s.amount)).toBe(true);
  });

  it('projects order events idempotently and skips malformed ones', async () => {
    const orderId = newId('ord');
    const base = {
      version: 1,
      occurredAt: new Date().toISOString(),
      source: 'commerce',
      merchantId: acme.id,
      livemode: true,
      carrierCode: null,
      subjectType: 'Order',
      subjectId: orderId,
      position: 1,
    };
    const created: BusEvent = {
      ...base,
      id: newId('evt'),
      type: 'order.created',
      payload: { order_id: orderId, merchant: acme.slug, reference: 'LIVE-1', status: 'CREATED', total: { amount: 12.5, amount_minor: 1250, currency: 'EUR' } },
    };
    await projectOrderEvent(db, created, logger);
    await projectOrderEvent(db, created, logger); // redelivered
    await projectOrderEvent(
      db,
      { ...base, id: newId('evt'), type: 'order.status_changed', payload: { order_id: orderId, merchant: acme.slug, from: 'CREATED', to: 'AWAITING_PAYMENT' } },
      logger,
    );
    const rows = await db.select().from(schema.orders).where(eq(schema.orders.id, orderId));
    expect(rows).toEqual([expect.objectContaining({ livemode: true, amount: 1250, currency: 'EUR', status: 'AWAITING_PAYMENT', merchant: acme.slug })]);
    const broken = { ...created, id: newId('evt'), payload: { ...created.payload, order_id: newId('ord'), total: { amount: 1.5, currency: 'EUR' } } };
    await expect(projectOrderEvent(db, broken, logger)).resolves.toBeUndefined();
    expect(
      await db
        .select()
        .from(schema.orders)
        .where(eq(schema.orders.id, broken.payload.order_id as string)),
    ).toEqual([]);
  });

  it('stores each notification once, however many copies arrive at the same time', async () => {
    const session = await insertSession();
    const copies = Array.from({ length: 6 }, () => storeNotifications(db, 'adyen', false, [notification(session)], null, logger));
    const outcomes = (await Promise.all(copies)).flat();
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(5);
    expect(await historyOf(session.id)).toHaveLength(1);
    const [stored] = await db.select().from(schema.paymentSessions).where(eq(schema.paymentSessions.id, session.id));
    expect(stored).toMatchObject({ status: 'AUTHORIZED', authorizedAmount: 5000, version: 1 });
  });

  it('never lets a notification of one mode reach a session of the other', async () => {
    const live = await insertSession({ livemode: true });
    expect(await storeNotifications(db, 'adyen', false, [notification(live)], null, logger)).toEqual(['unknown-session']);
    expect(await historyOf(live.id)).toHaveLength(0);
    // Without our reference, an unknown PSP id may be a session still being created: ask for redelivery.
    await expect(storeNotifications(db, 'adyen', false, [notification(live, { merchantReference: null })], null, logger)).rejects.toBeInstanceOf(DeliverAgain);
  });

  it('acknowledges but does not apply money movements that contradict a closed session', async () => {
    const cancelled = await insertSession({ status: 'CANCELLED' });
    const capture = notification(cancelled, { kind: 'CAPTURE', pspEventId: 'CAP1:CAPTURE:true', pspStatusCode: 'CAPTURE' });
    expect(await storeNotifications(db, 'adyen', false, [capture], null, logger)).toEqual(['needs-attention']);
    const [stored] = await db.select().from(schema.paymentSessions).where(eq(schema.paymentSessions.id, cancelled.id));
    expect(stored).toMatchObject({ status: 'CANCELLED', capturedAmount: 0 });
  });

  it('settles pending refunds from cumulative refund totals, oldest first, never beyond the refunded amount', async () => {
    const session = await insertSession({ status: 'PARTIALLY_REFUNDED', authorizedAmount: 5000, capturedAmount: 5000, refundedAmount: 3000 });
    const refund = async (amount: number, minutesAgo: number) =>
      (
        await db
          .insert(schema.refunds)
          .values({
            id: newId('ref'),
            sessionId: session.id,
            orderId: session.orderId,
            merchantId: session.merchantId,
            livemode: false,
            amount,
            currency: 'EUR',
            reason: 'test',
            idempotencyKey: newId('key'),
            requestHash: 'x',
            createdAt: new Date(Date.now() - minutesAgo * 60_000),
          })
          .returning()
      )[0]!;
    const [a, b, c] = [await refund(1000, 3), await refund(2000, 2), await refund(1500, 1)];
    const tables = { audit: { auditLog: schema.auditLog, auditHead: schema.auditHead }, outbox: schema.outbox };
    await runMutation(db, tables, systemActor('psp:stripe', false), (uow) => settleRefunds(uow, session, null, false));
    const statuses = Object.fromEntries((await db.select().from(schema.refunds).where(eq(schema.refunds.sessionId, session.id))).map((r) => [r.id, r.status]));
    expect(statuses).toEqual({ [a.id]: 'SUCCEEDED', [b.id]: 'SUCCEEDED', [c.id]: 'PENDING' });
    // Each settled refund is announced, with the refunded total the PSP reported.
    const announced = await db.select().from(schema.outbox).where(eq(schema.outbox.type, 'refund.created'));
    expect(announced.map((e) => [e.subjectId, (e.payload as any).payment.refunded_minor])).toEqual([
      [a.id, 3000],
      [b.id, 3000],
    ]);
  });
});
