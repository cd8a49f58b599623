import { desc, eq, getTableColumns, inArray } from 'drizzle-orm';
import { groupLoader, rowLoader, type Database } from '@ipay/platform';
import { settlementLines, settlements, type SettlementLineRow, type SettlementRow } from './db/schema.ts';
import type * as schema from './db/schema.ts';

export function createLoaders(db: Database<typeof schema>) {
  return {
    settlementById: rowLoader<string, SettlementRow>(
      (ids) => db.select().from(settlements).where(inArray(settlements.id, [...ids])),
      (row) => row.id,
    ),
    /** The settlement each order was paid out in, through its line, for many orders in one statement. */
    settlementByOrderId: rowLoader<string, SettlementRow & { orderId: string }>(
      (orderIds) =>
        db
          .select({ ...getTableColumns(settlements), orderId: settlementLines.orderId })
          .from(settlementLines)
          .innerJoin(settlements, eq(settlements.id, settlementLines.settlementId))
          .where(inArray(settlementLines.orderId, [...orderIds])),
      (row) => row.orderId,
    ),
    linesBySettlementId: groupLoader<string, SettlementLineRow>(
      (ids) => db.select().from(settlementLines).where(inArray(settlementLines.settlementId, [...ids])).orderBy(settlementLines.orderId),
      (row) => row.settlementId,
    ),
    settlementsByMerchantId: groupLoader<string, SettlementRow>(
      (ids) => db.select().from(settlements).where(inArray(settlements.merchantId, [...ids])).orderBy(desc(settlements.periodStart)),
      (row) => row.merchantId,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
