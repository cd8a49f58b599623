import type { OrderResolvers } from '../generated/graphql.ts';

export const Order: OrderResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.orderById.load(ref.id),
  merchant: (order) => ({ id: order.merchantId }),
  total: (order) => ({ amount: order.totalAmount, currency: order.currency }),
  customer: (order) => ({ name: order.customerName, email: order.customerEmail, phone: order.customerPhone }),
  lines: (order) => order.lines.map((line) => ({ ...line, currency: order.currency })),
  subtotal: (order) => ({ amount: order.subtotalAmount, currency: order.currency }),
  shippingCost: (order) => ({ amount: order.shippingAmount, currency: order.currency }),
  discount: (order) => ({ amount: order.discountAmount, currency: order.currency }),
  adjustment: (order) => ({ amount: order.adjustmentAmount, currency: order.currency }),
  returns: (order, _, { loaders }) => loaders.returnsByOrderId.load(order.id),
};

export const OrderLine = {
  unitAmount: (line: { unitAmount: number; currency: string }) => ({ amount: line.unitAmount, currency: line.currency }),
  total: (line: { unitAmount: number; quantity: number; currency: string }) => ({ amount: line.unitAmount * line.quantity, currency: line.currency }),
};
