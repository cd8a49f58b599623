import { describe, expect, it } from 'vitest';
import { parseGenericInvoice, parseUpsBillingData } from '../src/adapters/carrier-invoice-csv.ts';
import { agingBucket, agingReport, daysBetween } from '../src/domain/aging.ts';
import { upsRow } from './fixtures/ups.ts';
import { classifyLine, refuseResolution, summarize, type BilledParcel, type ExpectedShipment } from '../src/domain/reconciliation.ts';

const shipment = (over: Partial<ExpectedShipment> = {}): ExpectedShipment => ({
  shipmentId: 'shp_1',
  orderId: 'ord_1',
  weightGrams: 1800,
  zone: '3',
  expectedMinor: 1250,
  currency: 'EUR',
  ...over,
});
const parcel = (base: number, surcharges: number[] = [], over: Partial<BilledParcel> = {}): BilledParcel => ({
  lineNumber: 1,
  trackingNumber: '1Z999',
  weightGrams: 2000,
  zone: '003',
  service: 'UPS Standard',
  currency: 'EUR',
  charges: [
    { kind: 'BASE', code: 'FRT', description: 'UPS Standard', amountMinor: base },
    ...surcharges.map((a) => ({ kind: 'SURCHARGE' as const, code: 'FSC', description: 'Fuel Surcharge', amountMinor: a })),
  ],
  ...over,
});
const fresh = { earlierInFile: false, billedBefore: false };

describe('classifying a billed parcel against the expected cost', () => {
  it('MATCHED when billed equals expected to the minor unit (zones compared without leading zeros, weight in started kg)', () => {
    expect(classifyLine(parcel(1100, [150]), shipment(), fresh)).toEqual({ classification: 'MATCHED', reason: null, expectedMinor: 1250, differenceMinor: 0 });
  });
  it('UNMATCHED without a shipment, or without an expected cost', () => {
    expect(classifyLine(parcel(1250), null, fresh)).toEqual({ classification: 'UNMATCHED', reason: 'NO_SHIPMENT', expectedMinor: null, differenceMinor: null });
    expect(classifyLine(parcel(1250), shipment({ expectedMinor: null, currency: null }), fresh).reason).toBe('NO_EXPECTED_COST');
  });
  it('MISMATCH DUPLICATE when the parcel was billed before or earlier in the file: the whole amount is the difference', () => {
    expect(classifyLine(parcel(1250), shipment(), { earlierInFile: true, billedBefore: false })).toEqual({
      classification: 'MISMATCH',
      reason: 'DUPLICATE',
      expectedMinor: 0,
      differenceMinor: 1250,
    });
    expect(classifyLine(parcel(1250), shipment(), { earlierInFile: false, billedBefore: true }).reason).toBe('DUPLICATE');
  });
  it('MISMATCH ZONE, WEIGHT_BAND, SURCHARGE, RATE, CURRENCY with the difference', () => {
    expect(classifyLine(parcel(1400, [], { zone: '5' }), shipment(), fresh)).toEqual({
      classification: 'MISMATCH',
      reason: 'ZONE',
      expectedMinor: 1250,
      differenceMinor: 150,
    });
    expect(classifyLine(parcel(1600, [], { weightGrams: 3000 }), shipment(), fresh)).toEqual({
      classification: 'MISMATCH',
      reason: 'WEIGHT_BAND',
      expectedMinor: 1250,
      differenceMinor: 350,
    });
    // 1 801 g and 2 000 g are both 2 started kg: the same band, so the extra residential charge is the reason.
    expect(classifyLine(parcel(1250, [395]), shipment({ weightGrams: 1801 }), fresh)).toEqual({
      classification: 'MISMATCH',
      reason: 'SURCHARGE',
      expectedMinor: 1250,
      differenceMinor: 395,
    });
    expect(classifyLine(parcel(1300), shipment(), fresh)).toEqual({ classification: 'MISMATCH', reason: 'RATE', expectedMinor: 1250, differenceMinor: 50 });
    expect(classifyLine(parcel(1250, [], { currency: 'SEK' }), shipment(), fresh).reason).toBe('CURRENCY');
  });
});

