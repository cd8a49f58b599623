import type { MerchantResolvers } from '../generated/graphql.ts';

export const Merchant: MerchantResolvers = {
  // Identity owns merchants; finance contributes their settlements.
  __resolveReference: (ref) => ({ id: ref.id }),
  settlements: (merchant, _, { loaders }) => loaders.settlementsByMerchantId.load(merchant.id),
};
