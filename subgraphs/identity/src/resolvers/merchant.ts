import type { MerchantResolvers } from '../generated/graphql.ts';

export const Merchant: MerchantResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.merchantById.load(ref.id),
  crmSync: (merchant, _, { loaders }) => loaders.latestCrmSyncByMerchant.load(merchant.id),
};
