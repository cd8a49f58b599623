import { and, asc, desc, eq, getTableColumns, inArray } from 'drizzle-orm';
import { groupLoader, rowLoader, scopeCondition, type Authorization, type Database } from '@ipay/platform';
import {
  feeSchedules,
  quoteFees,
  settlementLines,
  settlements,
  type FeeScheduleRow,
  type QuoteFeeRow,
  type SettlementLineRow,
  type SettlementRow,
} from './schema.ts';
import type * as schema from './schema.ts';
import { createReconciliationLoaders } from './reconciliation-loaders.ts';

/** Settlements the caller may read, in its mode; lines are reached only through their settlement. */
export const readableSettlements = (auth: Authorization) => scopeCondition(auth.require('settlements:read'), auth.livemode, settlements);

export function createLoaders(db: Database<typeof schema>, auth: Authorization) {
  return {
    ...createReconciliationLoaders(db, auth),
    /** Quote engine: the IPAY fee finance priced for a commerce quote, readable like the merchant's orders. */
    quoteFeeByQuoteId: rowLoader<string, QuoteFeeRow>(
      (ids) =>
        db
          .select()
          .from(quoteFees)
          .where(and(inArray(quoteFees.quoteId, [...ids]), scopeCondition(auth.require('orders:read'), auth.livemode, quoteFees))),
      (row) => row.quoteId,
    ),
    feeScheduleEntryById: rowLoader<string, FeeScheduleRow>(
      (ids) =>
        db
          .select()
          .from(feeSchedules)
          .where(inArray(feeSchedules.id, [...ids])),
      (row) => row.id,
    ),
    settlementById: rowLoader<string, SettlementRow>(
      (ids) =>
        db
          .select()
          .from(settlements)
          .where(and(inArray(settlements.id, [...ids]), readableSettlements(auth))),
      (row) => row.id,
    ),
    /** The settlement each order's collection was paid out in, through its COLLECTION line, for many orders at once. */
    settlementByOrderId: rowLoader<string, SettlementRow & { orderId: string }>(
      async (orderIds) =>
        (
          await db
            .select({ ...getTableColumns(settlements), orderId: settlementLines.orderId })
            .from(settlementLines)
            .innerJoin(settlements, eq(settlements.id, settlementLines.settlementId))
            .where(and(inArray(settlementLines.orderId, [...orderIds]), eq(settlementLines.kind, 'COLLECTION'), readableSettlements(auth)))
        ).map((row) => ({ ...row, orderId: row.orderId! })),
      (row) => row.orderId,
    ),
    linesBySettlementId: groupLoader<string, SettlementLineRow>(
      (ids) =>
        db
          .select()
          .from(settlementLines)
          .where(inArray(settlementLines.settlementId, [...ids]))
          .orderBy(asc(settlementLines.occurredAt), asc(settlementLines.id)),
      (row) => row.settlementId,
    ),
    settlementsByMerchantId: groupLoader<string, SettlementRow>(
      (ids) =>
        db
          .select()
          .from(settlements)
          .where(and(inArray(settlements.merchantId, [...ids]), readableSettlements(auth)))
          .orderBy(desc(settlements.periodStart), asc(settlements.currency)),
      (row) => row.merchantId,
    ),
    feeScheduleById: rowLoader<string, FeeScheduleRow>(
      (ids) =>
        db
          .select()
          .from(feeSchedules)
          .where(inArray(feeSchedules.id, [...ids])),
      (row) => row.id,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