describe('resolutions and the invoice summary', () => {
  const line = (
    classification: 'MATCHED' | 'MISMATCH' | 'UNMATCHED',
    billed: number,
    expected: number | null,
    resolution: 'ACCEPT_CARRIER' | 'ACCEPT_EXPECTED' | 'DISPUTE' | null,
    reason: string | null = null,
  ) => ({
    classification,
    reason,
    resolution,
    baseMinor: billed,
    surchargeMinor: 0,
    billedMinor: billed,
    expectedMinor: expected,
  });
  it('refuses resolving a matched line, re-resolving an accepted one, and accepting an expected cost that does not exist', () => {
    expect(refuseResolution(line('MATCHED', 100, 100, null), 'DISPUTE')).toBe('LINE_MATCHED');
    expect(refuseResolution(line('MISMATCH', 120, 100, 'ACCEPT_CARRIER'), 'DISPUTE')).toBe('LINE_ALREADY_RESOLVED');
    expect(refuseResolution(line('UNMATCHED', 120, null, null), 'ACCEPT_EXPECTED')).toBe('NO_EXPECTED_AMOUNT');
    expect(refuseResolution(line('MISMATCH', 120, 100, 'DISPUTE'), 'ACCEPT_EXPECTED')).toBeNull();
  });
  it('sums billed, expected, difference and approved amounts by hand', () => {
    const s = summarize([
      line('MATCHED', 1250, 1250, null),
      line('MISMATCH', 1400, 1250, 'ACCEPT_EXPECTED', 'ZONE'),
      line('MISMATCH', 1645, 1250, 'DISPUTE', 'SURCHARGE'),
      line('UNMATCHED', 990, null, null, 'NO_SHIPMENT'),
    ]);
    expect(s).toEqual({
      lines: 4,
      matched: 1,
      mismatched: 2,
      unmatched: 1,
      unresolved: 1,
      disputed: 1,
      byReason: { ZONE: 1, SURCHARGE: 1, NO_SHIPMENT: 1 },
      billedMinor: 1250 + 1400 + 1645 + 990,
      expectedMinor: 3 * 1250,
      differenceMinor: 0 + 150 + 395,
      approvedMinor: 1250 + 1250,
      disputedMinor: 1645,
      reconciled: false,
    });
  });
});

describe('aging buckets', () => {
  it('puts 30 in 0–30, 31 in 31–60, 60 in 31–60, 61 in 61–90, 90 in 61–90, 91 in 90+', () => {
    expect([0, 30, 31, 60, 61, 90, 91, 400].map(agingBucket)).toEqual([
      'DAYS_0_30',
      'DAYS_0_30',
      'DAYS_31_60',
      'DAYS_31_60',
      'DAYS_61_90',
      'DAYS_61_90',
      'DAYS_OVER_90',
      'DAYS_OVER_90',
    ]);
  });
  it('counts whole calendar days across month ends and leap days', () => {
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2);
    expect(daysBetween('2026-01-31', '2026-03-02')).toBe(30);
  });
  it('reports open amounts only (paid and future-dated invoices are not open) with totals per currency', () => {
    const inv = (n: string, date: string, total: number, paid = 0, currency = 'EUR') => ({
      invoiceId: n,
      invoiceNumber: n,
      invoiceDate: date,
      currency,
      totalMinor: total,
      paidMinor: paid,
    });
    const report = agingReport(
      [
        inv('A', '2026-11-01', 1000, 400),
        inv('B', '2026-09-01', 500),
        inv('C', '2026-12-02', 700),
        inv('D', '2026-06-01', 900, 900),
        inv('E', '2026-08-01', 300, 0, 'SEK'),
      ],
      '2026-12-01',
    );
    expect(report.items.map((i) => [i.invoiceNumber, i.ageDays, i.bucket, i.openMinor])).toEqual([
      ['E', 122, 'DAYS_OVER_90', 300],
      ['B', 91, 'DAYS_OVER_90', 500],
      ['A', 30, 'DAYS_0_30', 600],
    ]);
    expect(report.totals).toEqual([
      { currency: 'EUR', buckets: { DAYS_0_30: 600, DAYS_31_60: 0, DAYS_61_90: 0, DAYS_OVER_90: 500 }, totalMinor: 1100 },
      { currency: 'SEK', buckets: { DAYS_0_30: 0, DAYS_31_60: 0, DAYS_61_90: 0, DAYS_OVER_90: 300 }, totalMinor: 300 },
    ]);
  });
});

