import type { ApprovalThresholdResolvers, FeeScheduleEntryResolvers } from '../generated/graphql.ts';

export const FeeScheduleEntry: FeeScheduleEntryResolvers = {
  merchantId: (entry) => entry.merchantId || null,
  feePerOrder: (entry) => ({ amount: entry.feeAmount, currency: entry.currency }),
};

export const ApprovalThreshold: ApprovalThresholdResolvers = {
  amount: (row) => ({ amount: row.amount, currency: row.currency }),
};
