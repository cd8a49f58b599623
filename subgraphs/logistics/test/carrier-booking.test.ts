import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOKABLE_CARRIERS, CarrierBookingError, createCarrierAdapter, createCarrierAdapters, type BookingRequest } from '../src/adapters/carriers/index.ts';
import { startCarrierSandbox, type CarrierSandbox } from '../src/sandbox/carriers.ts';

/** The live booking adapters against the sandbox carriers on loopback (same code, other base URL and credentials). */
describe('carrier booking adapters', () => {
  let sandbox: CarrierSandbox;
  beforeAll(async () => {
    sandbox = await startCarrierSandbox();
  });
  afterAll(() => sandbox?.close());

  const request = (shipmentId: string, overrides: Partial<BookingRequest> = {}): BookingRequest => ({
    shipmentId,
    orderReference: 'ACME-1001',
    serviceLevel: 'STANDARD',
    deliveryMethod: 'DOOR',
    parcel: { weightGrams: 1500, dimensions: { lengthMm: 300, widthMm: 200, heightMm: 100 }, destination: { country: 'NL', postcode: '1011 AB' } },
    recipient: { name: 'Emma de Vries', line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1011 AB', country: 'NL' },
    ...overrides,
  });

  const FORMATS = { ups: /^1Z[A-Z0-9]{16}$/, dhl: /^JVGL\d{20}$/, postnl: /^3SDEVC\d{9}$/, dpd: /^\d{14}$/, gls: /^\d{11}$/, inpost: /^\d{24}$/ } as const;

  it.each(BOOKABLE_CARRIERS)('%s: books through its API and answers with the carrier-assigned tracking number', async (carrier) => {
    const adapter = createCarrierAdapters(sandbox.credentials)[carrier]!;
    const booking = await adapter.book(request(`shp_${carrier}_1`));
    expect(booking.trackingNumber).toMatch(FORMATS[carrier]);
    const [recorded] = sandbox.bookings(carrier).filter((b) => b.reference === `shp_${carrier}_1`);
    expect(recorded).toMatchObject({ trackingNumber: booking.trackingNumber, carrierReference: booking.carrierReference });
    // A retried booking (same shipment) finds the same parcel: no second label.
    expect((await adapter.book(request(`shp_${carrier}_1`))).trackingNumber).toBe(booking.trackingNumber);
    expect(sandbox.bookings(carrier).filter((b) => b.reference === `shp_${carrier}_1`)).toHaveLength(1);
  });

  it('sends each carrier its own request shape', async () => {
    const adapters = createCarrierAdapters(sandbox.credentials);
    await adapters.postnl!.book(request('shp_shape_postnl'));
    const postnl = sandbox.bookings('postnl').find((b) => b.reference === 'shp_shape_postnl')!.request as any;
    expect(postnl.Shipments[0]).toMatchObject({
      Addresses: [{ AddressType: '01', Street: 'Damrak', HouseNr: '1', Zipcode: '1011AB', Countrycode: 'NL' }],
      Dimension: { Weight: '1500' },
      ProductCodeDelivery: '3085',
      Reference: 'ACME-1001',
    });
    await adapters.dhl!.book(request('shp_shape_dhl', { deliveryMethod: 'PICKUP_POINT' }));
    const dhl = sandbox.bookings('dhl').find((b) => b.reference === 'shp_shape_dhl')!.request as any;
    expect(dhl).toMatchObject({
      receiver: { name: { firstName: 'Emma', lastName: 'de Vries' }, address: { street: 'Damrak', number: '1', postalCode: '1011AB' } },
      pieces: [{ parcelType: 'SMALL', quantity: 1, weight: 1.5 }],
    });
    expect(dhl.options).toContainEqual({ key: 'PS' });
    await adapters.dpd!.book(request('shp_shape_dpd'));
    expect(sandbox.bookings('dpd').find((b) => b.reference === 'shp_shape_dpd')!.request).toEqual(expect.stringContaining('<weight>150</weight>'));
    await adapters.inpost!.book(request('shp_shape_inpost', { deliveryMethod: 'LOCKER' }));
    expect(sandbox.bookings('inpost').find((b) => b.reference === 'shp_shape_inpost')!.request).toMatchObject({
      service: 'inpost_locker_standard',
      parcels: [{ weight: { amount: 1.5, unit: 'kg' } }],
    });
  });

  it.each(BOOKABLE_CARRIERS)('%s: books a return label through its return variant (the carrier issues the number)', async (carrier) => {
    const adapter = createCarrierAdapters(sandbox.credentials)[carrier]!;
    const sender = { name: 'Emma de Vries', line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1011 AB', country: 'NL' };
    const booking = await adapter.bookReturn({
      returnId: `ret_${carrier}_1`,
      orderReference: 'ACME-1001',
      handover: 'DROP_OFF',
      parcel: request('x').parcel,
      sender,
    });
    expect(booking.trackingNumber).toMatch(FORMATS[carrier]);
    const recorded = sandbox.bookings(carrier).filter((b) => b.reference === `ret_${carrier}_1`);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ kind: 'RETURN', trackingNumber: booking.trackingNumber });
  });

  it('shapes return requests after each carrier’s return API', async () => {
    const adapters = createCarrierAdapters(sandbox.credentials);
    const sender = { name: 'Emma de Vries', line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1011 AB', country: 'NL' };
    const parcel = request('x').parcel;
    await adapters.ups!.bookReturn({ returnId: 'ret_shape_ups', orderReference: null, handover: 'PICKUP', parcel, sender });
    const ups = (sandbox.bookings('ups').find((b) => b.reference === 'ret_shape_ups')!.request as any).ShipmentRequest.Shipment;
    expect(ups).toMatchObject({
      ReturnService: { Code: '5' },
      ShipFrom: { Name: 'Emma de Vries', Address: { PostalCode: '1011 AB' } },
      ShipTo: { Address: { PostalCode: '1014 BA' } },
    });
    await adapters.postnl!.bookReturn({ returnId: 'ret_shape_postnl', orderReference: null, handover: 'DROP_OFF', parcel, sender });
    const postnl = (sandbox.bookings('postnl').find((b) => b.reference === 'ret_shape_postnl')!.request as any).Shipments[0];
    expect(postnl).toMatchObject({
      ProductCodeDelivery: '2285',
      ProductOptions: [{ Characteristic: '152', Option: '025' }],
      Addresses: [
        { AddressType: '01', Zipcode: '1014BA' },
        { AddressType: '02', Zipcode: '1011AB' },
      ],
    });
    await adapters.dhl!.bookReturn({ returnId: 'ret_shape_dhl', orderReference: null, handover: 'DROP_OFF', parcel, sender });
    expect(sandbox.bookings('dhl').find((b) => b.reference === 'ret_shape_dhl')!.request).toMatchObject({
      returnLabel: true,
      shipper: { address: { postalCode: '1011AB' } },
      receiver: { address: { postalCode: '1014BA' } },
    });
    await adapters.dpd!.bookReturn({ returnId: 'ret_shape_dpd', orderReference: null, handover: 'DROP_OFF', parcel, sender });
    expect(sandbox.bookings('dpd').find((b) => b.reference === 'ret_shape_dpd')!.request).toEqual(expect.stringContaining('<returns>true</returns>'));
  });

  it('refuses wrong credentials (not retryable) and an outage (retryable)', async () => {
    const wrong = createCarrierAdapter('gls', { ...sandbox.credentials.gls, password: 'not-the-password' });
    const refused = await wrong.book(request('shp_wrong')).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(CarrierBookingError);
    expect(refused).toMatchObject({ carrier: 'gls', retryable: false, httpStatus: 401 });
    sandbox.failNext('ups', 503);
    const down = await createCarrierAdapters(sandbox.credentials)
      .ups!.book(request('shp_down'))
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(down).toMatchObject({ carrier: 'ups', retryable: true, httpStatus: 503 });
    const unreachable = await createCarrierAdapter('dhl', { ...sandbox.credentials.dhl, baseUrl: 'http://127.0.0.1:9' })
      .book(request('shp_x'))
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(unreachable).toMatchObject({ carrier: 'dhl', retryable: true, httpStatus: null });
  });
});
