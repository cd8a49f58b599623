import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_KEYS, bearer, startTestSystem, type TestSystem } from '../support.ts';
import { PARCEL, acme, announceOrder, codeOf, createShipment, outboxEvents } from './logistics.support.ts';

const ACME = bearer(SANDBOX_KEYS['acme-owner']!);

const HEADER =
  'kind,carrier,service_level,delivery_methods,valid_from,valid_to,currency,zone,country,postcodes,max_weight_g,max_volume_cm3,amount_minor,volumetric_divisor,limit_longest_side_mm,limit_length_plus_girth_mm,basis_points,over_longest_side_mm,over_length_plus_girth_mm';
/**
 * A GLS book whose prices the tests compute by hand: NL door ≤2 kg 900, ≤10 kg 1300 until 2026-12-01, then 990 and
 * 1390; fuel 10 %; Texel (1791–1797) remote-area 450; oversize (longest side > 1000 mm) 1500; volumetric divisor 5000.
 */
const GLS_CSV = [
  HEADER,
  'BAND,gls,STANDARD,DOOR,2026-01-01,2026-12-01,EUR,NL,NL,,2000,,900,5000,2000,3000,,,',
  'BAND,gls,STANDARD,DOOR,2026-01-01,2026-12-01,EUR,NL,NL,,10000,,1300,5000,2000,3000,,,',
  'BAND,gls,STANDARD,DOOR,2026-12-01,,EUR,NL,NL,,2000,,990,5000,2000,3000,,,',
  'BAND,gls,STANDARD,DOOR,2026-12-01,,EUR,NL,NL,,10000,,1390,5000,2000,3000,,,',
  'FUEL,gls,,,2026-01-01,,,,,,,,,,,,1000,,',
  'REMOTE_AREA,gls,,,2026-01-01,,EUR,,NL,1791..1797,,,450,,,,,,',
  'OVERSIZE,gls,STANDARD,,2026-01-01,,EUR,,,,,,1500,,,,,1000,',
].join('\n');

const IMPORT = `mutation($csv: String!) { importTariffs(csv: $csv) { imported summary { rows rateCards bands surcharges carriers } errors { row column message } } }`;
const QUOTE = `query($input: QuoteShipmentInput!) {
  quoteShipment(input: $input) {
    breakdown { carrierCode rateCardId zone date weight { actualGrams volumetricGrams chargeableGrams } lines { kind ruleId amount { amount currency } basisPoints basis { amount } } total { amount currency } }
    noTariff { code message }
  }
}`;
const CHOOSE = `query($input: ChooseCarrierInput!) {
  chooseCarrier(input: $input) { chosen { carrierCode serviceLevel price { amount currency } } candidates { carrierCode outcome price { amount } rejection { code } } explanation }
}`;
const quote = (system: TestSystem, parcel: object, date: string) =>
  system.query(QUOTE, { input: { carrierCode: 'gls', serviceLevel: 'STANDARD', deliveryMethod: 'DOOR', parcel, date } }, ACME);

