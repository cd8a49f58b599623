import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database, DomainEvent } from '@ipay/platform';
import { kpiCounters, kpiEvents } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { kpiIncrementOf, type KpiSnapshot } from '../domain/kpis.ts';

type Db = Database<typeof schema>;

/**
 * Counts one event, exactly once however often it is delivered (the event id is recorded in the same
 * transaction). Money is summed in minor units per currency.
 */
export async function countKpiEvent(db: Db, event: Pick<DomainEvent, 'id' | 'type' | 'merchantId' | 'livemode' | 'occurredAt' | 'payload'>): Promise<boolean> {
  const increment = kpiIncrementOf(event);
  if (!increment) return false;
  return db.transaction(async (tx) => {
    const [fresh] = await tx.insert(kpiEvents).values({ eventId: event.id }).onConflictDoNothing().returning();
    if (!fresh) return false;
    await tx
      .insert(kpiCounters)
      .values({ ...increment, count: 1 })
      .onConflictDoUpdate({
        target: [kpiCounters.merchantId, kpiCounters.livemode, kpiCounters.day, kpiCounters.metric, kpiCounters.currency],
        set: { count: sql`${kpiCounters.count} + 1`, amountMinor: sql`${kpiCounters.amountMinor} + ${increment.amountMinor}`, updatedAt: new Date() },
      });
    return true;
  });
}

export async function kpiSnapshot(db: Db, merchantId: string, livemode: boolean, day: string): Promise<KpiSnapshot> {
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
