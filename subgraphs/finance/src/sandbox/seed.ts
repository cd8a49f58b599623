import { SANDBOX_MERCHANTS, SANDBOX_ORDERS, SETTLED_STATUSES, money, sandboxId, sandboxSettlementId, type Database } from '@ipay/platform';
import { settlementLines, settlements } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { PLATFORM_DEFAULT_FEES } from '../domain/fees.ts';
import { collectionLine, settlementTotals } from '../domain/settlement.ts';

/**
 * Each sandbox merchant has one open settlement for November 2026 holding its released and delivered orders, priced
 * with the platform fee schedule (the migration seeds it), each line traced to the order's sandbox payment session.
 */
export async function seed(db: Database<typeof schema>): Promise<void> {
  const periodStart = new Date(Date.UTC(2026, 10, 1));
  const periodEnd = new Date(Date.UTC(2026, 11, 1));
  await db.transaction(async (tx) => {
    for (const merchant of SANDBOX_MERCHANTS) {
      const settled = SANDBOX_ORDERS.filter((o) => o.merchantId === merchant.id && SETTLED_STATUSES.includes(o.status));
      const fee = money(PLATFORM_DEFAULT_FEES[merchant.currency]!, merchant.currency);
      const lines = settled.map((o) => ({ order: o, ...collectionLine(money(o.amount, o.currency), fee) }));
      const totals = settlementTotals(lines, merchant.currency);
      const id = sandboxSettlementId(merchant.id);
      const inserted = await tx
        .insert(settlements)
        .values({
          id,
          merchantId: merchant.id,
          merchantSlug: merchant.slug,
          livemode: false,
          periodKind: 'MONTHLY',
          periodStart,
          periodEnd,
          status: 'OPEN',
          currency: merchant.currency,
          grossAmount: totals.gross.amount,
          feeAmount: totals.fee.amount,
          netAmount: totals.net.amount,
          lineCount: totals.lineCount,
          createdAt: periodStart,
        })
        .onConflictDoNothing()
        .returning({ id: settlements.id });
      if (inserted.length === 0) continue;
      await tx.insert(settlementLines).values(
        lines.map((l) => ({
          id: sandboxId('sli', l.order.id),
          settlementId: id,
          kind: 'COLLECTION' as const,
          orderId: l.order.id,
          paymentSessionId: sandboxId('pay', l.order.id),
          grossAmount: l.gross.amount,
          feeAmount: l.fee.amount,
          netAmount: l.net.amount,
          feeScheduleId: `fee_platform_${merchant.currency.toLowerCase()}`,
          occurredAt: l.order.createdAt,
        })),
      );
    }
  });
}
