import type { OrderResolvers } from '../generated/graphql.ts';

export const Order: OrderResolvers = {
  // Commerce owns orders; logistics contributes the order's shipment.
  __resolveReference: (ref) => ({ id: ref.id }),
  shipment: (order, _, { loaders }) => loaders.latestShipmentByOrderId.load(order.id),
};
