import { outstandingAmount } from '../domain/state-machine.ts';
import type { PaymentHistoryEntryResolvers, PaymentSessionResolvers, RefundResolvers } from '../generated/graphql.ts';

export const PaymentSession: PaymentSessionResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.sessionById.load(ref.id),
  order: (session) => ({ id: session.orderId }),
  amount: (session) => ({ amount: session.amount, currency: session.currency }),
  nextAction: (session) => session.nextAction ?? null,
  authorizedAmount: (session) => ({ amount: session.authorizedAmount, currency: session.currency }),
  capturedAmount: (session) => ({ amount: session.capturedAmount, currency: session.currency }),
  outstandingAmount: (session) => ({ amount: outstandingAmount(session), currency: session.currency }),
  refundedAmount: (session) => ({ amount: session.refundedAmount, currency: session.currency }),
  history: (session, _, { loaders }) => loaders.historyBySessionId.load(session.id),
  refunds: (session, _, { loaders }) => loaders.refundsBySessionId.load(session.id),
};

export const PaymentHistoryEntry: PaymentHistoryEntryResolvers = {
  type: (entry) => entry.eventType,
  outcome: (entry) => entry.outcome.toUpperCase() as 'APPLIED' | 'RECORDED' | 'IGNORED',
  amount: (entry) => (entry.amount === null ? null : { amount: entry.amount, currency: entry.currency }),
};

export const Refund: RefundResolvers = {
  paymentSession: async (refund, _, { loaders }) => {
    const session = await loaders.sessionById.load(refund.sessionId);
    // Refunds are read through the same scope as their session, so this only fails on a broken row.
    if (!session) throw new Error(`refund ${refund.id} has no readable session ${refund.sessionId}`);
    return session;
  },
  amount: (refund) => ({ amount: refund.amount, currency: refund.currency }),
};
