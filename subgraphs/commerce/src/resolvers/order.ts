import type { OrderResolvers } from '../generated/graphql.ts';

export const Order: OrderResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.orderById.load(ref.id),
  merchant: (order) => ({ id: order.merchantId }),
  total: (order) => ({ amount: order.totalAmount, currency: order.currency }),
  customer: (order) => ({ name: order.customerName, email: order.customerEmail }),
};
