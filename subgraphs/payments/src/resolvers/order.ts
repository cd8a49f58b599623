import type { OrderResolvers } from '../generated/graphql.ts';

export const Order: OrderResolvers = {
  // Commerce owns orders; payments contributes the order's payment sessions.
  __resolveReference: (ref) => ({ id: ref.id }),
  paymentSession: (order, _, { loaders }) => loaders.latestSessionByOrderId.load(order.id),
  paymentSessions: (order, _, { loaders }) => loaders.sessionsByOrderId.load(order.id),
};
