import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { basisPointsOf, createCostEngine, measure, TariffValidationError, volumetricWeightGrams, type ShipmentToPrice } from '../src/domain/index.ts';
import { dhlBook, smallParcel } from './fixtures.ts';

const engine = createCostEngine(dhlBook());
const door = { carrierCode: 'dhl', serviceLevel: 'STANDARD', deliveryMethod: 'DOOR' } as const;
const ship = (parcel: Omit<ShipmentToPrice, 'carrierCode' | 'serviceLevel' | 'deliveryMethod'>): ShipmentToPrice => ({ ...door, ...parcel });

function priced(shipment: ShipmentToPrice, date: string) {
  const result = engine.price(shipment, date);
  if (!result.ok) throw new Error(`expected a price, got ${result.reason.code}: ${result.reason.message}`);
  return result.breakdown;
}

const lines = (b: ReturnType<typeof priced>) => b.lines.map((l) => [l.kind, l.amount.amount]);

describe('integer money arithmetic', () => {
  it('rounds basis points half up, exactly', () => {
    expect(basisPointsOf(100, 1250)).toBe(13); // 12.5 → 13
    expect(basisPointsOf(100, 1249)).toBe(12); // 12.49 → 12
    expect(basisPointsOf(3, 5000)).toBe(2); // 1.5 → 2
    expect(basisPointsOf(695, 1250)).toBe(87); // 86.875 → 87
    expect(basisPointsOf(2_000_000_000, 10_000)).toBe(2_000_000_000);
  });
  it('measures parcels: volumetric weight rounds up, girth uses the two shorter sides', () => {
    expect(volumetricWeightGrams({ lengthMm: 400, widthMm: 300, heightMm: 200 }, 5000)).toBe(4800);
    expect(volumetricWeightGrams({ lengthMm: 1, widthMm: 1, heightMm: 1 }, 5000)).toBe(1);
    expect(measure({ lengthMm: 200, widthMm: 1100, heightMm: 150 })).toEqual({
      longestSideMm: 1100,
      lengthPlusGirthMm: 1100 + 2 * (200 + 150),
      volumeMm3: 33_000_000,
      volumeCm3: 33_000,
    });
  });
});

