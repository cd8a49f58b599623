import { describe, expect, it } from 'vitest';
import { createCostEngine, importTariffCsv, type ShipmentToPrice, type TariffCsvError } from '../src/domain/index.ts';
import { dhlBook, smallParcel } from './fixtures.ts';

const HEADER =
  'kind,carrier,service_level,delivery_methods,valid_from,valid_to,currency,zone,country,postcodes,max_weight_g,max_volume_cm3,amount_minor,volumetric_divisor,limit_longest_side_mm,limit_length_plus_girth_mm,basis_points,over_longest_side_mm,over_length_plus_girth_mm';

/** The fixture book of the cost-engine tests, as a rate sheet. */
const DHL_CSV = [
  HEADER,
  'BAND,dhl,STANDARD,DOOR,2026-01-01,2026-07-01,EUR,NL,NL,,2000,,695,5000,1200,3000,,,',
  'BAND,dhl,STANDARD,DOOR,2026-01-01,2026-07-01,EUR,NL,NL,,5000,,895,5000,1200,3000,,,',
  'BAND,dhl,STANDARD,DOOR,2026-01-01,2026-07-01,EUR,NL,NL,,10000,,1195,5000,1200,3000,,,',
  'BAND,dhl,STANDARD,DOOR,2026-01-01,2026-07-01,EUR,NL,NL,,20000,,1695,5000,1200,3000,,,',
  'BAND,dhl,STANDARD,DOOR,2026-01-01,2026-07-01,EUR,GB,GB,,2000,,1450,5000,1200,3000,,,',
  'BAND,dhl,STANDARD,DOOR,2026-01-01,2026-07-01,EUR,GB,GB,,10000,,2450,5000,1200,3000,,,',
  'BAND,dhl,STANDARD,DOOR,2026-07-01,,EUR,NL,NL,,2000,,745,5000,1200,3000,,,',
  'BAND,dhl,STANDARD,DOOR,2026-07-01,,EUR,NL,NL,,5000,,945,5000,1200,3000,,,',
  'BAND,dhl,STANDARD,DOOR,2026-07-01,,EUR,NL,NL,,10000,,1245,5000,1200,3000,,,',
  'BAND,dhl,STANDARD,DOOR,2026-07-01,,EUR,NL,NL,,20000,,1745,5000,1200,3000,,,',
  'BAND,dhl,STANDARD,DOOR,2026-07-01,,EUR,GB,GB,,2000,,1450,5000,1200,3000,,,',
  'BAND,dhl,STANDARD,DOOR,2026-07-01,,EUR,GB,GB,,10000,,2450,5000,1200,3000,,,',
  'FUEL,dhl,,,2026-01-01,2026-04-01,,,,,,,,,,,1250,,',
  'FUEL,dhl,,,2026-04-01,,,,,,,,,,,,1525,,',
  'REMOTE_AREA,dhl,,,2026-01-01,,EUR,,NL,1791..1797;8881..8899;9161..9166,,,350,,,,,,',
  'REMOTE_AREA,dhl,,,2026-01-01,,EUR,,GB,"HS; ZE; KW15..KW17; IV40..IV56",,,995,,,,,,',
  'OVERSIZE,dhl,STANDARD,,2026-01-01,,EUR,,,,,,1500,,,,,1000,2500',
].join('\n');

const door = { carrierCode: 'dhl', serviceLevel: 'STANDARD', deliveryMethod: 'DOOR' } as const;

function errorsOf(csv: string): TariffCsvError[] {
  const result = importTariffCsv(csv);
  if (result.ok) throw new Error('expected the import to fail');
  return result.errors;
}

