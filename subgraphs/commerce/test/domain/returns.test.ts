import { describe, expect, it } from 'vitest';
import {
  RETURN_STATUSES,
  RETURN_TRANSITIONS,
  ReturnInputError,
  assertReturnTransition,
  offersFor,
  orderStatusAfterReturns,
  priceOffer,
  returnIdOfRefundReason,
  returnLinesFor,
  returnTransitionForEvent,
  refundReasonFor,
  validateOfferRule,
  type RetentionOfferRule,
} from '../../src/domain/returns.ts';

const LINES = [
  { sku: 'MUG-1', name: 'Mug', quantity: 2, unitAmount: 3520 },
  { sku: 'TEE-1', name: 'Shirt', quantity: 1, unitAmount: 2000 },
];

describe('return state machine', () => {
  it('has exactly the documented moves', () => {
    const table = Object.entries(RETURN_TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}→${to}`));
    expect(table.sort()).toEqual(
      [
        'REQUESTED→LABEL_ISSUED',
        'REQUESTED→REFUNDED',
        'LABEL_ISSUED→IN_TRANSIT',
        'LABEL_ISSUED→RECEIVED',
        'IN_TRANSIT→RECEIVED',
        'RECEIVED→INSPECTED',
        'INSPECTED→REFUNDED',
        'INSPECTED→REJECTED',
        'INSPECTED→EXCHANGED',
        'INSPECTED→CREDITED',
      ].sort(),
    );
  });

  it('refuses everything else with ILLEGAL_RETURN_TRANSITION', () => {
    for (const from of RETURN_STATUSES)
      for (const to of RETURN_STATUSES) {
        if (RETURN_TRANSITIONS[from].includes(to)) continue;
        expect(() => assertReturnTransition(from, to)).toThrow(
          expect.objectContaining({ extensions: expect.objectContaining({ code: 'ILLEGAL_RETURN_TRANSITION', from, to }) }),
        );
      }
  });

  it('ignores redelivered and late carrier events', () => {
    expect(returnTransitionForEvent('IN_TRANSIT', 'IN_TRANSIT')).toEqual({ kind: 'ignore', reason: 'already in that status (redelivered event)' });
    expect(returnTransitionForEvent('RECEIVED', 'IN_TRANSIT').kind).toBe('ignore');
    expect(returnTransitionForEvent('LABEL_ISSUED', 'RECEIVED')).toEqual({ kind: 'apply' });
  });
});

describe('return lines', () => {
  it('takes every remaining unit when no lines are named', () => {
    expect(returnLinesFor(LINES, [], new Map([['MUG-1', 1]]))).toEqual([
      { sku: 'MUG-1', name: 'Mug', quantity: 1, unitAmount: 3520 },
      { sku: 'TEE-1', name: 'Shirt', quantity: 1, unitAmount: 2000 },
    ]);
  });

  it('refuses unknown SKUs, bad quantities and more than is left, naming the field', () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e instanceof ReturnInputError ? e.field : 'other';
      }
      return null;
    };
    expect(err(() => returnLinesFor(LINES, [{ sku: 'HAT', quantity: 1 }], new Map()))).toBe('lines.0.sku');
    expect(err(() => returnLinesFor(LINES, [{ sku: 'MUG-1', quantity: 0 }], new Map()))).toBe('lines.0.quantity');
    expect(
      err(() =>
        returnLinesFor(
          LINES,
          [
            { sku: 'MUG-1', quantity: 1 },
            { sku: 'MUG-1', quantity: 2 },
          ],
          new Map(),
        ),
      ),
    ).toBe('lines.1.quantity');
    expect(err(() => returnLinesFor(LINES, [{ sku: 'MUG-1', quantity: 1 }], new Map([['MUG-1', 2]])))).toBe('lines.0.quantity');
    expect(
      err(() =>
        returnLinesFor(
          LINES,
          [],
          new Map([
            ['MUG-1', 2],
            ['TEE-1', 1],
          ]),
        ),
      ),
    ).toBe('lines');
  });
});

describe('retention offers', () => {
  const rule = (r: Partial<RetentionOfferRule>): RetentionOfferRule => ({
    id: 'rof_1',
    kind: 'EXCHANGE',
    partialRefundBps: null,
    bonusBps: null,
    reasonCodes: null,
    active: true,
    ...r,
  });

  it('prices each kind in integer minor units (half up)', () => {
    expect(priceOffer(rule({ kind: 'EXCHANGE' }), 2000)).toMatchObject({ refundAmount: 0, storeCreditAmount: 0, savedAmount: 2000, goodsReturned: true });
    expect(priceOffer(rule({ kind: 'PARTIAL_REFUND', partialRefundBps: 3000 }), 7040)).toMatchObject({
      refundAmount: 2112,
      savedAmount: 4928,
      goodsReturned: false,
    });
    expect(priceOffer(rule({ kind: 'PARTIAL_REFUND', partialRefundBps: 3333 }), 1001)).toMatchObject({ refundAmount: 334 });
    expect(priceOffer(rule({ kind: 'STORE_CREDIT', bonusBps: 1000 }), 9040)).toMatchObject({ storeCreditAmount: 9944, savedAmount: 9040 });
  });

  it('applies only active offers for the reason', () => {
    const rules = [rule({ id: 'a', reasonCodes: ['WRONG_SIZE'] }), rule({ id: 'b' }), rule({ id: 'c', active: false })];
    expect(offersFor(rules, 'DAMAGED', 100).map((o) => o.offerId)).toEqual(['b']);
    expect(offersFor(rules, 'WRONG_SIZE', 100).map((o) => o.offerId)).toEqual(['a', 'b']);
  });

  it('validates the rule of each kind', () => {
    expect(validateOfferRule({ kind: 'PARTIAL_REFUND', partialRefundBps: 2500 })).toEqual({ partialRefundBps: 2500, bonusBps: null });
    expect(() => validateOfferRule({ kind: 'PARTIAL_REFUND', partialRefundBps: 10_000 })).toThrow(ReturnInputError);
    expect(() => validateOfferRule({ kind: 'STORE_CREDIT' })).toThrow(ReturnInputError);
    expect(() => validateOfferRule({ kind: 'EXCHANGE', bonusBps: 10 })).toThrow(ReturnInputError);
  });
});

describe('order after returns', () => {
  it('is PARTIALLY_RETURNED for some units, RETURNED for all, unchanged for none', () => {
    expect(orderStatusAfterReturns(LINES, new Map([['MUG-1', 1]]))).toBe('PARTIALLY_RETURNED');
    expect(
      orderStatusAfterReturns(
        LINES,
        new Map([
          ['MUG-1', 2],
          ['TEE-1', 1],
        ]),
      ),
    ).toBe('RETURNED');
    expect(orderStatusAfterReturns(LINES, new Map())).toBeNull();
  });

  it('links a refund back to its return by reason', () => {
    expect(returnIdOfRefundReason(refundReasonFor('ret_0193abc'))).toBe('ret_0193abc');
    expect(returnIdOfRefundReason('goodwill')).toBeNull();
  });
});
