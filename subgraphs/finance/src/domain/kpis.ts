import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database, DomainEvent } from '@ipay/platform';
import { kpiCounters, kpiEvents } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';

type Db = Database<typeof schema>;

/** Which events move which dashboard counter, and where their money is in the payload. */
export const KPI_METRICS: Record<string, { metric: string; money?: (payload: Record<string, any>) => { amount_minor?: unknown; currency?: unknown } | undefined }> = {
  'order.created': { metric: 'orders_created', money: (p) => p.total },
  'payment.confirmed': { metric: 'payments_confirmed', money: (p) => p.payment },
  'payment.failed': { metric: 'payments_failed' },
  'carrier.out_for_delivery': { metric: 'out_for_delivery' },
  'release.authorized': { metric: 'releases_authorized' },
  'parcel.released': { metric: 'parcels_released' },
  'refund.created': { metric: 'refunds', money: (p) => p.refund },
  'return.initiated': { metric: 'returns_initiated' },
};

export const KPI_EVENT_TYPES = Object.keys(KPI_METRICS);

/**
 * Counts one event, exactly once however often it is delivered (the event id is recorded in the same
 * transaction). Money is summed in minor units per currency.
 */
export async function countKpiEvent(db: Db, event: Pick<DomainEvent, 'id' | 'type' | 'merchantId' | 'livemode' | 'occurredAt' | 'payload'>): Promise<boolean> {
  const rule = KPI_METRICS[event.type];
  if (!rule || !event.merchantId) return false;
  const money = rule.money?.(event.payload);
  const amount = Number.isSafeInteger(money?.amount_minor) ? (money!.amount_minor as number) : 0;
  const currency = typeof money?.currency === 'string' ? money.currency : '';
  return db.transaction(async (tx) => {
    const [fresh] = await tx.insert(kpiEvents).values({ eventId: event.id }).onConflictDoNothing().returning();
    if (!fresh) return false;
    await tx
      .insert(kpiCounters)
      .values({ merchantId: event.merchantId!, livemode: event.livemode, day: event.occurredAt.slice(0, 10), metric: rule.metric, currency, count: 1, amountMinor: amount })
      .onConflictDoUpdate({
        target: [kpiCounters.merchantId, kpiCounters.livemode, kpiCounters.day, kpiCounters.metric, kpiCounters.currency],
        set: { count: sql`${kpiCounters.count} + 1`, amountMinor: sql`${kpiCounters.amountMinor} + ${amount}`, updatedAt: new Date() },
      });
    return true;
  });
}

export async function kpiSnapshot(db: Db, merchantId: string, livemode: boolean, day: string) {
  const rows = await db
    .select()
    .from(kpiCounters)
    .where(and(eq(kpiCounters.merchantId, merchantId), eq(kpiCounters.livemode, livemode), eq(kpiCounters.day, day)))
    .orderBy(asc(kpiCounters.metric), asc(kpiCounters.currency));
  return {
    merchantId,
    day,
    livemode,
    counters: rows.map((r) => ({ metric: r.metric, count: r.count, amount: r.currency ? { amount: r.amountMinor, currency: r.currency } : null })),
  };
}

export type KpiSnapshot = Awaited<ReturnType<typeof kpiSnapshot>>;