describe('tariff CSV import', () => {
  it('imports a rate sheet that prices exactly like the hand-built tariff book', () => {
    const result = importTariffCsv(DHL_CSV);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.summary).toEqual({ rows: 17, rateCards: 2, bands: 12, surcharges: 5 });
    const fromCsv = createCostEngine(result.book);
    const reference = createCostEngine(dhlBook());
    const parcels: ShipmentToPrice[] = [
      { ...door, ...smallParcel() },
      { ...door, ...smallParcel('8881 AB') },
      { ...door, ...smallParcel('KW16 3AA', 'GB') },
      { ...door, ...smallParcel(), weightGrams: 3000, dimensions: { lengthMm: 200, widthMm: 1100, heightMm: 150 } },
    ];
    for (const parcel of parcels) {
      for (const day of ['2026-02-15', '2026-05-01', '2026-08-01']) {
        const a = fromCsv.price(parcel, day);
        const b = reference.price(parcel, day);
        expect(a.ok && b.ok).toBe(true);
        if (a.ok && b.ok) {
          expect(a.breakdown.total).toEqual(b.breakdown.total);
          expect(a.breakdown.lines.map((l) => [l.kind, l.amount.amount])).toEqual(b.breakdown.lines.map((l) => [l.kind, l.amount.amount]));
        }
      }
    }
  });

  it('accepts a BOM, CRLF line ends, blank lines, any column order and omitted unused columns', () => {
    const csv =
      '\ufeffamount_minor,kind,zone,country,carrier,service_level,delivery_methods,valid_from,currency,max_weight_g,postcodes\r\n' +
      '399,BAND,PL,PL,inpost,LOCKER,LOCKER,2026-01-01,PLN,25000,\r\n\r\n' +
      '499,BAND,PL-WAW,PL,inpost,LOCKER,LOCKER,2026-01-01,PLN,25000,"00-001..04-999"\r\n';
    const result = importTariffCsv(csv);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const engine = createCostEngine(result.book);
    const locker = { carrierCode: 'inpost', serviceLevel: 'LOCKER', deliveryMethod: 'LOCKER' } as const;
    const price = (postcode: string) => {
      const r = engine.price({ ...locker, ...smallParcel(postcode, 'PL') }, '2026-02-01');
      return r.ok ? r.breakdown.total.amount : r.reason.code;
    };
    expect(price('02-495')).toBe(499);
    expect(price('30-001')).toBe(399);
  });

  it('reports every invalid row with line, column and reason, and imports nothing', () => {
    const csv = [
      HEADER,
      'BAND,dhl,STANDARD,DOOR,2026-01-01,,EUR,NL,NL,,2000,,695,,,,,,', // line 2: fine
      'BAND,dhl,STANDARD,DOOR,2026-01-01,,EUR,NL,NL,,5000,,8.95,,,,,,', // 3: decimal money
      'BAND,dhl,OVERNIGHT,DOOR,2026-01-01,,EUR,NL,NL,,5000,,895,,,,,,', // 4: unknown service level
      'BAND,dhl,STANDARD,DOOR,2026-02-30,,EUR,NL,NL,,5000,,895,,,,,,', // 5: no such day
      'BAND,dhl,STANDARD,DOOR,2026-01-01,,USD,NL,NL,,10000,,1195,,,,,,', // 6: currency differs from line 2
      'FUEL,dhl,,,2026-01-01,2025-12-01,,,,,,,,,,,1250,,', // 7: ends before it starts
      'FUEL,dhl,,,2026-01-01,,,,,,,,,,,,125%,,', // 8: not a number
      'REMOTE_AREA,dhl,,,2026-01-01,,EUR,,UK,HS,,,995,,,,,,', // 9: UK is GB
      'REMOTE_AREA,dhl,,,2026-01-01,,EUR,,NL,1000 AB..ZZ,,,350,,,,,,', // 10: bad range
      'OVERSIZE,dhl,,,2026-01-01,,EUR,,,,,,1500,,,,,,', // 11: no threshold
      'BAND,dhl,STANDARD,DOOR,2026-01-01,,EUR,NL,NL,,2000,,700,,,,,,', // 12: duplicate band of line 2
      'PARCEL,dhl,STANDARD,DOOR,2026-01-01,,EUR,NL,NL,,2000,,700,,,,,,', // 13: unknown kind
      'FUEL,dhl,,,2026-01-01,,EUR,,,,,,,,,,1250,,', // 14: currency does not apply to FUEL
      'BAND,dhl,STANDARD,DOOR,2026-01-01,,EUR,NL,NL,,2000', // 15: too few fields
    ].join('\n');
    const errors = errorsOf(csv);
    expect(errors.map((e) => [e.row, e.column])).toEqual([
      [3, 'amount_minor'],
      [4, 'service_level'],
      [5, 'valid_from'],
      [6, 'currency'],
      [7, 'valid_to'],
      [8, 'basis_points'],
      [9, 'country'],
      [10, 'postcodes'],
      [11, 'over_longest_side_mm'],
      [12, 'max_weight_g'],
      [13, 'kind'],
      [14, 'currency'],
      [15, null],
    ]);
    const byRow = new Map(errors.map((e) => [e.row, e.message]));
    expect(byRow.get(3)).toBe('"8.95" is not a whole number in minor units (745 for 7.45)');
    expect(byRow.get(6)).toBe('USD differs from EUR on line 2, the first row of this rate card');
    expect(byRow.get(9)).toContain('the United Kingdom is "GB"');
    expect(byRow.get(12)).toBe('zone NL already has this band on line 2');
    expect(byRow.get(14)).toBe('does not apply to FUEL; leave it empty');
    expect(byRow.get(15)).toBe('has 11 fields, the header has 19');
  });

  it('reports tariff-book conflicts at the row that causes them', () => {
    const csv = [
      HEADER,
      'BAND,dhl,STANDARD,DOOR,2026-01-01,,EUR,NL,NL,,2000,,695,,,,,,',
      'BAND,dhl,STANDARD,DOOR,2026-01-01,,EUR,NL-N,NL,9000..9999,2000,,795,,,,,,',
      'BAND,dhl,STANDARD,DOOR,2026-01-01,,EUR,NL-G,NL,9700..9799,2000,,795,,,,,,', // 4: overlaps NL-N
      'BAND,dhl,STANDARD,DOOR,2026-06-01,,EUR,NL,NL,,2000,,745,,,,,,', // 5: second card overlapping the open-ended first
      'FUEL,dhl,,,2026-01-01,,,,,,,,,,,,1250,,',
      'FUEL,dhl,STANDARD,,2026-03-01,,,,,,,,,,,,1300,,', // 7: second fuel on the same days
    ].join('\n');
    const errors = errorsOf(csv);
    expect(errors).toEqual([
      { row: 4, column: 'postcodes', message: 'range 9700..9799 of zone "NL-G" overlaps range 9000..9999 of zone "NL-N"' },
      { row: 5, column: 'valid_from', message: expect.stringContaining('overlaps rate card dhl:STANDARD:DOOR:2026-01-01') },
      { row: 7, column: 'valid_from', message: expect.stringContaining('overlaps fuel surcharge dhl:fuel:2026-01-01:line6') },
    ]);
  });

  it('reports a broken header and unreadable files', () => {
    expect(errorsOf('kind,carrier,price\nBAND,dhl,1')).toEqual([
      expect.objectContaining({ row: 1, column: null, message: expect.stringContaining('unknown column "price"') }),
      { row: 1, column: 'valid_from', message: 'required column is missing from the header' },
    ]);
    expect(errorsOf('')).toEqual([{ row: 1, column: null, message: 'the file is empty; the first line must name the columns' }]);
    expect(errorsOf(HEADER)).toEqual([{ row: 1, column: null, message: 'the file has a header but no rows' }]);
    expect(errorsOf(`${HEADER}\nBAND,"dhl,STANDARD`)[0]).toMatchObject({ row: 2, column: null, message: expect.stringContaining('not a readable CSV file') });
  });
});
