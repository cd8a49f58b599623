import type { OrderResolvers } from '../generated/graphql.ts';

export const Order: OrderResolvers = {
  // Commerce owns orders; finance contributes the settlement an order was paid out in.
  __resolveReference: (ref) => ({ id: ref.id }),
  settlement: (order, _, { loaders }) => loaders.settlementByOrderId.load(order.id),
};
