import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EVENT_CATALOGUE,
  SANDBOX_MERCHANTS,
  createLogger,
  newId,
  parseOrderPaymentState,
  wireMoney,
  type BusEvent,
  type Database,
  type Principal,
  type SubgraphServer,
} from '@ipay/platform';
import { callSubgraph, createTestDatabase, type TestDatabase } from '@ipay/platform/testing';
import * as schema from '../src/db/schema.ts';
import { createPaymentsServer } from '../src/server.ts';
import { projectOrderEvent, type PaymentsServices } from '../src/app/services.ts';

/**
 * Issue 11, defects 1, 2 and 4 on real PostgreSQL, through the payments subgraph with its sandbox PSPs: their real
 * APIs and signed webhooks. The sandbox Adyen never answers a cancel here (`hang: ['cancel']`), as a PSP that still
 * captures a payment we asked it to void: the capture must then be reversed automatically.
 * PGlite is a single connection, so these races prove nothing there: the suite needs DATABASE_URL.
 */
const logger = createLogger('payments-order-payment-test');
const acme = SANDBOX_MERCHANTS[0]!;
const principal: Principal = {
  kind: 'api_key',
  id: 'key_order_payment_test',
  credentialId: 'key_order_payment_test',
  livemode: false,
  grants: {
    'payments:create': { kind: 'MERCHANTS', merchantIds: [acme.id] },
    'payments:read': { kind: 'MERCHANTS', merchantIds: [acme.id] },
    'payments:refund': { kind: 'MERCHANTS', merchantIds: [acme.id] },
  },
};
const START = `mutation($input: StartPaymentSessionInput!) { startPaymentSession(input: $input) { id reference status } }`;

