import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SANDBOX_MERCHANTS, SANDBOX_ORDERS, sandboxId } from '@ipay/platform';
import { simulateScans, type SimulatedWebhook } from '@ipay/logistics/src/sandbox/scan-simulator.ts';
import type { LogisticsServices } from '@ipay/logistics/src/app/services.ts';
import { SANDBOX_KEYS, bearer, startTestSystem, type TestSystem } from '../support.ts';
import { eq } from 'drizzle-orm';
import * as logisticsSchema from '@ipay/logistics/src/db/schema.ts';
import { acme, announceOrder, codeOf, createShipment, logisticsDb, outboxEvents, pointSimulatorAtSubgraph } from './logistics.support.ts';

const ACME = bearer(SANDBOX_KEYS['acme-owner']!);
const SHIPMENT = `query($id: ID!) {
  shipment(id: $id) { id status scans { carrierEventId type occurredAt } timeline { from to at scan { type } } }
}`;
const SIMULATE = `mutation($id: ID!, $scenario: ScanScenario!) { simulateCarrierScans(shipmentId: $id, scenario: $scenario) { shipment { id status } scans { type httpStatus } } }`;
const SIMULATE_ONE = `mutation($id: ID!, $scan: ScanType!) { simulateCarrierScan(shipmentId: $id, scan: $scan) { shipment { status } scans { type httpStatus } } }`;

/** Journeys start three days ago, on the hour: the scans lie inside the carriers' freshness window (no signed timestamp). */
const START = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 86_400_000);

