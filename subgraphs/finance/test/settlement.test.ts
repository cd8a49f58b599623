import { describe, expect, it } from 'vitest';
import { formatMinorUnits, money, signedMoney } from '@ipay/platform';
import { feeInForce, PLATFORM_DEFAULT_FEES, type FeeEntry } from '../src/domain/fees.ts';
import { fourEyesRefusal, needsFourEyes, transition, TRANSITIONS, SETTLEMENT_STATUSES, type SettlementAction } from '../src/domain/lifecycle.ts';
import { periodAfter, periodContaining } from '../src/domain/periods.ts';
import { adjustmentLine, collectionLine, refundLine, settlementTotals } from '../src/domain/settlement.ts';

describe('settlement arithmetic (hand-computed)', () => {
  it('takes the fixed fee per order and never makes a collection net negative', () => {
    expect(collectionLine(money(7840, 'EUR'), money(95, 'EUR'))).toEqual({ gross: money(7840, 'EUR'), fee: money(95, 'EUR'), net: money(7745, 'EUR') });
    expect(collectionLine(money(50, 'EUR'), money(95, 'EUR'))).toEqual({ gross: money(50, 'EUR'), fee: money(50, 'EUR'), net: money(0, 'EUR') });
  });

  it('nets collections, refunds and adjustments: 78.40 + 19.90 − 10.00 refund − 2.50 correction, two fees of 0.95', () => {
    const lines = [
      collectionLine(money(7840, 'EUR'), money(95, 'EUR')),
      collectionLine(money(1990, 'EUR'), money(95, 'EUR')),
      refundLine(money(1000, 'EUR')),
      adjustmentLine(signedMoney(-250, 'EUR')),
    ];
    // gross 7840 + 1990 − 1000 − 250 = 8580; fees 190; net 8390.
    expect(settlementTotals(lines, 'EUR')).toEqual({
      gross: signedMoney(8580, 'EUR'),
      fee: signedMoney(190, 'EUR'),
      net: signedMoney(8390, 'EUR'),
      lineCount: 4,
    });
  });

  it('lets refunds take a settlement below zero (a refund after payout: negative line of the next one)', () => {
    const next = settlementTotals([refundLine(money(7840, 'EUR'))], 'EUR');
    expect(next).toEqual({ gross: signedMoney(-7840, 'EUR'), fee: signedMoney(0, 'EUR'), net: signedMoney(-7840, 'EUR'), lineCount: 1 });
    expect(formatMinorUnits(next.net.amount, 'EUR')).toBe('-78.40');
  });

  it('zero-decimal JPY: ¥12,000 and ¥3,480 with the ¥150 fee', () => {
    const lines = [collectionLine(money(12000, 'JPY'), money(150, 'JPY')), collectionLine(money(3480, 'JPY'), money(150, 'JPY'))];
    const totals = settlementTotals(lines, 'JPY');
    expect(totals.net).toEqual(signedMoney(15180, 'JPY'));
    expect(formatMinorUnits(totals.net.amount, 'JPY')).toBe('15180');
  });

  it('three-decimal KWD and BHD: 12.345 KWD − 0.350 fee = 11.995; 0.200 BHD collection keeps 0 after a 0.350 fee', () => {
    const kwd = collectionLine(money(12345, 'KWD'), money(350, 'KWD'));
    expect(kwd.net).toEqual(signedMoney(11995, 'KWD'));
    expect(formatMinorUnits(kwd.net.amount, 'KWD')).toBe('11.995');
    const bhd = collectionLine(money(200, 'BHD'), money(350, 'BHD'));
    expect([bhd.fee.amount, bhd.net.amount]).toEqual([200, 0]);
    expect(formatMinorUnits(-5, 'BHD')).toBe('-0.005');
  });

  it('refuses to mix currencies', () => {
    expect(() => settlementTotals([collectionLine(money(100, 'SEK'), money(10, 'SEK'))], 'EUR')).toThrow('cannot add SEK to EUR');
    expect(() => collectionLine(money(100, 'SEK'), money(10, 'EUR'))).toThrow();
  });
});

