import { and, eq, ne, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, newId, ORDER_PAYMENT_STATES, type BusEvent, type Database, type OrderPaymentState } from '@ipay/platform';
import { createTestDatabase, type TestDatabase } from '@ipay/platform/testing';
import * as schema from '../src/db/schema.ts';
import { handleEvent } from '../src/app/projections.ts';
import { createLogisticsServer } from '../src/server.ts';
import type { LogisticsServices } from '../src/app/services.ts';

/**
 * Property: whatever order the order's events arrive in (payment state versions out of order and redelivered, a
 * cancellation anywhere), logistics ends with the highest version's state, a live release authorization exactly
 * when that state is fully paid and the order not cancelled, and the database lets the release be verified only
 * then. The real projection code on a real database (PGlite, or PostgreSQL with DATABASE_URL), driven event by event
 * as its single consumer applies them.
 */
describe('release authorizations over interleavings of payment states and cancellation', () => {
  let database: TestDatabase;
  let server: Awaited<ReturnType<typeof createLogisticsServer>>;
  let db: Database<typeof schema>;
  let services: LogisticsServices;
  const logger = createLogger('test', 'silent');
  const merchantId = 'mer_interleavings';

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await createLogisticsServer({ database: database.target, logger, config: { consumeEvents: false, sandboxCarriers: false } });
    db = server.database.db as unknown as Database<typeof schema>;
    services = server.services as unknown as LogisticsServices;
    await db.insert(schema.carriers).values({ code: 'ups', name: 'UPS' }).onConflictDoNothing();
  });
  afterAll(async () => {
    await server?.stop();
    await database?.cleanup();
  });

  const money = (minor: number) => ({ amount: minor / 100, amount_minor: minor, currency: 'EUR' });
  const event = (type: BusEvent['type'], orderId: string, payload: Record<string, unknown>): BusEvent => ({
    id: newId('evt'),
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    source: type === 'order.status_changed' ? 'commerce' : 'payments',
    merchantId,
    livemode: false,
    carrierCode: null,
    subjectType: 'Order',
    subjectId: orderId,
    payload: { order_id: orderId, merchant: 'interleavings', ...payload },
    position: 0,
  });
  const stateEvent = (orderId: string, version: number, state: OrderPaymentState) => {
    const captured = state === 'UNPAID' ? 0 : state === 'PARTIALLY_CAPTURED' ? 1000 : 7840;
    const refunded = state === 'REFUNDED' ? 7840 : state === 'PARTIALLY_REFUNDED' ? 1000 : 0;
    return event('order.payment_state_changed', orderId, {
      version,
      state,
      amount_due: money(7840),
      captured: money(captured),
      refunded: money(refunded),
      outstanding: money(7840 - captured),
      payment_session_id: captured ? `pay_v${version}` : null,
      psp: captured ? 'adyen' : null,
      paid_at: null,
    });
  };
  const fullyPaid = (state: OrderPaymentState) => state === 'PAID' || state === 'PARTIALLY_REFUNDED';

  it('ends in the state of the highest version, released only when fully paid and not cancelled', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...ORDER_PAYMENT_STATES), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        async (states, cancel, seed, duplicates) => {
          const orderId = newId('ord');
          await db.insert(schema.orderProjections).values({
            orderId,
            merchantId,
            merchantSlug: 'interleavings',
            livemode: false,
            reference: null,
            currency: 'EUR',
            totalMinor: 7840,
            status: 'AWAITING_PAYMENT',
            shippingAddress: null,
          });
          const shipmentId = newId('shp');
          await db
            .insert(schema.shipments)
            .values({ id: shipmentId, orderId, merchantId, livemode: false, carrierCode: 'ups', trackingNumber: `1Z${shipmentId.slice(-16).toUpperCase()}` });
          const events = states.map((s, i) => stateEvent(orderId, i + 1, s));
          if (cancel) events.push(event('order.status_changed', orderId, { from: 'AWAITING_PAYMENT', to: 'CANCELLED' }));
          // Redeliveries, then a deterministic shuffle: any arrival order.
          for (const d of duplicates) events.push(events[d % events.length]!);
          const rng = fc.sample(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: events.length, maxLength: events.length }), {
            seed,
            numRuns: 1,
          })[0]!;
          const arrival = events
            .map((e, i) => ({ e, k: rng[i]! }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.e);
          for (const e of arrival) await handleEvent(db, services, e, logger);

          const finalState = states[states.length - 1]!;
          const [stored] = await db.select().from(schema.orderPaymentStates).where(eq(schema.orderPaymentStates.orderId, orderId));
          expect(stored).toMatchObject({ version: states.length, state: finalState });
          const releasable = fullyPaid(finalState) && !cancel;
          const liveRows = await db
            .select()
            .from(schema.releaseAuthorizations)
            .where(and(eq(schema.releaseAuthorizations.orderId, orderId), ne(schema.releaseAuthorizations.status, 'REVOKED')));
          expect(liveRows).toHaveLength(releasable ? 1 : 0);
          // The database agrees: verifying on the stored session succeeds exactly when releasable.
          // The live authorization when there is one (a revoked one cannot become RELEASED beside it: one active per shipment).
          const [any] = liveRows.length
            ? liveRows
            : await db.select().from(schema.releaseAuthorizations).where(eq(schema.releaseAuthorizations.orderId, orderId)).limit(1);
          if (any) {
            const verified = await db
              .transaction(async (tx) => {
                await tx.execute(
                  sql`update logistics.release_authorizations set status = 'RELEASED', revoked_at = null, authorized_at = now(), payment_session_id = ${stored!.paymentSessionId ?? 'none'}, paid_amount_minor = ${stored!.capturedMinor || 1}, paid_currency = 'EUR' where id = ${any.id}`,
                );
                throw new RolledBack();
              })
              .then(
                () => false,
                (e: unknown) => e instanceof RolledBack,
              );
            expect(verified).toBe(releasable);
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});

class RolledBack extends Error {}
