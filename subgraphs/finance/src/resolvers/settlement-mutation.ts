import { addSettlementAdjustment, approveSettlement, closeSettlement, markSettlementPaid } from '../app/settlements.ts';
import { setApprovalThreshold, setFeeSchedule, setSettlementPeriod } from '../app/fees.ts';
import type { MutationResolvers } from '../generated/graphql.ts';

export const SettlementMutation: MutationResolvers = {
  setFeeSchedule: (_, { input }, ctx) => setFeeSchedule(ctx, input),
  setSettlementPeriod: (_, { merchantId, periodKind }, ctx) => setSettlementPeriod(ctx, merchantId, periodKind),
  setApprovalThreshold: (_, { currency, amount }, ctx) => setApprovalThreshold(ctx, currency, amount),
  closeSettlement: (_, { id }, ctx) => closeSettlement(ctx, id),
  approveSettlement: (_, { id }, ctx) => approveSettlement(ctx, id),
  markSettlementPaid: (_, { id, payoutReference }, ctx) => markSettlementPaid(ctx, id, payoutReference),
  addSettlementAdjustment: (_, { input }, ctx) => addSettlementAdjustment(ctx, input),
};
