import { and, desc, eq, getTableColumns, inArray } from 'drizzle-orm';
import { groupLoader, rowLoader, scopeCondition, type Authorization, type Database } from '@ipay/platform';
import { settlementLines, settlements, type SettlementLineRow, type SettlementRow } from './db/schema.ts';
import type * as schema from './db/schema.ts';
import { createReconciliationLoaders } from './reconciliation-loaders.ts';

/** Settlements the caller may read, in its mode; lines are reached only through their settlement. */
export const readableSettlements = (auth: Authorization) => scopeCondition(auth.require('settlements:read'), auth.livemode, settlements);

export function createLoaders(db: Database<typeof schema>, auth: Authorization) {
  return {
    ...createReconciliationLoaders(db, auth),
    settlementById: rowLoader<string, SettlementRow>(
      (ids) => db.select().from(settlements).where(and(inArray(settlements.id, [...ids]), readableSettlements(auth))),
      (row) => row.id,
    ),
    /** The settlement each order was paid out in, through its line, for many orders in one statement. */
    settlementByOrderId: rowLoader<string, SettlementRow & { orderId: string }>(
      (orderIds) =>
        db
          .select({ ...getTableColumns(settlements), orderId: settlementLines.orderId })
          .from(settlementLines)
          .innerJoin(settlements, eq(settlements.id, settlementLines.settlementId))
          .where(and(inArray(settlementLines.orderId, [...orderIds]), readableSettlements(auth))),
      (row) => row.orderId,
    ),
    linesBySettlementId: groupLoader<string, SettlementLineRow>(
      (ids) => db.select().from(settlementLines).where(inArray(settlementLines.settlementId, [...ids])).orderBy(settlementLines.orderId),
      (row) => row.settlementId,
    ),
    settlementsByMerchantId: groupLoader<string, SettlementRow>(
      (ids) => db.select().from(settlements).where(and(inArray(settlements.merchantId, [...ids]), readableSettlements(auth))).orderBy(desc(settlements.periodStart)),
      (row) => row.merchantId,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