describe('logistics: tariffs, orchestration and shipments through the gateway', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ seed: true });
    const { body } = await system.query(IMPORT, { csv: GLS_CSV });
    expect(body.errors).toBeUndefined();
    expect(body.data.importTariffs).toMatchObject({
      imported: true,
      summary: { rows: 7, rateCards: 2, bands: 4, surcharges: 3, carriers: ['gls'] },
      errors: [],
    });
  });
  afterAll(() => system?.stop());

  describe('tariffs', () => {
    it('seeds a sandbox tariff book for the six carriers and NL, DE, BE, SE, IT', async () => {
      const { body } = await system.query(
        `{ carriers { code services { serviceLevel deliveryMethods } } tariffs { rateCards { carrierCode serviceLevel zones } surcharges { carrierCode kind } } }`,
        {},
        ACME,
      );
      expect(body.errors).toBeUndefined();
      expect(body.data.carriers.map((c: { code: string }) => c.code)).toEqual(['dhl', 'dpd', 'gls', 'inpost', 'postnl', 'ups']);
      expect(body.data.carriers.find((c: { code: string }) => c.code === 'inpost').services).toEqual([{ serviceLevel: 'LOCKER', deliveryMethods: ['LOCKER'] }]);
      for (const code of ['ups', 'dhl', 'postnl', 'dpd', 'inpost']) {
        const cards = body.data.tariffs.rateCards.filter((c: { carrierCode: string }) => c.carrierCode === code);
        expect(cards.length).toBeGreaterThan(0);
        for (const card of cards) expect(card.zones).toEqual(['NL', 'DE', 'BE', 'SE', 'IT']);
      }
    });

    it('prices a parcel itemised, exactly as computed by hand, on both sides of a tariff change', async () => {
      // 1500 g, 300×200×100 mm: volumetric 6 000 000 / 5000 = 1200 g, chargeable 1500 g → band ≤2 kg.
      const parcel = { weightGrams: 1500, dimensions: { lengthMm: 300, widthMm: 200, heightMm: 100 }, destination: { country: 'NL', postcode: '1011 AB' } };
      const before = (await quote(system, parcel, '2026-11-30')).body.data.quoteShipment.breakdown;
      expect(before.weight).toEqual({ actualGrams: 1500, volumetricGrams: 1200, chargeableGrams: 1500 });
      // base 900 + fuel 10 % of 900 = 90 → 990
      expect(before.lines.map((l: any) => [l.kind, l.amount.amount])).toEqual([
        ['BASE', 900],
        ['FUEL', 90],
      ]);
      expect(before.total).toEqual({ amount: 990, currency: 'EUR' });
      expect(before.rateCardId).toBe('gls:STANDARD:DOOR:2026-01-01');
      const after = (await quote(system, parcel, '2026-12-01')).body.data.quoteShipment.breakdown;
      // from 2026-12-01: base 990 + fuel 99 → 1089
      expect(after.lines.map((l: any) => [l.kind, l.amount.amount])).toEqual([
        ['BASE', 990],
        ['FUEL', 99],
      ]);
      expect(after.total.amount).toBe(1089);
      expect(after.rateCardId).toBe('gls:STANDARD:DOOR:2026-12-01');
    });

    it('adds remote-area and oversize surcharges, and fuel on top of them', async () => {
      // Texel, 4000 g, 1100×150×100 mm: volumetric 16 500 000 / 5000 = 3300 g → chargeable 4000 g → band ≤10 kg 1300;
      // remote area 450; longest side 1100 > 1000 → oversize 1500; fuel 10 % of (1300 + 450 + 1500 = 3250) = 325.
      const parcel = { weightGrams: 4000, dimensions: { lengthMm: 1100, widthMm: 150, heightMm: 100 }, destination: { country: 'NL', postcode: '1791 AB' } };
      const { body } = await quote(system, parcel, '2026-11-15');
      const b = body.data.quoteShipment.breakdown;
      expect(b.lines.map((l: any) => [l.kind, l.amount.amount])).toEqual([
        ['BASE', 1300],
        ['REMOTE_AREA', 450],
        ['OVERSIZE', 1500],
        ['FUEL', 325],
      ]);
      expect(b.lines[3]).toMatchObject({ basisPoints: 1000, basis: { amount: 3250 } });
      expect(b.total).toEqual({ amount: 3575, currency: 'EUR' });
    });

    it('answers "no tariff" with the reason rather than an error', async () => {
      const parcel = { ...PARCEL, destination: { country: 'DE', postcode: '10115' } };
      const { body } = await quote(system, parcel, '2026-11-15');
      expect(body.data.quoteShipment).toEqual({ breakdown: null, noTariff: { code: 'DESTINATION_NOT_SERVED', message: expect.stringContaining('DE') } });
      const bad = await quote(system, { ...PARCEL, weightGrams: -5, destination: { country: 'NL', postcode: '1011AB' } }, '2026-11-15');
      expect(codeOf(bad.body)).toBe('BAD_USER_INPUT');
      expect(bad.body.errors[0].extensions.field).toBe('weightGrams');
    });

    it('imports all or nothing, naming each bad row and column', async () => {
      const csv = [
        HEADER,
        'BAND,gls,STANDARD,DOOR,2026-01-01,,EUR,NL,NL,,2000,,1,5000,,,,,',
        'BAND,gls,STANDARD,DOOR,2026-01-01,,EUR,NL,NL,,heavy,,100,5000,,,,,',
        'FUEL,gls,,,2026-13-01,,,,,,,,,,,,1000,,',
        'BAND,gls,STANDARD,DOOR,2026-01-01,,XXX,DE,DE,,2000,,100,5000,,,,,',
      ].join('\n');
      const { body } = await system.query(IMPORT, { csv });
      expect(body.data.importTariffs.imported).toBe(false);
      const errors = body.data.importTariffs.errors.map((e: any) => [e.row, e.column]);
      expect(errors).toEqual(
        expect.arrayContaining([
          [3, 'max_weight_g'],
          [4, 'valid_from'],
          [5, 'currency'],
        ]),
      );
      // Nothing changed: the hand-computed price still holds.
      const parcel = { weightGrams: 1500, dimensions: { lengthMm: 300, widthMm: 200, heightMm: 100 }, destination: { country: 'NL', postcode: '1011 AB' } };
      expect((await quote(system, parcel, '2026-11-30')).body.data.quoteShipment.breakdown.total.amount).toBe(990);
      const unknownCarrier = await system.query(IMPORT, { csv: [HEADER, 'FUEL,acmefreight,,,2026-01-01,,,,,,,,,,,,1000,,'].join('\n') });
      expect(unknownCarrier.body.data.importTariffs).toMatchObject({ imported: false, errors: [{ column: 'carrier' }] });
    });

    it('lets only platform-wide tariffs:manage import, and requires tariffs:read to quote', async () => {
      const merchant = await system.query(IMPORT, { csv: GLS_CSV }, ACME);
      expect(codeOf(merchant.body)).toBe('FORBIDDEN');
      const carrier = await system.query(
        QUOTE,
        {
          input: {
            carrierCode: 'gls',
            serviceLevel: 'STANDARD',
            deliveryMethod: 'DOOR',
            parcel: { ...PARCEL, destination: { country: 'NL', postcode: '1011AB' } },
          },
        },
        bearer(SANDBOX_KEYS['ups-carrier']!),
      );
      expect(codeOf(carrier.body)).toBe('FORBIDDEN');
    });
  });

  describe('orchestration', () => {
    // 1000 g to Amsterdam, STANDARD door, sandbox book: postnl 695 + 9 % fuel 62.55 → 63 = 758; dhl 745 + 15.25 % 113.61 → 114
    // = 859; dpd 795 + 12 % 95.4 → 95 = 890; gls (imported above, this month) 900 + 90 = 990 or from December 990 + 99;
    // ups 895 + 18.5 % 165.575 → 166 = 1061; inpost has no door service.
    const input = {
      parcel: { ...PARCEL, destination: { country: 'NL', postcode: '1011AB' } },
      currency: 'EUR',
      serviceLevel: 'STANDARD',
      deliveryMethod: 'DOOR',
      date: '2026-11-20',
    };

    it('chooses the cheapest eligible carrier and explains why', async () => {
      const { body } = await system.query(CHOOSE, { input }, ACME);
      expect(body.errors).toBeUndefined();
      const choice = body.data.chooseCarrier;
      expect(choice.chosen).toEqual({ carrierCode: 'postnl', serviceLevel: 'STANDARD', price: { amount: 758, currency: 'EUR' } });
      expect(choice.candidates.map((c: any) => [c.carrierCode, c.outcome, c.price?.amount ?? null])).toEqual([
        ['postnl', 'CHOSEN', 758],
        ['dhl', 'ELIGIBLE', 859],
        ['dpd', 'ELIGIBLE', 890],
        ['gls', 'ELIGIBLE', 990],
        ['ups', 'ELIGIBLE', 1061],
        ['inpost', 'REJECTED', null],
      ]);
      expect(choice.explanation).toMatch(/^Chose postnl STANDARD at EUR 758: the cheapest of 5 eligible quotes/);
    });

    it('follows merchant preferences, exclusions and a maximum price', async () => {
      const preferred = await system.query(CHOOSE, { input: { ...input, preferences: { preferredCarriers: ['dhl', 'ups'] } } }, ACME);
      expect(preferred.body.data.chooseCarrier.chosen.carrierCode).toBe('dhl');
      expect(preferred.body.data.chooseCarrier.explanation).toMatch(/preferred over cheaper postnl/);
      const excluded = await system.query(
        CHOOSE,
        { input: { ...input, preferences: { excludedCarriers: ['postnl', 'dhl'], maxPrice: { amount: 950, currency: 'EUR' } } } },
        ACME,
      );
      const choice = excluded.body.data.chooseCarrier;
      expect(choice.chosen.carrierCode).toBe('dpd');
      expect(choice.candidates.find((c: any) => c.carrierCode === 'ups').rejection.code).toBe('ABOVE_MAX_PRICE');
      expect(choice.candidates.find((c: any) => c.carrierCode === 'postnl').rejection.code).toBe('EXCLUDED_BY_MERCHANT');
    });

    it('uses an order’s currency and shipping address, within the caller’s scope', async () => {
      const orderId = await announceOrder(system);
      const { body } = await system.query(CHOOSE, { input: { orderId, parcel: PARCEL, serviceLevel: 'STANDARD', deliveryMethod: 'DOOR' } }, ACME);
      expect(body.data.chooseCarrier.chosen.carrierCode).toBe('postnl');
      const other = await system.query(
        CHOOSE,
        { input: { orderId, parcel: PARCEL, serviceLevel: 'STANDARD', deliveryMethod: 'DOOR' } },
        bearer(SANDBOX_KEYS['nordic-owner']!),
      );
      expect(codeOf(other.body)).toBe('NOT_FOUND');
    });
  });

  describe('shipments', () => {
    it('creates a shipment with the orchestrated carrier and emits shipment.created', async () => {
      const orderId = await announceOrder(system);
      const { shipment, carrierChoice } = await createShipment(system, orderId, {}, ACME);
      expect(shipment.carrier.code).toBe('postnl');
      expect(carrierChoice.chosen.carrierCode).toBe('postnl');
      // PostNL assigned it (a 3S barcode of the sandbox PostNL), not IPAY.
      expect(shipment.trackingNumber).toMatch(/^3SDEVC\d{9}$/);
      const [event] = await outboxEvents(system, 'shipment.created', shipment.id);
      expect(event!.payload).toEqual({
        order_id: orderId,
        merchant: acme.slug,
        carrier: 'postnl',
        shipment: {
          id: shipment.id,
          tracking_number: shipment.trackingNumber,
          carrier_reference: shipment.trackingNumber,
          service_level: 'STANDARD',
          delivery_method: 'DOOR',
          weight_grams: 1000,
          chargeable_weight_grams: 1200,
          zone: expect.any(String),
          rate_card_id: expect.any(String),
          priced_on: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        },
        // The quote it was booked at, which the carrier's invoice is reconciled against.
        expected_cost: { amount: 7.58, amount_minor: 758, currency: 'EUR' },
      });
      const { body } = await system.query(
        `query($id: ID!) { shipment(id: $id) { status serviceLevel deliveryMethod price { total { amount currency } } } }`,
        { id: shipment.id },
        ACME,
      );
      expect(body.data.shipment).toEqual({
        status: 'LABEL_CREATED',
        serviceLevel: 'STANDARD',
        deliveryMethod: 'DOOR',
        price: { total: { amount: 758, currency: 'EUR' } },
      });
      const again = await system.query(
        `mutation($input: CreateShipmentInput!) { createShipment(input: $input) { shipment { id } } }`,
        { input: { orderId, serviceLevel: 'STANDARD', deliveryMethod: 'DOOR', parcel: PARCEL } },
        ACME,
      );
      expect(codeOf(again.body)).toBe('BAD_USER_INPUT');
    });

    it('takes a named carrier, refuses one without a tariff, and hides other merchants’ orders', async () => {
      const orderId = await announceOrder(system);
      const refused = await system.query(
        `mutation($input: CreateShipmentInput!) { createShipment(input: $input) { shipment { id } } }`,
        { input: { orderId, carrierCode: 'inpost', serviceLevel: 'STANDARD', deliveryMethod: 'DOOR', parcel: PARCEL } },
        ACME,
      );
      expect(codeOf(refused.body)).toBe('BAD_USER_INPUT');
      expect(refused.body.errors[0].extensions.field).toBe('carrierCode');
      const foreign = await system.query(
        `mutation($input: CreateShipmentInput!) { createShipment(input: $input) { shipment { id } } }`,
        { input: { orderId, serviceLevel: 'STANDARD', deliveryMethod: 'DOOR', parcel: PARCEL } },
        bearer(SANDBOX_KEYS['bella-owner']!),
      );
      expect(codeOf(foreign.body)).toBe('NOT_FOUND');
      const { shipment } = await createShipment(system, orderId, { carrierCode: 'ups' }, ACME);
      expect(shipment.carrier.code).toBe('ups');
    });
  });
});
