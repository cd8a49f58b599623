import type { SettlementLineResolvers } from '../generated/graphql.ts';
import type { Loaders } from '../db/loaders.ts';

export const SettlementLine: SettlementLineResolvers = {
  order: (line) => (line.orderId ? { id: line.orderId } : null),
  // A line's currency is its settlement's; lines are only ever read through their settlement.
  gross: async (line, _, { loaders }) => ({ amount: line.grossAmount, currency: await currencyOf(line.settlementId, loaders) }),
  fee: async (line, _, { loaders }) => ({ amount: line.feeAmount, currency: await currencyOf(line.settlementId, loaders) }),
  net: async (line, _, { loaders }) => ({ amount: line.netAmount, currency: await currencyOf(line.settlementId, loaders) }),
};

async function currencyOf(settlementId: string, loaders: Loaders) {
  const settlement = await loaders.settlementById.load(settlementId);
  if (!settlement) throw new Error(`settlement ${settlementId} of a line is missing`);
  return settlement.currency;
}