describe('cost engine against hand-computed tariffs', () => {
  it('prices base + fuel with the band of the actual weight when it outweighs the volume', () => {
    // 300×200×100 mm = 1200 g volumetric < 1500 g actual → ≤2 kg band 695; fuel 12.5 % of 695 = 86.875 → 87.
    const b = priced(ship(smallParcel()), '2026-02-15');
    expect(b.weight).toEqual({ actualGrams: 1500, volumetricGrams: 1200, chargeableGrams: 1500 });
    expect(b.zone).toBe('NL');
    expect(lines(b)).toEqual([
      ['BASE', 695],
      ['FUEL', 87],
    ]);
    expect(b.lines[1]).toMatchObject({ basisPoints: 1250, basis: { amount: 695, currency: 'EUR' }, description: 'fuel 12.50 % of EUR 695' });
    expect(b.total).toEqual({ amount: 782, currency: 'EUR' });
  });

  it('charges volumetric weight when the parcel is light but bulky', () => {
    // 500×400×300 mm = 60 000 000 mm³ / 5000 = 12 000 g > 1000 g → ≤20 kg band 1695; fuel 211.875 → 212.
    const b = priced(ship({ ...smallParcel(), weightGrams: 1000, dimensions: { lengthMm: 500, widthMm: 400, heightMm: 300 } }), '2026-02-15');
    expect(b.weight).toEqual({ actualGrams: 1000, volumetricGrams: 12_000, chargeableGrams: 12_000 });
    expect(b.band.maxWeightGrams).toBe(20_000);
    expect(lines(b)).toEqual([
      ['BASE', 695 + 1000],
      ['FUEL', 212],
    ]);
    expect(b.total.amount).toBe(1907);
  });

  it('adds the remote-area surcharge by postcode range, however the postcode is typed, and fuels it', () => {
    // Terschelling: 695 + 350 = 1045; fuel 130.625 → 131; 1176.
    for (const postcode of ['8881 AB', '8881ab', ' 8881-AB ']) {
      const b = priced(ship(smallParcel(postcode)), '2026-02-15');
      expect(lines(b)).toEqual([
        ['BASE', 695],
        ['REMOTE_AREA', 350],
        ['FUEL', 131],
      ]);
      expect(b.total.amount).toBe(1176);
    }
    expect(lines(priced(ship(smallParcel('8900 AA')), '2026-02-15'))).toEqual([
      ['BASE', 695],
      ['FUEL', 87],
    ]);
  });

  it('compares UK postcodes by district, not as text (KW2 is not between KW15 and KW17)', () => {
    const kinds = (postcode: string) => priced(ship(smallParcel(postcode, 'GB')), '2026-02-15').lines.map((l) => l.kind);
    expect(kinds('HS1 2AB')).toContain('REMOTE_AREA');
    expect(kinds('kw16 3aa')).toContain('REMOTE_AREA');
    expect(kinds('IV51 9XY')).toContain('REMOTE_AREA');
    expect(kinds('KW2 6AA')).not.toContain('REMOTE_AREA');
    expect(kinds('IV5 1AB')).not.toContain('REMOTE_AREA');
    expect(kinds('SW1A 1AA')).not.toContain('REMOTE_AREA');
    // GB base 1450 + remote 995 = 2445; fuel 12.5 % = 305.625 → 306.
    expect(priced(ship(smallParcel('ZE1 0AA', 'GB')), '2026-02-15').total.amount).toBe(2751);
  });

  it('adds the oversize surcharge by longest side and by length + girth', () => {
    // 1100×200×150, 3000 g: volumetric 6600 g → ≤10 kg 1195; longest 1100 > 1000 → 1500; fuel on 2695 = 336.875 → 337.
    const long = priced(ship({ ...smallParcel(), weightGrams: 3000, dimensions: { lengthMm: 200, widthMm: 1100, heightMm: 150 } }), '2026-02-15');
    expect(lines(long)).toEqual([
      ['BASE', 1195],
      ['OVERSIZE', 1500],
      ['FUEL', 337],
    ]);
    expect(long.total.amount).toBe(3032);
    // 1000×750×10 mm, 3000 g: longest side 1000 is within the limit, but length + girth 1000 + 2 × 760 = 2520 > 2500;
    // volumetric 1500 g → ≤5 kg 895; 895 + 1500 = 2395; fuel 299.375 → 299.
    const flat = priced(ship({ ...smallParcel(), weightGrams: 3000, dimensions: { lengthMm: 1000, widthMm: 750, heightMm: 10 } }), '2026-02-15');
    expect(lines(flat)).toEqual([
      ['BASE', 895],
      ['OVERSIZE', 1500],
      ['FUEL', 299],
    ]);
    expect(flat.total.amount).toBe(2694);
    // 900×450×200: length + girth 2200, longest 900 → no oversize.
    const fits = priced(ship({ ...smallParcel(), weightGrams: 3000, dimensions: { lengthMm: 900, widthMm: 450, heightMm: 200 } }), '2026-02-15');
    expect(fits.lines.map((l) => l.kind)).toEqual(['BASE', 'FUEL']);
  });

  it('uses the tariffs valid on the day: fuel change on 1 April, new rate card on 1 July', () => {
    const total = (day: string) => priced(ship(smallParcel()), day).total.amount;
    expect(total('2026-03-31')).toBe(695 + 87); // 12.50 %
    expect(total('2026-04-01')).toBe(695 + 106); // 15.25 % of 695 = 105.9875 → 106
    expect(total('2026-06-30')).toBe(801);
    expect(total('2026-07-01')).toBe(745 + 114); // 15.25 % of 745 = 113.6125 → 114
    expect(priced(ship(smallParcel()), '2026-06-30').rateCardId).toBe('dhl-2026h1');
    expect(priced(ship(smallParcel()), '2026-07-01').rateCardId).toBe('dhl-2026h2');
    // A Date is priced on its UTC day.
    expect(engine.price(ship(smallParcel()), new Date('2026-06-30T23:59:59.999Z'))).toMatchObject({ ok: true, breakdown: { total: { amount: 801 } } });
    expect(engine.price(ship(smallParcel()), new Date('2026-07-01T00:00:00.000Z'))).toMatchObject({ ok: true, breakdown: { total: { amount: 859 } } });
  });

  it('says why there is no price', () => {
    const reason = (s: ShipmentToPrice, day = '2026-02-15') => {
      const r = engine.price(s, day);
      return r.ok ? null : r.reason;
    };
    expect(reason(ship(smallParcel()), '2025-12-31')).toMatchObject({ code: 'NO_RATE_CARD', message: 'dhl STANDARD has no rate card valid on 2025-12-31' });
    expect(reason({ ...ship(smallParcel()), serviceLevel: 'EXPRESS' })?.code).toBe('NO_RATE_CARD');
    expect(reason({ ...ship(smallParcel()), deliveryMethod: 'PICKUP_POINT' })).toMatchObject({
      code: 'NO_RATE_CARD',
      message: expect.stringContaining('delivers only to DOOR'),
    });
    expect(reason({ ...ship(smallParcel('75001', 'FR')) })?.code).toBe('DESTINATION_NOT_SERVED');
    expect(reason({ ...ship(smallParcel()), weightGrams: 25_000 })).toMatchObject({
      code: 'NO_MATCHING_BAND',
      message: expect.stringContaining('heaviest band'),
    });
    expect(reason({ ...ship(smallParcel()), dimensions: { lengthMm: 1300, widthMm: 100, heightMm: 100 } })?.code).toBe('EXCEEDS_CARRIER_LIMITS');
    expect(reason({ ...ship(smallParcel()), dimensions: { lengthMm: 1000, widthMm: 600, heightMm: 500 } })?.code).toBe('EXCEEDS_CARRIER_LIMITS');
  });

  it('rejects malformed shipments as bad input naming the field', () => {
    const fieldOf = (s: ShipmentToPrice, date: string = '2026-02-15') => {
      try {
        engine.price(s, date);
      } catch (error) {
        expect(error).toBeInstanceOf(GraphQLError);
        return (error as GraphQLError).extensions.field;
      }
      return null;
    };
    expect(fieldOf(ship(smallParcel('ABC')))).toBe('destination.postcode');
    expect(fieldOf(ship(smallParcel('1011 AB', 'UK')))).toBe('destination.country');
    expect(fieldOf({ ...ship(smallParcel()), weightGrams: 1.5 })).toBe('weightGrams');
    expect(fieldOf({ ...ship(smallParcel()), dimensions: { lengthMm: 0, widthMm: 1, heightMm: 1 } })).toBe('dimensions.lengthMm');
    expect(fieldOf(ship(smallParcel()), '2026-02-30')).toBe('date');
  });
});

