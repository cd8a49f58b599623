import { describe, expect, it } from 'vitest';
import { eventVisible, type DataScope } from '../src/index.ts';

const event = { livemode: false, merchantId: 'mer_a', carrierCode: 'postnl', subjectType: 'Shipment', subjectId: 'shp_1', payload: { order_id: 'ord_1' } };

describe('who may see an event', () => {
  it('applies each scope kind, never across modes', () => {
    const cases: [DataScope | undefined, boolean][] = [
      [undefined, false],
      [{ kind: 'ALL' }, true],
      [{ kind: 'MERCHANTS', merchantIds: ['mer_a'] }, true],
      [{ kind: 'MERCHANTS', merchantIds: ['mer_b'] }, false],
      [{ kind: 'CARRIERS', carrierCodes: ['postnl'] }, true],
      [{ kind: 'CARRIERS', carrierCodes: ['dhl'] }, false],
      [{ kind: 'ORDER', orderId: 'ord_1', merchantId: 'mer_a' }, true],
      [{ kind: 'ORDER', orderId: 'ord_2', merchantId: 'mer_a' }, false],
      [{ kind: 'ORDER', orderId: 'ord_1', merchantId: 'mer_b' }, false],
    ];
    for (const [scope, visible] of cases) {
      expect(eventVisible(scope, false, event), JSON.stringify(scope)).toBe(visible);
      expect(eventVisible(scope, true, event), `live: ${JSON.stringify(scope)}`).toBe(false);
    }
  });

  it('lets an order scope see events whose subject is its order, and nothing without a merchant', () => {
    expect(
      eventVisible({ kind: 'ORDER', orderId: 'ord_9', merchantId: 'mer_a' }, false, {
        livemode: false,
        merchantId: 'mer_a',
        subjectType: 'Order',
        subjectId: 'ord_9',
      }),
    ).toBe(true);
    expect(eventVisible({ kind: 'MERCHANTS', merchantIds: ['mer_a'] }, false, { livemode: false, merchantId: null })).toBe(false);
    expect(eventVisible({ kind: 'CARRIERS', carrierCodes: ['postnl'] }, false, { livemode: false, carrierCode: null })).toBe(false);
  });
});
