import { parsePostcodeRanges, type RateCard, type Surcharge, type TariffBook } from '../src/domain/index.ts';

/**
 * A small DHL tariff book whose every price in the tests is computed by hand:
 * - STANDARD door, EUR, volumetric divisor 5000, refuses parcels over 1200 mm or 3000 mm length + girth;
 *   NL: ≤2 kg 695, ≤5 kg 895, ≤10 kg 1195, ≤20 kg 1695; GB: ≤2 kg 1450, ≤10 kg 2450.
 *   From 2026-07-01 a new card: NL ≤2 kg 745, ≤5 kg 945, ≤10 kg 1245, ≤20 kg 1745 (GB unchanged).
 * - fuel 12.50 % until 2026-04-01, then 15.25 %;
 * - remote area NL Wadden islands 350, GB Highlands & Islands 995;
 * - oversize (longest side > 1000 mm or length + girth > 2500 mm) 1500.
 */
export function dhlBook(): TariffBook {
  const common = {
    carrierCode: 'dhl',
    serviceLevel: 'STANDARD',
    deliveryMethods: ['DOOR'],
    currency: 'EUR',
    volumetricDivisor: 5000,
    maxLongestSideMm: 1200,
    maxLengthPlusGirthMm: 3000,
    zones: [
      { code: 'NL', country: 'NL', postcodes: [] },
      { code: 'GB', country: 'GB', postcodes: [] },
    ],
  } as const;
  const gb = [
    { zone: 'GB', maxWeightGrams: 2000, maxVolumeCm3: null, amount: 1450 },
    { zone: 'GB', maxWeightGrams: 10000, maxVolumeCm3: null, amount: 2450 },
  ];
  const nl = (prices: [number, number, number, number]) =>
    [2000, 5000, 10000, 20000].map((maxWeightGrams, i) => ({ zone: 'NL', maxWeightGrams, maxVolumeCm3: null, amount: prices[i]! }));
  const rateCards: RateCard[] = [
    { ...common, id: 'dhl-2026h1', validFrom: '2026-01-01', validTo: '2026-07-01', bands: [...nl([695, 895, 1195, 1695]), ...gb] },
    { ...common, id: 'dhl-2026h2', validFrom: '2026-07-01', validTo: null, bands: [...nl([745, 945, 1245, 1745]), ...gb] },
  ];
  const surcharges: Surcharge[] = [
    { id: 'dhl-fuel-q1', kind: 'FUEL', carrierCode: 'dhl', serviceLevels: null, validFrom: '2026-01-01', validTo: '2026-04-01', basisPoints: 1250 },
    { id: 'dhl-fuel-q2', kind: 'FUEL', carrierCode: 'dhl', serviceLevels: null, validFrom: '2026-04-01', validTo: null, basisPoints: 1525 },
    {
      id: 'dhl-remote-nl',
      kind: 'REMOTE_AREA',
      carrierCode: 'dhl',
      serviceLevels: null,
      validFrom: '2026-01-01',
      validTo: null,
      country: 'NL',
      postcodes: parsePostcodeRanges('NL', '1791..1797;8881..8899;9161..9166'),
      amount: { amount: 350, currency: 'EUR' },
    },
    {
      id: 'dhl-remote-gb',
      kind: 'REMOTE_AREA',
      carrierCode: 'dhl',
      serviceLevels: null,
      validFrom: '2026-01-01',
      validTo: null,
      country: 'GB',
      postcodes: parsePostcodeRanges('GB', 'HS;ZE;KW15..KW17;IV40..IV56'),
      amount: { amount: 995, currency: 'EUR' },
    },
    {
      id: 'dhl-oversize',
      kind: 'OVERSIZE',
      carrierCode: 'dhl',
      serviceLevels: ['STANDARD'],
      validFrom: '2026-01-01',
      validTo: null,
      maxLongestSideMm: 1000,
      maxLengthPlusGirthMm: 2500,
      amount: { amount: 1500, currency: 'EUR' },
    },
  ];
  return { rateCards, surcharges };
}

export const smallParcel = (postcode = '1011 AB', country = 'NL') => ({
  destination: { country, postcode },
  weightGrams: 1500,
  dimensions: { lengthMm: 300, widthMm: 200, heightMm: 100 },
});
