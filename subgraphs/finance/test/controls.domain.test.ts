import { describe, expect, it } from 'vitest';
import {
  auditChainsVerify,
  carrierInvoicesReconciled,
  paidOrdersSettled,
  refundsWithinCapture,
  releasedParcelsFullyPaid,
  scheduledRunDue,
  settlementTotalsMatchLines,
} from '../src/domain/controls.ts';

const now = new Date('2026-12-02T06:00:00.000Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);

describe('internal control rules', () => {
  it('released parcels: FAIL with the order whose payment is not full (or unknown)', () => {
    const out = releasedParcelsFullyPaid([
      { orderId: 'ord_paid', releaseId: 'rel_1', eventType: 'parcel.released', releasedAt: daysAgo(1), paymentState: 'PAID', fullyPaid: true },
      {
        orderId: 'ord_part',
        releaseId: 'rel_2',
        eventType: 'release.authorized',
        releasedAt: daysAgo(1),
        paymentState: 'PARTIALLY_CAPTURED',
        fullyPaid: false,
      },
      { orderId: 'ord_none', releaseId: 'rel_3', eventType: 'parcel.released', releasedAt: daysAgo(2), paymentState: null, fullyPaid: null },
    ]);
    expect(out.result).toBe('FAIL');
    expect(out.evidence.map((e) => [e.order_id, e.payment_state])).toEqual([
      ['ord_part', 'PARTIALLY_CAPTURED'],
      ['ord_none', 'UNKNOWN'],
    ]);
  });
  it('paid orders: unsettled after N days fails, exactly N days is late, N−1 is not', () => {
    const out = paidOrdersSettled(
      [
        { orderId: 'a', merchantId: 'm', paidAt: daysAgo(7), settlementId: null },
        { orderId: 'b', merchantId: 'm', paidAt: daysAgo(6.9), settlementId: null },
        { orderId: 'c', merchantId: 'm', paidAt: daysAgo(30), settlementId: 'stl_1' },
      ],
      now,
      { settlementDays: 7 },
    );
    expect(out.evidence.map((e) => [e.order_id, e.days_unsettled])).toEqual([['a', 7]]);
  });
  it('settlement totals: any of gross, fee, net differing from its lines fails', () => {
    const ok = { settlementId: 's1', currency: 'EUR', gross: 100, fee: 10, net: 90, linesGross: 100, linesFee: 10, linesNet: 90 };
    expect(settlementTotalsMatchLines([ok]).result).toBe('PASS');
    expect(settlementTotalsMatchLines([ok, { ...ok, settlementId: 's2', net: 91 }]).evidence).toEqual([
      { settlement_id: 's2', currency: 'EUR', gross: 100, lines_gross: 100, fee: 10, lines_fee: 10, net: 91, lines_net: 90 },
    ]);
  });
  it('carrier invoices: unreconciled beyond N days of import fails', () => {
    const out = carrierInvoicesReconciled(
      [
        { invoiceId: 'i1', carrierCode: 'ups', invoiceNumber: 'A', importedAt: daysAgo(15), reconciled: false, unresolvedLines: 2 },
        { invoiceId: 'i2', carrierCode: 'ups', invoiceNumber: 'B', importedAt: daysAgo(3), reconciled: false, unresolvedLines: 1 },
      ],
      now,
      { reconciliationDays: 14 },
    );
    expect(out.evidence.map((e) => [e.invoice_number, e.open_lines, e.days_open])).toEqual([['A', 2, 15]]);
  });
  it('refunds: more refunded than captured (by events or by state) fails with the excess', () => {
    const out = refundsWithinCapture([
      { orderId: 'o1', currency: 'EUR', capturedMinor: 1000, refundedByEventsMinor: 1000, refundedByStateMinor: 1000 },
      { orderId: 'o2', currency: 'EUR', capturedMinor: 1000, refundedByEventsMinor: 1200, refundedByStateMinor: 1000 },
      { orderId: 'o3', currency: 'EUR', capturedMinor: 0, refundedByEventsMinor: 500, refundedByStateMinor: 0 },
    ]);
    expect(out.evidence.map((e) => [e.order_id, e.excess])).toEqual([
      ['o2', 200],
      ['o3', 500],
    ]);
  });
  it('audit chains: missing, broken and stale attestations each fail', () => {
    const att = (subgraph: string, valid: boolean, hoursAgo: number) => ({
      subgraph,
      valid,
      checkedRecords: 10,
      brokenAtPosition: valid ? null : 4,
      reason: valid ? null : 'edited',
      verifiedAt: new Date(now.getTime() - hoursAgo * 3_600_000),
    });
    const out = auditChainsVerify(
      ['identity', 'commerce', 'payments', 'logistics', 'finance'],
      [att('identity', true, 1), att('commerce', false, 1), att('payments', true, 49), att('logistics', true, 47)],
      now,
      { attestationMaxAgeHours: 48 },
    );
    expect(out.evidence.map((e) => [e.subgraph, e.problem])).toEqual([
      ['commerce', 'CHAIN_BROKEN'],
      ['payments', 'STALE_ATTESTATION'],
      ['finance', 'NO_ATTESTATION'],
    ]);
  });
  it('the scheduled run is due once per UTC day from its hour', () => {
    expect(scheduledRunDue(new Date('2026-12-02T05:59:00Z'), 6, '2026-12-01')).toBeNull();
    expect(scheduledRunDue(new Date('2026-12-02T06:00:00Z'), 6, '2026-12-01')).toBe('2026-12-02');
    expect(scheduledRunDue(new Date('2026-12-02T23:00:00Z'), 6, '2026-12-02')).toBeNull();
  });
});
