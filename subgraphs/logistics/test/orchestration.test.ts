import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createCostEngine, orchestrate, type OrchestrationRequest, type RateCard, type ServiceLevel, type Surcharge } from '../src/domain/index.ts';
import { dhlBook, smallParcel } from './fixtures.ts';

/** A flat NL card: every parcel up to 10 kg costs `amount`. */
function flat(carrierCode: string, serviceLevel: ServiceLevel, amount: number, currency = 'EUR'): RateCard {
  return {
    id: `${carrierCode}-${serviceLevel}`,
    carrierCode,
    serviceLevel,
    deliveryMethods: serviceLevel === 'PICKUP_POINT' || serviceLevel === 'LOCKER' ? [serviceLevel] : ['DOOR'],
    currency,
    validFrom: '2026-01-01',
    validTo: null,
    volumetricDivisor: null,
    maxLongestSideMm: null,
    maxLengthPlusGirthMm: null,
    zones: [{ code: 'NL', country: 'NL', postcodes: [] }],
    bands: [{ zone: 'NL', maxWeightGrams: 10_000, maxVolumeCm3: null, amount }],
  };
}

// On 2026-02-15 for a 1.5 kg parcel to 1011 AB: dhl 695 + 87 fuel = 782; ups 600 + 20 % fuel = 720; postnl 650; gls 640;
// dpd 640 (ties gls); ups EXPRESS 630; inpost LOCKER 399; bring (SEK) 7000.
const upsFuel: Surcharge = {
  id: 'ups-fuel',
  kind: 'FUEL',
  carrierCode: 'ups',
  serviceLevels: ['STANDARD'],
  validFrom: '2026-01-01',
  validTo: null,
  basisPoints: 2000,
};
const engine = createCostEngine({
  rateCards: [
    ...dhlBook().rateCards,
    flat('ups', 'STANDARD', 600),
    flat('ups', 'EXPRESS', 630),
    flat('postnl', 'STANDARD', 650),
    flat('gls', 'STANDARD', 640),
    flat('dpd', 'STANDARD', 640),
    flat('inpost', 'LOCKER', 399),
    flat('bring', 'STANDARD', 7000, 'SEK'),
  ],
  surcharges: [...dhlBook().surcharges, upsFuel],
});

const request = (overrides: Partial<OrchestrationRequest> = {}): OrchestrationRequest => ({
  parcel: smallParcel(),
  serviceLevel: 'STANDARD',
  deliveryMethod: 'DOOR',
  date: '2026-02-15',
  currency: 'EUR',
  carriers: ['dhl', 'ups', 'postnl', 'gls'],
  ...overrides,
});

const summary = (r: ReturnType<typeof orchestrate>) =>
  r.candidates.map((c) => `${c.carrierCode}/${c.serviceLevel} ${c.outcome} ${c.price?.amount ?? '-'}${c.rejection ? ` ${c.rejection.code}` : ''}`);

