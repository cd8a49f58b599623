import { and, asc, eq, inArray } from 'drizzle-orm';
import { assertCurrency } from '@ipay/platform';
import { documentView, periodExport } from '../app/documents.ts';
import { issueDownload } from '../app/downloads.ts';
import { approvalThresholds, feeSchedules, settlementSettings } from '../db/schema.ts';
import { PLATFORM_MERCHANT } from '../domain/fees.ts';
import type { QueryResolvers } from '../generated/graphql.ts';

export const SettlementQuery: Pick<
  QueryResolvers,
  'feeSchedule' | 'settlementSettings' | 'approvalThresholds' | 'settlementPeriodExport' | 'settlementPeriodExportDownload'
> = {
  feeSchedule: async (_, { merchantId, currency }, { db, auth }) => {
    if (merchantId) auth.requireMerchant('settlements:read', merchantId);
    else auth.require('settlements:read');
    const owners = merchantId ? [merchantId, PLATFORM_MERCHANT] : [PLATFORM_MERCHANT];
    return db
      .select()
      .from(feeSchedules)
      .where(and(inArray(feeSchedules.merchantId, owners), currency ? eq(feeSchedules.currency, assertCurrency(currency)) : undefined))
      .orderBy(asc(feeSchedules.currency), asc(feeSchedules.merchantId), asc(feeSchedules.validFrom));
  },
  settlementSettings: async (_, { merchantId }, { db, auth }) => {
    auth.requireMerchant('settlements:read', merchantId);
    const [row] = await db.select().from(settlementSettings).where(eq(settlementSettings.merchantId, merchantId));
    return { merchantId, periodKind: row?.periodKind ?? 'MONTHLY' };
  },
  approvalThresholds: async (_, __, { db, auth }) => {
    auth.require('settlements:read');
    return db.select().from(approvalThresholds).orderBy(asc(approvalThresholds.currency));
  },
  settlementPeriodExport: async (_, { input }, { db, auth, services }) => {
    const scope = auth.require('settlements:read');
    if (input.merchantId) auth.requireMerchant('settlements:read', input.merchantId);
    return documentView(
      await periodExport(db, { from: input.from, to: input.to, format: input.format, merchantId: input.merchantId }, scope, auth.livemode, services.datev),
    );
  },
  settlementPeriodExportDownload: (_, { input }, { db, auth, services }) =>
    issueDownload(
      db,
      auth,
      { from: input.from.toISOString(), to: input.to.toISOString(), merchantId: input.merchantId ?? null, format: input.format },
      services.downloads,
    ),
};