describe('carrier invoice layouts', () => {
  it('reads UPS Billing Data: FRT rows start parcels, accessorials attach, TAX rows are skipped, a second FRT row is a second parcel', () => {
    const base = { invoice: '0000A1B2C3', date: '2026-11-30' };
    const csv = [
      upsRow({ ...base, tracking: '1ZA', weight: '2.0', unit: 'K', zone: '003', cls: 'FRT', desc: 'UPS Standard', net: '11.00' }),
      upsRow({ ...base, tracking: '1ZA', zone: '003', cls: 'FSC', code: 'FSC', desc: 'Fuel Surcharge', net: '1.50' }),
      upsRow({ ...base, tracking: '1ZA', cls: 'TAX', desc: 'VAT', net: '2.63' }),
      upsRow({ ...base, tracking: '1ZB', weight: '3', unit: 'L', zone: '004', cls: 'FRT', desc: 'UPS Express, Saver', net: '20.10' }),
      upsRow({ ...base, tracking: '1ZA', weight: '2.0', unit: 'K', zone: '003', cls: 'FRT', desc: 'UPS Standard', net: '11.00' }),
    ].join('\r\n');
    const parsed = parseUpsBillingData(csv);
    expect(parsed.invoiceNumber).toBe('0000A1B2C3');
    expect(parsed.invoiceDate).toBe('2026-11-30');
    expect(parsed.currency).toBe('EUR');
    expect(
      parsed.parcels.map((p) => [p.lineNumber, p.trackingNumber, p.weightGrams, p.zone, p.service, p.charges.map((c) => [c.kind, c.amountMinor])]),
    ).toEqual([
      [
        1,
        '1ZA',
        2000,
        '003',
        'UPS Standard',
        [
          ['BASE', 1100],
          ['SURCHARGE', 150],
        ],
      ],
      [2, '1ZB', 1361, '004', 'UPS Express, Saver', [['BASE', 2010]]],
      [3, '1ZA', 2000, '003', 'UPS Standard', [['BASE', 1100]]],
    ]);
  });
  it('refuses a UPS file mixing invoices, and amounts finer than the currency', () => {
    const a = upsRow({ invoice: 'INV1', date: '2026-11-30', tracking: '1ZA', cls: 'FRT', desc: 'x', net: '1.00' });
    const b = upsRow({ invoice: 'INV2', date: '2026-11-30', tracking: '1ZB', cls: 'FRT', desc: 'x', net: '1.00' });
    expect(() => parseUpsBillingData(`${a}\n${b}`)).toThrow(/import one invoice at a time/);
    expect(() => parseUpsBillingData(upsRow({ invoice: 'INV1', date: '2026-11-30', tracking: '1ZA', cls: 'FRT', desc: 'x', net: '1.005' }))).toThrow(
      /more decimals/,
    );
  });
  it('maps a generic CSV by header names, with surcharge columns and a zero-decimal currency', () => {
    const csv = 'Sendungsnummer,Preis,Maut,Gewicht kg,Zone\nJJD001,1250,35,1.8,3\nJJD002,990,,0.5,1\n';
    const parsed = parseGenericInvoice(
      csv,
      { trackingNumber: 'Sendungsnummer', amount: 'Preis', surcharges: ['Maut'], weight: 'Gewicht kg', zone: 'Zone' },
      { invoiceNumber: 'R-77', invoiceDate: '2026-11-15', currency: 'ISK' },
    );
    expect(parsed.parcels.map((p) => [p.trackingNumber, p.weightGrams, p.zone, p.charges.map((c) => c.amountMinor)])).toEqual([
      ['JJD001', 1800, '3', [1250, 35]],
      ['JJD002', 500, '1', [990]],
    ]);
    expect(() =>
      parseGenericInvoice(csv, { trackingNumber: 'Tracking', amount: 'Preis' }, { invoiceNumber: 'R', invoiceDate: '2026-11-15', currency: 'EUR' }),
    ).toThrow(/column "Tracking" is not in the CSV header/);
  });
});