describe('carrier orchestration', () => {
  it('picks the cheapest quote and lists every candidate with its price', () => {
    const r = orchestrate(engine, request());
    expect(r.chosen).toMatchObject({ carrierCode: 'gls', serviceLevel: 'STANDARD', price: { amount: 640, currency: 'EUR' } });
    expect(summary(r)).toEqual(['gls/STANDARD CHOSEN 640', 'postnl/STANDARD ELIGIBLE 650', 'ups/STANDARD ELIGIBLE 720', 'dhl/STANDARD ELIGIBLE 782']);
    expect(r.chosen!.breakdown!.lines).toHaveLength(1);
    expect(r.explanation).toBe('Chose gls STANDARD at EUR 640: the cheapest of 4 eligible quotes.');
  });

  it('honours preferred carriers over cheaper ones, and falls back when none is eligible', () => {
    const preferred = orchestrate(engine, request({ preferences: { preferredCarriers: ['postnl', 'dhl'] } }));
    expect(preferred.chosen?.carrierCode).toBe('postnl');
    expect(summary(preferred)).toEqual(['postnl/STANDARD CHOSEN 650', 'dhl/STANDARD ELIGIBLE 782', 'gls/STANDARD ELIGIBLE 640', 'ups/STANDARD ELIGIBLE 720']);
    expect(preferred.explanation).toContain('preferred over cheaper gls at EUR 640');

    const fallback = orchestrate(engine, request({ preferences: { preferredCarriers: ['postnl'], maxPrice: { amount: 645, currency: 'EUR' } } }));
    expect(fallback.chosen?.carrierCode).toBe('gls');
    expect(fallback.explanation).toContain('no preferred carrier is eligible');
    expect(fallback.candidates.find((c) => c.carrierCode === 'postnl')?.rejection).toEqual({
      code: 'ABOVE_MAX_PRICE',
      message: "EUR 650 is above the merchant's maximum of EUR 645",
    });
  });

  it('never picks an excluded carrier, and explains when nothing is left', () => {
    const r = orchestrate(engine, request({ preferences: { excludedCarriers: ['gls'] } }));
    expect(r.chosen?.carrierCode).toBe('postnl');
    expect(r.candidates.at(-1)).toMatchObject({ carrierCode: 'gls', outcome: 'REJECTED', price: null, rejection: { code: 'EXCLUDED_BY_MERCHANT' } });

    const none = orchestrate(engine, request({ preferences: { excludedCarriers: ['gls'], maxPrice: { amount: 600, currency: 'EUR' } } }));
    expect(none.chosen).toBeNull();
    expect(none.candidates.every((c) => c.outcome === 'REJECTED')).toBe(true);
    expect(none.explanation).toMatch(/^No carrier can take this shipment\. dhl STANDARD: ABOVE_MAX_PRICE .*gls STANDARD: EXCLUDED_BY_MERCHANT/);
  });

  it('breaks ties deterministically: preference order, then carrier code', () => {
    const carriers = ['gls', 'dpd', 'postnl'];
    expect(orchestrate(engine, request({ carriers })).chosen?.carrierCode).toBe('dpd');
    expect(orchestrate(engine, request({ carriers: [...carriers].reverse() })).chosen?.carrierCode).toBe('dpd');
    const byPreference = orchestrate(engine, request({ carriers, preferences: { preferredCarriers: ['gls', 'dpd'] } }));
    expect(byPreference.chosen?.carrierCode).toBe('gls');
    expect(byPreference.explanation).toContain('tied with dpd STANDARD');
  });

  it('lets a faster door service win only when the merchant accepts it', () => {
    const carriers = ['ups', 'gls'];
    expect(orchestrate(engine, request({ carriers })).chosen?.carrierCode).toBe('gls');
    const faster = orchestrate(engine, request({ carriers, acceptFasterService: true }));
    expect(faster.chosen).toMatchObject({ carrierCode: 'ups', serviceLevel: 'EXPRESS', price: { amount: 630 } });
    // gls has no EXPRESS card: not listed as a rejection for a level nobody asked for.
    expect(summary(faster)).toEqual(['ups/EXPRESS CHOSEN 630', 'gls/STANDARD ELIGIBLE 640', 'ups/STANDARD ELIGIBLE 720']);
  });

  it('matches the delivery method: a locker request goes to a locker product', () => {
    const r = orchestrate(engine, request({ serviceLevel: 'LOCKER', deliveryMethod: 'LOCKER', carriers: ['inpost', 'dhl'] }));
    expect(r.chosen).toMatchObject({ carrierCode: 'inpost', serviceLevel: 'LOCKER', price: { amount: 399 } });
    expect(r.candidates.find((c) => c.carrierCode === 'dhl')?.rejection?.code).toBe('NO_RATE_CARD');
  });

  it('rejects quotes in another currency instead of comparing unlike amounts', () => {
    const r = orchestrate(engine, request({ carriers: ['bring', 'dhl'] }));
    expect(r.chosen?.carrierCode).toBe('dhl');
    expect(r.candidates.find((c) => c.carrierCode === 'bring')).toMatchObject({
      outcome: 'REJECTED',
      price: { amount: 7000, currency: 'SEK' },
      rejection: { code: 'CURRENCY_MISMATCH' },
    });
  });

  it('validates the request, naming the field', () => {
    const field = (overrides: Partial<OrchestrationRequest>) => {
      try {
        orchestrate(engine, request(overrides));
      } catch (error) {
        return (error as GraphQLError).extensions.field;
      }
      return null;
    };
    expect(field({ preferences: { preferredCarriers: ['gls'], excludedCarriers: ['gls'] } })).toBe('preferences.excludedCarriers');
    expect(field({ preferences: { maxPrice: { amount: 500, currency: 'SEK' } } })).toBe('preferences.maxPrice.currency');
    expect(field({ serviceLevel: 'LOCKER', deliveryMethod: 'DOOR' })).toBe('deliveryMethod');
    expect(field({ carriers: [] })).toBe('carriers');
    expect(field({ carriers: ['DHL!'] })).toBe('carriers[0]');
    expect(field({ currency: 'EURO' })).toBe('currency');
  });
});