describe('logistics: carrier scans through the webhook routes', () => {
  let system: TestSystem;
  let base: string;
  let secrets: LogisticsServices['webhookSecrets'];
  beforeAll(async () => {
    system = await startTestSystem({ seed: true });
    base = pointSimulatorAtSubgraph(system);
    secrets = (system.subgraphs.logistics.services as unknown as LogisticsServices).webhookSecrets;
  });
  afterAll(() => system?.stop());

  const post = async (carrier: string, webhook: Pick<SimulatedWebhook, 'request'>, route = '/webhooks/carriers/') => {
    const { request } = webhook;
    const query = new URLSearchParams(request.query as Record<string, string>);
    const response = await fetch(`${base}${route}${carrier}${query.size ? `?${query}` : ''}`, {
      method: request.method,
      headers: request.headers as Record<string, string>,
      body: request.method === 'GET' ? undefined : (request.rawBody as string),
    });
    return { status: response.status, body: await response.text() };
  };
  const shipmentOf = async (id: string) => {
    const { body } = await system.query(SHIPMENT, { id }, ACME);
    expect(body.errors).toBeUndefined();
    return body.data.shipment;
  };

  it('folds duplicated and out-of-order scans, and emits carrier.out_for_delivery once per out-for-delivery scan', async () => {
    const orderId = await announceOrder(system);
    const { shipment } = await createShipment(system, orderId, { carrierCode: 'postnl' }, ACME);
    const [picked, transit, out1, failed, back, out2, delivered] = simulateScans({
      carrier: 'postnl',
      trackingNumber: shipment.trackingNumber,
      scenario: 'FAILED_ATTEMPT_THEN_DELIVERED',
      start: START,
      secrets,
    }) as [SimulatedWebhook, SimulatedWebhook, SimulatedWebhook, SimulatedWebhook, SimulatedWebhook, SimulatedWebhook, SimulatedWebhook];

    // Out for delivery arrives first, then the earlier scans, with a duplicate in between.
    for (const webhook of [out1, picked, out1, transit]) expect((await post('postnl', webhook)).status).toBe(200);
    let current = await shipmentOf(shipment.id);
    expect(current.status).toBe('OUT_FOR_DELIVERY');
    expect(current.scans.map((s: { type: string }) => s.type)).toEqual(['PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY']);
    expect(current.timeline.map((t: { to: string }) => t.to)).toEqual(['PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY']);
    let events = await outboxEvents(system, 'carrier.out_for_delivery', shipment.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toEqual({
      order_id: orderId,
      merchant: 'acme-shop',
      carrier: 'postnl',
      shipment: { id: shipment.id, tracking_number: shipment.trackingNumber, scanned_at: out1.expected.occurredAt.toISOString() },
    });
    expect(events[0]!.carrierCode).toBe('postnl');

    // A failed attempt and the second round: a second out-for-delivery scan is a second event, its duplicate is not.
    for (const webhook of [failed, out2, out2]) expect((await post('postnl', webhook)).status).toBe(200);
    expect((await shipmentOf(shipment.id)).status).toBe('OUT_FOR_DELIVERY');
    events = await outboxEvents(system, 'carrier.out_for_delivery', shipment.id);
    expect(events.map((e) => (e.payload as any).shipment.scanned_at).sort()).toEqual([
      out1.expected.occurredAt.toISOString(),
      out2.expected.occurredAt.toISOString(),
    ]);

    // Delivered, then a late depot scan from before the second round: recorded, the status stays DELIVERED.
    for (const webhook of [delivered, back, delivered]) expect((await post('postnl', webhook)).status).toBe(200);
    current = await shipmentOf(shipment.id);
    expect(current.status).toBe('DELIVERED');
    expect(current.scans).toHaveLength(7);
    expect(current.timeline.map((t: { to: string }) => t.to)).toEqual([
      'PICKED_UP',
      'IN_TRANSIT',
      'OUT_FOR_DELIVERY',
      'DELIVERY_FAILED',
      'IN_TRANSIT',
      'OUT_FOR_DELIVERY',
      'DELIVERED',
    ]);
    expect(await outboxEvents(system, 'carrier.out_for_delivery', shipment.id)).toHaveLength(2);
  });

  it('stores nothing of an unauthenticated or malformed request', async () => {
    const orderId = await announceOrder(system);
    const { shipment } = await createShipment(system, orderId, { carrierCode: 'dhl' }, ACME);
    const [picked] = simulateScans({ carrier: 'dhl', trackingNumber: shipment.trackingNumber, scenario: 'HAPPY_PATH', start: START, secrets });
    const forged = { request: { ...picked!.request, headers: { ...picked!.request.headers, [secrets.dhl.headerName]: 'not-the-token' } } };
    expect((await post('dhl', forged)).status).toBe(401);
    const unsigned = { request: { ...picked!.request, headers: { 'content-type': 'application/json' } } };
    expect((await post('dhl', unsigned)).status).toBe(401);
    const malformed = { request: { ...picked!.request, rawBody: '{"shipments": "nope"' } };
    expect((await post('dhl', malformed)).status).toBe(400);
    expect(await shipmentOf(shipment.id)).toMatchObject({ status: 'LABEL_CREATED', scans: [] });
    expect((await post('dhl', picked!)).status).toBe(200);
    expect(await shipmentOf(shipment.id)).toMatchObject({ status: 'PICKED_UP' });
    // Unknown carrier routes do not exist; scans of unknown parcels are acknowledged and dropped.
    expect((await post('fedex', picked!)).status).toBe(404);
    const [stranger] = simulateScans({ carrier: 'dhl', trackingNumber: 'JJD000000000000000', scenario: 'HAPPY_PATH', start: START, secrets });
    expect((await post('dhl', stranger!)).status).toBe(200);
  });

  it('takes sandbox-signed scans only on the sandbox route and only for test-mode parcels; the live route refuses them', async () => {
    const services = system.subgraphs.logistics.services as unknown as LogisticsServices;
    const sandboxSecrets = services.sandbox!.webhookSecrets;
    const orderId = await announceOrder(system);
    const { shipment } = await createShipment(system, orderId, { carrierCode: 'gls' }, ACME);
    const [picked] = simulateScans({ carrier: 'gls', trackingNumber: shipment.trackingNumber, scenario: 'HAPPY_PATH', start: START, secrets: sandboxSecrets });
    const refused = await post('gls', picked!);
    expect({ status: refused.status, error: JSON.parse(refused.body).error }).toEqual({ status: 401, error: 'BAD_CREDENTIAL' });
    expect(await shipmentOf(shipment.id)).toMatchObject({ status: 'LABEL_CREATED', scans: [] });
    // The live secret is no key to the sandbox route either.
    const [liveSigned] = simulateScans({ carrier: 'gls', trackingNumber: shipment.trackingNumber, scenario: 'HAPPY_PATH', start: START, secrets });
    expect((await post('gls', liveSigned!, '/webhooks/carriers/sandbox/')).status).toBe(401);
    expect((await post('gls', picked!, '/webhooks/carriers/sandbox/')).status).toBe(200);
    expect(await shipmentOf(shipment.id)).toMatchObject({ status: 'PICKED_UP' });

    // A live parcel is out of the sandbox route's reach: acknowledged as unknown, nothing stored.
    const db = logisticsDb(system);
    const live = {
      id: `shp_live_${shipment.id}`,
      orderId: `ord_live_${shipment.id}`,
      merchantId: acme.id,
      livemode: true,
      carrierCode: 'gls',
      trackingNumber: `LIVE${shipment.trackingNumber}`,
    };
    await db.insert(logisticsSchema.shipments).values(live);
    const [livePicked] = simulateScans({ carrier: 'gls', trackingNumber: live.trackingNumber, scenario: 'HAPPY_PATH', start: START, secrets: sandboxSecrets });
    expect((await post('gls', livePicked!, '/webhooks/carriers/sandbox/')).status).toBe(200);
    expect(await db.select().from(logisticsSchema.carrierScans).where(eq(logisticsSchema.carrierScans.shipmentId, live.id))).toEqual([]);
    expect((await db.select().from(logisticsSchema.shipments).where(eq(logisticsSchema.shipments.id, live.id)))[0]!.status).toBe('LABEL_CREATED');
  });

  it.each(['ups', 'dhl', 'postnl', 'dpd', 'gls', 'inpost'])('plays a %s journey through its real webhook route from the sandbox simulator', async (carrier) => {
    const orderId = await announceOrder(system);
    const locker = carrier === 'inpost';
    const { shipment } = await createShipment(
      system,
      orderId,
      { carrierCode: carrier, serviceLevel: locker ? 'LOCKER' : 'STANDARD', deliveryMethod: locker ? 'LOCKER' : 'DOOR' },
      ACME,
    );
    const { body } = await system.query(SIMULATE, { id: shipment.id, scenario: 'HAPPY_PATH' }, ACME);
    expect(body.errors).toBeUndefined();
    expect(body.data.simulateCarrierScans.scans.map((s: { type: string; httpStatus: number }) => `${s.type}:${s.httpStatus}`)).toEqual([
      'PICKED_UP:200',
      'IN_TRANSIT:200',
      'IN_TRANSIT:200',
      'OUT_FOR_DELIVERY:200',
      'DELIVERED:200',
    ]);
    expect(body.data.simulateCarrierScans.shipment.status).toBe('DELIVERED');
    expect((await shipmentOf(shipment.id)).scans).toHaveLength(5);
    expect(await outboxEvents(system, 'carrier.out_for_delivery', shipment.id)).toHaveLength(1);
  });

  it('sends single scans timed now, and keeps the simulator inside the caller’s scope', async () => {
    const orderId = await announceOrder(system);
    const { shipment } = await createShipment(system, orderId, { carrierCode: 'dpd' }, ACME);
    const out = await system.query(SIMULATE_ONE, { id: shipment.id, scan: 'OUT_FOR_DELIVERY' }, ACME);
    expect(out.body.data.simulateCarrierScan).toEqual({ shipment: { status: 'OUT_FOR_DELIVERY' }, scans: [{ type: 'OUT_FOR_DELIVERY', httpStatus: 200 }] });
    expect(await outboxEvents(system, 'carrier.out_for_delivery', shipment.id)).toHaveLength(1);

    const bella = SANDBOX_MERCHANTS.find((m) => m.slug === 'bella-moda')!;
    const bellaShipment = sandboxId('shp', SANDBOX_ORDERS.find((o) => o.merchantId === bella.id && o.status === 'PAID')!.id);
    const foreign = await system.query(SIMULATE_ONE, { id: bellaShipment, scan: 'PICKED_UP' }, ACME);
    expect(codeOf(foreign.body)).toBe('NOT_FOUND');
    const readOnly = await system.query(SIMULATE_ONE, { id: shipment.id, scan: 'DELIVERED' }, bearer(SANDBOX_KEYS['acme-read-only']!));
    expect(codeOf(readOnly.body)).toBe('FORBIDDEN');
  });

  it('delivers carrier.out_for_delivery to the carrier partner’s subscription, and not other carriers’ events', async () => {
    const client = createClient({
      url: system.gatewayUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${SANDBOX_KEYS['ups-carrier']!}` },
      retryAttempts: 0,
    });
    const received: any[] = [];
    const arrived = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out: ${JSON.stringify(received)}`)), 15_000);
      const dispose = client.subscribe(
        { query: `subscription { shipmentEvents(types: ["carrier.out_for_delivery"]) { type payload shipment { trackingNumber carrier { code } } } }` },
        {
          next: (value) => {
            received.push(value);
            clearTimeout(timer);
            dispose();
            resolve();
          },
          error: (error) => (clearTimeout(timer), reject(error instanceof Error ? error : new Error(JSON.stringify(error)))),
          complete: () => {},
        },
      );
    });
    // Let the subscription start before the events happen.
    await new Promise((r) => setTimeout(r, 500));
    const dhlOrder = await announceOrder(system);
    const dhl = await createShipment(system, dhlOrder, { carrierCode: 'dhl' }, ACME);
    await system.query(SIMULATE_ONE, { id: dhl.shipment.id, scan: 'OUT_FOR_DELIVERY' }, ACME);
    const upsOrder = await announceOrder(system);
    const ups = await createShipment(system, upsOrder, { carrierCode: 'ups' }, ACME);
    await system.query(SIMULATE_ONE, { id: ups.shipment.id, scan: 'OUT_FOR_DELIVERY' }, ACME);
    try {
      await arrived;
    } finally {
      await client.dispose();
    }
    expect(received).toHaveLength(1);
    expect(received[0].data.shipmentEvents).toMatchObject({
      type: 'carrier.out_for_delivery',
      payload: { order_id: upsOrder, carrier: 'ups', shipment: { id: ups.shipment.id, tracking_number: ups.shipment.trackingNumber } },
      shipment: { trackingNumber: ups.shipment.trackingNumber, carrier: { code: 'ups' } },
    });
  });
});