async function eventually<T>(what: () => string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.skipIf(!process.env.DATABASE_URL)('one payment per order, on real PostgreSQL (needs DATABASE_URL: PGlite is one connection)', () => {
  let database: TestDatabase;
  let server: SubgraphServer<typeof schema, PaymentsServices>;
  let db: Database<typeof schema>;
  let services: PaymentsServices;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await createPaymentsServer({
      database: database.target,
      seed: false,
      logger,
      config: { sandboxPsps: true, consumeOrderEvents: false, expirySweepIntervalMs: 0, pspTimeoutMs: 400, sandboxScenario: { hang: ['cancel'] } },
    });
    db = server.database.db;
    services = server.services;
    const port = await server.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${port}/graphql`;
  });
  afterAll(async () => {
    await server?.stop();
    await database?.cleanup();
  });

  const orderEvent = (orderId: string, type: 'order.created' | 'order.status_changed', payload: Record<string, unknown>): BusEvent => ({
    id: newId('evt'),
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    source: 'commerce',
    merchantId: acme.id,
    livemode: false,
    carrierCode: null,
    subjectType: 'Order',
    subjectId: orderId,
    position: 1,
    payload: { order_id: orderId, merchant: acme.slug, ...payload },
  });
  const newOrder = async (amount = 7840) => {
    const orderId = newId('ord');
    await projectOrderEvent(
      db,
      orderEvent(orderId, 'order.created', { reference: `T-${orderId.slice(-6)}`, status: 'AWAITING_PAYMENT', total: wireMoney(amount, 'EUR') }),
      logger,
    );
    return orderId;
  };
  const start = (orderId: string) =>
    callSubgraph(url, START, { input: { orderId, psp: 'ADYEN', method: 'ideal', idempotencyKey: newId('key') } }, { principal });
  const sessionsOf = (orderId: string) =>
    db.select().from(schema.paymentSessions).where(eq(schema.paymentSessions.orderId, orderId)).orderBy(asc(schema.paymentSessions.createdAt));
  const refundsOf = (orderId: string) => db.select().from(schema.refunds).where(eq(schema.refunds.orderId, orderId));
  const net = (sessions: schema.PaymentSessionRow[]) => sessions.reduce((sum, s) => sum + s.capturedAmount - s.refundedAmount, 0);
  const stateEvents = async (orderId: string) =>
    (
      await db
        .select()
        .from(schema.outbox)
        .where(and(eq(schema.outbox.type, 'order.payment_state_changed'), eq(schema.outbox.subjectId, orderId)))
        .orderBy(asc(schema.outbox.id))
    ).map((e) => parseOrderPaymentState(e.payload as Record<string, unknown>)!);
  const sandbox = () => services.sandboxes.adyen!;
  const settled = (orderId: string, done: (sessions: schema.PaymentSessionRow[]) => boolean) =>
    eventually(
      () => `order ${orderId} to settle`,
      async () => {
        const sessions = await sessionsOf(orderId);
        return done(sessions) ? sessions : null;
      },
    );

  it('two sessions started concurrently and both captured at the PSP: exactly one holds the funds, the other is refunded automatically', async () => {
    const orderId = await newOrder(7840);
    const [a, b] = await Promise.all([start(orderId), start(orderId)]);
    expect(a.body.errors).toBeUndefined();
    expect(b.body.errors).toBeUndefined();
    const started = await sessionsOf(orderId);
    expect(started).toHaveLength(2);
    // The first one committed was superseded by the second when it started (the PSP did not answer its cancel).
    expect(started.filter((s) => s.supersededAt)).toHaveLength(1);

    // The shopper pays both at the PSP anyway.
    for (const s of started) expect(sandbox().complete(s.reference, { outcome: 'succeed' })).toBe(true);
    const final = await settled(
      orderId,
      (ss) => ss.every((s) => s.status === 'CONFIRMED' || s.status === 'REFUNDED') && net(ss) === 7840 && ss.some((s) => s.status === 'REFUNDED'),
    );

    const holders = final.filter((s) => !s.supersededAt);
    expect(holders).toMatchObject([{ status: 'CONFIRMED', capturedAmount: 7840, refundedAmount: 0 }]);
    const superseded = final.find((s) => s.supersededAt)!;
    expect(superseded).toMatchObject({ status: 'REFUNDED', capturedAmount: 7840, refundedAmount: 7840 });
    // Money: captured − refunded over both sessions is the order total, charged once.
    expect(final.reduce((sum, s) => sum + s.capturedAmount, 0) - final.reduce((sum, s) => sum + s.refundedAmount, 0)).toBe(7840);
    expect(await refundsOf(orderId)).toMatchObject([
      { sessionId: superseded.id, kind: 'CAPTURE_REVERSAL', status: 'SUCCEEDED', amount: 7840, reason: expect.stringMatching(/^capture reversed: /) },
    ]);
    expect(
      sandbox()
        .deliveries(superseded.reference)
        .map((d) => d.describe),
    ).toContain('REFUND true');

    // The merchant is told, with what the catalogue promises; the reversal is audited.
    const [reversed] = await db
      .select()
      .from(schema.outbox)
      .where(and(eq(schema.outbox.type, 'payment.capture_reversed'), eq(schema.outbox.subjectId, superseded.id)));
    for (const field of EVENT_CATALOGUE['payment.capture_reversed'].required) expect(reversed!.payload).toHaveProperty(field);
    expect(reversed!.payload).toMatchObject({ order_id: orderId, refund: { amount_minor: 7840, currency: 'EUR' } });
    const audit = await db.select().from(schema.auditLog).where(eq(schema.auditLog.action, 'refund.reverse_capture'));
    expect(audit.map((r) => r.entityId)).toContain((await refundsOf(orderId))[0]!.id);

    // Order.paymentSession is the holder, whichever was started last.
    const order = await callSubgraph(
      url,
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { paymentSession { id status } } } }`,
      { r: [{ __typename: 'Order', id: orderId }] },
      { principal },
    );
    expect(order.body.data._entities[0].paymentSession).toEqual({ id: holders[0]!.id, status: 'CONFIRMED' });

    // The order's payment state names the holder, never the superseded session.
    const events = await stateEvents(orderId);
    expect(events.at(-1)).toMatchObject({
      state: 'PAID',
      payment_session_id: holders[0]!.id,
      captured: { amount_minor: 7840 },
      outstanding: { amount_minor: 0 },
    });
    expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
    expect(events.every((e) => e.payment_session_id !== superseded.id)).toBe(true);
  });

  it('the database refuses a second funds-holding session for an order, whatever the code above it does', async () => {
    const orderId = await newOrder(5000);
    const row = (status: schema.PaymentSessionRow['status']) => ({
      id: newId('pay'),
      reference: `IPAY-${newId('r').slice(-8)}`,
      orderId,
      merchantId: acme.id,
      livemode: false,
      status,
      amount: 5000,
      currency: 'EUR',
      psp: 'adyen',
      method: 'card',
      authorizedAmount: 5000,
      capturedAmount: status === 'CONFIRMED' ? 5000 : 0,
      expiresAt: new Date(Date.now() + 3600_000),
    });
    await db.insert(schema.paymentSessions).values(row('CONFIRMED'));
    const error = await db
      .insert(schema.paymentSessions)
      .values(row('AUTHORIZED'))
      .catch((e: unknown) => e);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error)) + String((error as { cause?: unknown }).cause)).toMatch(
      /payment_sessions_one_funds_holder_per_order/,
    );
    // A superseded one may hold captured money on its way back (its capture is being reversed).
    const superseded = { ...row('CONFIRMED'), supersededAt: new Date(), supersededReason: 'test' };
    await db.insert(schema.paymentSessions).values(superseded);
    const [stored] = await db.select().from(schema.paymentSessions).where(eq(schema.paymentSessions.id, superseded.id));
    expect(stored).toMatchObject({ status: 'CONFIRMED', supersededReason: 'test' });
  });

  it('an abandoned first session expiring after the second one was paid does not change the order’s payment state', async () => {
    const orderId = await newOrder(7840);
    const first = await start(orderId);
    const second = await start(orderId);
    expect(second.body.errors).toBeUndefined();
    const [abandoned, paying] = await sessionsOf(orderId);
    expect(abandoned!.id).toBe(first.body.data.startPaymentSession.id);
    expect(abandoned!.supersededReason).toBe(`replaced by session ${paying!.id}`);

    expect(sandbox().complete(paying!.reference, { outcome: 'succeed' })).toBe(true);
    await settled(orderId, (ss) => ss.some((s) => s.id === paying!.id && s.status === 'CONFIRMED'));
    await eventually(
      () => 'the PAID state',
      async () => (await stateEvents(orderId)).at(-1)?.state === 'PAID',
    );
    const before = await stateEvents(orderId);
    // Authorized (funds held, nothing captured yet), then captured in full: two versions, both naming the paying session.
    expect(before.map((e) => [e.version, e.state, e.captured.amount_minor, e.payment_session_id])).toEqual([
      [1, 'UNPAID', 0, paying!.id],
      [2, 'PAID', 7840, paying!.id],
    ]);

    // The first session's shopper never paid: it expires now, after the order was paid.
    expect(await services.expireOverdueSessions(new Date(Date.now() + 2 * 3600_000))).toContain(abandoned!.id);
    const [expired] = await db.select().from(schema.paymentSessions).where(eq(schema.paymentSessions.id, abandoned!.id));
    expect(expired!.status).toBe('EXPIRED');
    // payment.failed still goes out for webhooks, but the order's payment state does not move.
    const failed = await db
      .select()
      .from(schema.outbox)
      .where(and(eq(schema.outbox.type, 'payment.failed'), eq(schema.outbox.subjectId, abandoned!.id)));
    expect(failed).toHaveLength(1);
    const after = await stateEvents(orderId);
    expect(after).toEqual(before);
    expect(after.map((e) => [e.version, e.state, e.payment_session_id])).toEqual(before.map((e, i) => [i + 1, e.state, paying!.id]));
    expect(after.at(-1)).toMatchObject({ state: 'PAID', version: after.length, paid_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    const [stored] = await db.select().from(schema.orderPaymentStates).where(eq(schema.orderPaymentStates.orderId, orderId));
    expect(stored).toMatchObject({ state: 'PAID', version: after.length, sessionId: paying!.id, captured: 7840, refunded: 0 });
  });

  it('a capture the PSP still reports after our sweep expired the session is kept when nothing else holds the funds', async () => {
    const orderId = await newOrder(4200);
    await start(orderId);
    const [session] = await sessionsOf(orderId);
    // The sweep expires it and asks the PSP to close it; this PSP never answers the cancel, and the shopper pays late.
    expect(await services.expireOverdueSessions(new Date(Date.now() + 2 * 3600_000))).toContain(session!.id);
    expect(sandbox().complete(session!.reference, { outcome: 'succeed' })).toBe(true);
    const [paid] = await settled(orderId, (ss) => ss[0]!.status === 'CONFIRMED');
    expect(paid).toMatchObject({ capturedAmount: 4200, refundedAmount: 0, supersededAt: null });
    await eventually(
      () => 'the PAID state',
      async () => (await stateEvents(orderId)).at(-1)?.state === 'PAID',
    );
    expect(await refundsOf(orderId)).toEqual([]);
  });

  it('the expiry sweep runs as a job on the platform queue', async () => {
    const orderId = await newOrder(1500);
    await start(orderId);
    const [session] = await sessionsOf(orderId);
    const jobId = await server.jobs.send('payment-expiry', { asOf: new Date(Date.now() + 2 * 3600_000).toISOString() });
    await eventually(
      () => 'the expiry job to complete',
      async () => (await server.jobs.job('payment-expiry', jobId!))?.state === 'completed',
    );
    const [expired] = await db.select().from(schema.paymentSessions).where(eq(schema.paymentSessions.id, session!.id));
    expect(expired!.status).toBe('EXPIRED');
    expect(await server.jobs.failedJobs({ name: 'payment-expiry' })).toEqual([]);
  });

  it('cancellation racing a capture ends with nothing captured net, and the cancelled order cannot be paid again', async () => {
    const orderId = await newOrder(7840);
    const started = await start(orderId);
    expect(started.body.errors).toBeUndefined();
    const [session] = await sessionsOf(orderId);
    // The shopper pays while commerce cancels the order.
    await Promise.all([
      projectOrderEvent(db, orderEvent(orderId, 'order.status_changed', { from: 'AWAITING_PAYMENT', to: 'CANCELLED' }), logger, services.adapterFor),
      Promise.resolve(sandbox().complete(session!.reference, { outcome: 'succeed' })),
    ]);
    const final = await settled(orderId, (ss) => ss[0]!.capturedAmount > 0 && ss[0]!.refundedAmount === ss[0]!.capturedAmount);
    expect(net(final)).toBe(0);
    expect(final[0]).toMatchObject({ status: 'REFUNDED', capturedAmount: 7840, refundedAmount: 7840 });
    expect(await refundsOf(orderId)).toMatchObject([{ kind: 'CAPTURE_REVERSAL', status: 'SUCCEEDED', amount: 7840 }]);
    expect(
      await db
        .select()
        .from(schema.outbox)
        .where(and(eq(schema.outbox.type, 'payment.capture_reversed'), eq(schema.outbox.subjectId, session!.id))),
    ).toHaveLength(1);
    const last = (await stateEvents(orderId)).at(-1);
    expect(last === undefined || last.state === 'REFUNDED' || last.state === 'UNPAID').toBe(true);
    if (last) expect(last.captured.amount_minor - last.refunded.amount_minor).toBe(0);

    const again = await start(orderId);
    expect(again.body.errors?.[0]?.extensions).toMatchObject({ code: 'ORDER_NOT_PAYABLE', field: 'orderId', orderStatus: 'CANCELLED' });
  });

  it('cancelling an order voids its open session at the PSP', async () => {
    const orderId = await newOrder(2500);
    await start(orderId);
    const [session] = await sessionsOf(orderId);
    // This time the PSP answers the cancel.
    sandbox().scenario(session!.reference, { hang: [] });
    await projectOrderEvent(db, orderEvent(orderId, 'order.status_changed', { from: 'AWAITING_PAYMENT', to: 'CANCELLED' }), logger, services.adapterFor);
    const [cancelled] = await settled(orderId, (ss) => ss[0]!.status === 'CANCELLED');
    expect(cancelled).toMatchObject({ capturedAmount: 0, supersededReason: 'the order was cancelled' });
    expect(cancelled!.pspCancelRequestedAt).not.toBeNull();
    expect(
      sandbox()
        .deliveries(session!.reference)
        .map((d) => d.describe),
    ).toContain('CANCELLATION true');
  });
});
