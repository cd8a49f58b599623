import type { PaymentSessionResolvers } from '../generated/graphql.ts';

export const PaymentSession: PaymentSessionResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.sessionById.load(ref.id),
  order: (session) => ({ id: session.orderId }),
  amount: (session) => ({ amount: session.amount, currency: session.currency }),
};
