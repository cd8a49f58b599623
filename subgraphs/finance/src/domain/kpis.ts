import type { DomainEvent } from '@ipay/platform';

/** A money object of an event payload, as published (checked where it is read). */
type PayloadMoney = { amount_minor?: unknown; currency?: unknown };
const moneyAt = (field: string) => (payload: Record<string, unknown>) => payload[field] as PayloadMoney | undefined;

/** Which events move which dashboard counter, and where their money is in the payload. */
export const KPI_METRICS: Record<string, { metric: string; money?: (payload: Record<string, unknown>) => PayloadMoney | undefined }> = {
  'order.created': { metric: 'orders_created', money: moneyAt('total') },
  'payment.confirmed': { metric: 'payments_confirmed', money: moneyAt('payment') },
  'payment.failed': { metric: 'payments_failed' },
  'carrier.out_for_delivery': { metric: 'out_for_delivery' },
  'release.authorized': { metric: 'releases_authorized' },
  'parcel.released': { metric: 'parcels_released' },
  'refund.created': { metric: 'refunds', money: moneyAt('refund') },
  'return.initiated': { metric: 'returns_initiated' },
};

export const KPI_EVENT_TYPES = Object.keys(KPI_METRICS);

/** What one event adds to a merchant's daily counter: one count and its money in minor units (currency '' without). */
export interface KpiIncrement {
  merchantId: string;
  livemode: boolean;
  day: string;
  metric: string;
  currency: string;
  amountMinor: number;
}

/** The counter an event moves, or null for events that count nowhere (not a KPI event, or no merchant). */
export function kpiIncrementOf(event: Pick<DomainEvent, 'type' | 'merchantId' | 'livemode' | 'occurredAt' | 'payload'>): KpiIncrement | null {
  const rule = KPI_METRICS[event.type];
  if (!rule || !event.merchantId) return null;
  const money = rule.money?.(event.payload);
  const amountMinor = Number.isSafeInteger(money?.amount_minor) ? (money!.amount_minor as number) : 0;
  const currency = typeof money?.currency === 'string' ? money.currency : '';
  return { merchantId: event.merchantId, livemode: event.livemode, day: event.occurredAt.slice(0, 10), metric: rule.metric, currency, amountMinor };
}

/** A merchant's counters of one day, as the dashboard reads them. */
export interface KpiSnapshot {
  merchantId: string;
  day: string;
  livemode: boolean;
  counters: { metric: string; count: number; amount: { amount: number; currency: string } | null }[];
}
