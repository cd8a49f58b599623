import { pageSize, toConnection } from '@ipay/platform';
import type { MerchantResolvers } from '../generated/graphql.ts';
import { orderCursorKey } from './query.ts';

export const Merchant: MerchantResolvers = {
  // Identity owns merchants; commerce only knows the key and contributes the merchant's orders.
  __resolveReference: (ref) => ({ id: ref.id }),
  orders: async (merchant, { first, status }, { loaders }) => {
    const size = pageSize(first);
    // One row more than the page tells whether another page exists.
    const rows = await loaders.ordersOfMerchants(size + 1, status).load(merchant.id);
    return toConnection(rows, size, orderCursorKey);
  },
};
