import { describe, expect, it } from 'vitest';
import { kpiIncrementOf } from '../src/domain/kpis.ts';

const event = (type: string, payload: Record<string, unknown>, merchantId: string | null = 'mer_1') =>
  ({ type, merchantId, livemode: false, occurredAt: '2026-03-02T23:59:59.000Z', payload }) as never;

describe('KPI rules (pure)', () => {
  it('counts money in minor units per currency on the UTC day of the event', () => {
    expect(kpiIncrementOf(event('payment.confirmed', { payment: { amount_minor: 7840, currency: 'EUR' } }))).toEqual({
      merchantId: 'mer_1',
      livemode: false,
      day: '2026-03-02',
      metric: 'payments_confirmed',
      currency: 'EUR',
      amountMinor: 7840,
    });
  });

  it('counts without money where the metric has none or the amount is not an integer', () => {
    expect(kpiIncrementOf(event('release.authorized', {}))).toMatchObject({ metric: 'releases_authorized', currency: '', amountMinor: 0 });
    expect(kpiIncrementOf(event('refund.created', { refund: { amount_minor: 12.5, currency: 'EUR' } }))).toMatchObject({ metric: 'refunds', amountMinor: 0 });
  });

  it('counts nothing for other events or events without a merchant', () => {
    expect(kpiIncrementOf(event('shipment.created', {}))).toBeNull();
    expect(kpiIncrementOf(event('order.created', { total: { amount_minor: 1, currency: 'EUR' } }, null))).toBeNull();
  });
});
