import { SANDBOX_MERCHANTS, SANDBOX_ORDERS, SETTLED_STATUSES, money, sandboxSettlementId, type Database } from '@ipay/platform';
import { settlementLines, settlements } from './db/schema.ts';
import type * as schema from './db/schema.ts';
import { settlementLine, settlementTotals } from './domain/settlement.ts';

/** Each sandbox merchant has one open settlement for November 2026 holding its released and delivered orders. */
export async function seed(db: Database<typeof schema>): Promise<void> {
  const periodStart = new Date(Date.UTC(2026, 10, 1));
  const periodEnd = new Date(Date.UTC(2026, 11, 1));
  await db.transaction(async (tx) => {
    for (const merchant of SANDBOX_MERCHANTS) {
      const settled = SANDBOX_ORDERS.filter((o) => o.merchantId === merchant.id && SETTLED_STATUSES.includes(o.status));
      const lines = settled.map((o) => ({ orderId: o.id, ...settlementLine(money(o.amount, o.currency)) }));
      const totals = settlementTotals(lines, merchant.currency);
      const id = sandboxSettlementId(merchant.id);
      const inserted = await tx
        .insert(settlements)
        .values({
          id,
          merchantId: merchant.id,
          livemode: false,
          periodStart,
          periodEnd,
          status: 'OPEN',
          currency: merchant.currency,
          grossAmount: totals.gross.amount,
          feeAmount: totals.fee.amount,
          netAmount: totals.net.amount,
          createdAt: periodStart,
        })
        .onConflictDoNothing()
        .returning({ id: settlements.id });
      if (inserted.length === 0) continue;
      await tx.insert(settlementLines).values(
        lines.map((l) => ({ settlementId: id, orderId: l.orderId, grossAmount: l.gross.amount, feeAmount: l.fee.amount, netAmount: l.net.amount })),
      );
    }
  });
}
