import { auditTrailRoot, badUserInput, deliveredEvent, notFound } from '@ipay/platform';
import { parsePaymentReference } from '../domain/reference.ts';
import type { QueryResolvers } from '../generated/graphql.ts';

export const Query: QueryResolvers = {
  paymentSession: async (_, { id }, { loaders }) => (await loaders.sessionById.load(id)) ?? Promise.reject(notFound('PaymentSession', id)),
  paymentSessionByReference: async (_, { reference }, { loaders }) => {
    const parsed = parsePaymentReference(reference);
    if (!parsed.ok) throw badUserInput('reference', parsed.reason);
    const row = await loaders.sessionByReference.load(parsed.reference);
    if (!row) throw notFound('PaymentSession', parsed.reference);
    return row;
  },
  auditTrail: auditTrailRoot,
  _event_paymentEvents: (_, { event }, { auth }) => deliveredEvent(auth, event),
};