describe('fee schedules with validity', () => {
  const at = (iso: string) => new Date(iso);
  const entries: FeeEntry[] = [
    { id: 'fee_platform_eur', merchantId: '', currency: 'EUR', feeAmount: 95, validFrom: at('1970-01-01T00:00:00Z'), validTo: null },
    { id: 'fee_m1', merchantId: 'mer_1', currency: 'EUR', feeAmount: 80, validFrom: at('2026-10-15T00:00:00Z'), validTo: null },
    { id: 'fee_m1_promo', merchantId: 'mer_1', currency: 'EUR', feeAmount: 50, validFrom: at('2026-10-20T00:00:00Z'), validTo: at('2026-10-25T00:00:00Z') },
  ];
  it('falls back to the platform schedule and applies a mid-period change from its instant', () => {
    expect(feeInForce(entries, 'mer_1', 'EUR', at('2026-10-14T23:59:59.999Z'))?.id).toBe('fee_platform_eur');
    expect(feeInForce(entries, 'mer_1', 'EUR', at('2026-10-15T00:00:00Z'))?.id).toBe('fee_m1');
    expect(feeInForce(entries, 'mer_1', 'EUR', at('2026-10-22T00:00:00Z'))?.id).toBe('fee_m1_promo');
    expect(feeInForce(entries, 'mer_1', 'EUR', at('2026-10-25T00:00:00Z'))?.id).toBe('fee_m1');
    expect(feeInForce(entries, 'mer_2', 'EUR', at('2026-10-22T00:00:00Z'))?.id).toBe('fee_platform_eur');
    expect(feeInForce(entries, 'mer_1', 'XAF', at('2026-10-22T00:00:00Z'))).toBeNull();
  });
  it('has platform defaults for zero- and three-decimal currencies', () => {
    expect([PLATFORM_DEFAULT_FEES.JPY, PLATFORM_DEFAULT_FEES.KWD, PLATFORM_DEFAULT_FEES.BHD]).toEqual([150, 350, 350]);
  });
});

describe('settlement periods (UTC)', () => {
  it('daily, ISO-weekly (Monday) and monthly periods contain their instant', () => {
    const t = new Date('2026-11-18T23:30:00Z'); // a Wednesday
    expect(periodContaining('DAILY', t)).toEqual({ kind: 'DAILY', start: new Date('2026-11-18T00:00:00Z'), end: new Date('2026-11-19T00:00:00Z') });
    expect(periodContaining('WEEKLY', t)).toEqual({ kind: 'WEEKLY', start: new Date('2026-11-16T00:00:00Z'), end: new Date('2026-11-23T00:00:00Z') });
    expect(periodContaining('WEEKLY', new Date('2026-11-22T23:59:59.999Z')).start).toEqual(new Date('2026-11-16T00:00:00Z'));
    expect(periodContaining('MONTHLY', t)).toEqual({ kind: 'MONTHLY', start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') });
    expect(periodAfter(periodContaining('MONTHLY', new Date('2026-12-31T12:00:00Z')), 'MONTHLY').start).toEqual(new Date('2027-01-01T00:00:00Z'));
  });
});

describe('settlement lifecycle (table-driven)', () => {
  const cases: [string, SettlementAction, string | null][] = [];
  for (const status of SETTLEMENT_STATUSES)
    for (const action of Object.keys(TRANSITIONS) as SettlementAction[])
      cases.push([status, action, TRANSITIONS[action].from === status ? TRANSITIONS[action].to : null]);
  it.each(cases)('%s --%s--> %s', (status, action, to) => {
    const result = transition(status as never, action);
    if (to) expect(result).toEqual({ to });
    else expect('refusal' in result && result.refusal.code).toBe('SETTLEMENT_INVALID_TRANSITION');
  });

  it('four eyes: above the threshold only a person other than the closer approves', () => {
    const big = { requiresFourEyes: true, closedBy: 'usr_cfo' };
    expect(fourEyesRefusal(big, { principalId: 'usr_cfo' })).toMatchObject({ code: 'FOUR_EYES_REQUIRED', reason: 'SAME_PERSON' });
    expect(fourEyesRefusal(big, { principalId: 'key_ops' })).toMatchObject({ code: 'FOUR_EYES_REQUIRED', reason: 'APPROVER_NOT_A_PERSON' });
    expect(fourEyesRefusal(big, { principalId: 'usr_controller' })).toBeNull();
    expect(fourEyesRefusal({ requiresFourEyes: false, closedBy: 'usr_cfo' }, { principalId: 'usr_cfo' })).toBeNull();
    expect([needsFourEyes(100_000, 100_000), needsFourEyes(100_001, 100_000), needsFourEyes(-100_001, 100_000), needsFourEyes(1, null)]).toEqual([
      false,
      true,
      true,
      true,
    ]);
  });
});
