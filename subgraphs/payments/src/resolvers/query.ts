import { and, eq } from 'drizzle-orm';
import { auditTrailRoot, badUserInput, deliveredEvent, notFound } from '@ipay/platform';
import { readableSessions } from '../loaders.ts';
import { paymentSessions } from '../db/schema.ts';
import { parsePaymentReference } from '../domain/reference.ts';
import type { QueryResolvers } from '../generated/graphql.ts';

export const Query: QueryResolvers = {
  paymentSession: async (_, { id }, { loaders }) => (await loaders.sessionById.load(id)) ?? Promise.reject(notFound('PaymentSession', id)),
  paymentSessionByReference: async (_, { reference }, { db, auth }) => {
    const parsed = parsePaymentReference(reference);
    if (!parsed.ok) throw badUserInput('reference', parsed.reason);
    const [row] = await db.select().from(paymentSessions).where(and(eq(paymentSessions.reference, parsed.reference), readableSessions(auth)));
    if (!row) throw notFound('PaymentSession', parsed.reference);
    return row;
  },
  auditTrail: auditTrailRoot,
  _event_paymentEvents: (_, { event }, { auth }) => deliveredEvent(auth, event),
};
