import type { SettlementResolvers } from '../generated/graphql.ts';

export const Settlement: SettlementResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.settlementById.load(ref.id),
  merchant: (settlement) => ({ id: settlement.merchantId }),
  gross: (s) => ({ amount: s.grossAmount, currency: s.currency }),
  fees: (s) => ({ amount: s.feeAmount, currency: s.currency }),
  net: (s) => ({ amount: s.netAmount, currency: s.currency }),
  lines: (settlement, _, { loaders }) => loaders.linesBySettlementId.load(settlement.id),
};
