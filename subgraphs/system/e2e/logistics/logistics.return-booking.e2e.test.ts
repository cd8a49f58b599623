import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { orderProjections, returnShipments } from '@ipay/logistics/src/db/schema.ts';
import { bookReturnShipment } from '@ipay/logistics/src/app/returns.ts';
import type { LogisticsServices } from '@ipay/logistics/src/app/services.ts';
import { newId, type BusEvent, type DomainEvent } from '@ipay/platform';
import { startTestSystem, type TestSystem } from '../support.ts';
import { acme, announceOrder, eventually, logisticsDb, outboxEvents } from './logistics.support.ts';

/**
 * Return labels are booked with the carrier (issue 11 defect 8, the return leg): the tracking number of a return
 * shipment is one the carrier issued through its return-label API, and a live return without carrier credentials
 * is refused with CARRIER_NOT_CONFIGURED, never given an invented number. Before the fix logistics drew the number
 * itself (`<CARRIER><12 digits>`) in both modes.
 */
describe('logistics: return labels through the carrier booking adapters', () => {
  let system: TestSystem;
  let services: LogisticsServices;
  beforeAll(async () => {
    system = await startTestSystem({ seed: true });
    services = system.subgraphs.logistics.services as unknown as LogisticsServices;
  });
  afterAll(() => system?.stop());

  const returnConfirmed = (orderId: string, returnId: string, method: string, livemode: boolean): DomainEvent => ({
    id: newId('evt'),
    type: 'return.confirmed',
    version: 1,
    occurredAt: new Date().toISOString(),
    source: 'commerce',
    merchantId: acme.id,
    livemode,
    carrierCode: null,
    subjectType: 'Return',
    subjectId: returnId,
    payload: { order_id: orderId, merchant: acme.slug, return: { id: returnId, method } },
  });

  it.each(['DROP_OFF', 'LOCKER', 'PICKUP'])(
    'test mode, %s: the return shipment carries the tracking number the sandbox carrier issued for a return label',
    async (method) => {
      const orderId = await announceOrder(system);
      await eventually(async () => (await logisticsDb(system).select().from(orderProjections).where(eq(orderProjections.orderId, orderId)))[0]);
      const returnId = newId('ret');
      await system.bus.publish([returnConfirmed(orderId, returnId, method, false)]);
      const row = await eventually(async () => (await logisticsDb(system).select().from(returnShipments).where(eq(returnShipments.returnId, returnId)))[0]);
      const booked = services.carrierSandbox!.bookings().filter((b) => b.reference === returnId);
      expect(booked).toHaveLength(1);
      expect(booked[0]).toMatchObject({ carrier: row.carrierCode, kind: 'RETURN', trackingNumber: row.trackingNumber });
      const [issued] = await outboxEvents(system, 'return.label_issued', returnId);
      expect(issued!.payload).toMatchObject({ tracking_number: booked[0]!.trackingNumber, carrier_reference: booked[0]!.carrierReference });
    },
  );

  it('live mode without carrier credentials: CARRIER_NOT_CONFIGURED, no return shipment, return.label_failed announced', async () => {
    const orderId = newId('ord');
    await logisticsDb(system)
      .insert(orderProjections)
      .values({
        orderId,
        merchantId: acme.id,
        merchantSlug: acme.slug,
        livemode: true,
        reference: 'LIVE-RET-1',
        currency: 'EUR',
        totalMinor: 7840,
        status: 'AWAITING_PAYMENT',
        shippingAddress: { name: 'Emma de Vries', line1: 'Damrak 1', city: 'Amsterdam', postal_code: '1011 AB', country: 'NL' },
      });
    const returnId = newId('ret');
    const event = returnConfirmed(orderId, returnId, 'DROP_OFF', true);
    const refused = await bookReturnShipment(logisticsDb(system) as never, services, { ...event, position: 0 } as BusEvent, console as never).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(GraphQLError);
    expect((refused as GraphQLError).extensions).toMatchObject({ code: 'CARRIER_NOT_CONFIGURED', retryable: false, carrier: null });
    // Through the bus: the consumer records the refusal and moves on (no endless redelivery).
    await system.bus.publish([event]);
    const [failed] = await eventually(async () => {
      const rows = await outboxEvents(system, 'return.label_failed', returnId);
      return rows.length ? rows : null;
    });
    expect(failed!.payload).toMatchObject({ order_id: orderId, return: { id: returnId, method: 'DROP_OFF' }, code: 'CARRIER_NOT_CONFIGURED' });
    expect(await logisticsDb(system).select().from(returnShipments).where(eq(returnShipments.returnId, returnId))).toHaveLength(0);
  });
});