describe('tariff book validation', () => {
  it('refuses two rate cards for the same product on the same day', () => {
    const book = dhlBook();
    const overlapping = { ...book, rateCards: [book.rateCards[0]!, { ...book.rateCards[1]!, validFrom: '2026-06-01' }] };
    expect(() => createCostEngine(overlapping)).toThrow(TariffValidationError);
    try {
      createCostEngine(overlapping);
    } catch (error) {
      expect((error as TariffValidationError).issues).toEqual([
        expect.objectContaining({ entityId: 'dhl-2026h2', field: 'validFrom', message: expect.stringContaining('overlaps rate card dhl-2026h1') }),
      ]);
    }
  });
  it('refuses overlapping zones, undefined zones, negative prices and two fuel surcharges on one day', () => {
    const book = dhlBook();
    const card = book.rateCards[0]!;
    const broken = {
      rateCards: [
        {
          ...card,
          zones: [
            ...card.zones,
            { code: 'NL-NORTH', country: 'NL', postcodes: [{ from: '9', to: '9' }] },
            { code: 'NL-9', country: 'NL', postcodes: [{ from: '9000', to: '9100' }] },
          ],
          bands: [...card.bands, { zone: 'XX', maxWeightGrams: 1000, maxVolumeCm3: null, amount: -1 }],
        },
      ],
      surcharges: [...book.surcharges, { ...book.surcharges[0]!, id: 'dhl-fuel-dup', validFrom: '2026-03-01', validTo: '2026-03-02' }],
    };
    try {
      createCostEngine(broken as never);
      expect.unreachable();
    } catch (error) {
      const messages = (error as TariffValidationError).issues.map((i) => `${i.entityId} ${i.field}: ${i.message}`);
      expect(messages).toEqual(
        expect.arrayContaining([
          expect.stringContaining('zones[3].postcodes: range 9000..9100 of zone "NL-9" overlaps range 9 of zone "NL-NORTH"'),
          expect.stringContaining('zone "XX" is not defined'),
          expect.stringContaining('amount: must be a non-negative integer'),
          expect.stringContaining('dhl-fuel-dup validFrom: overlaps fuel surcharge dhl-fuel-q1'),
          expect.stringContaining('zone "NL-NORTH" has no band'),
        ]),
      );
    }
  });
});
