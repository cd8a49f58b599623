import { eq } from 'drizzle-orm';
import { badUserInput } from '@ipay/platform';
import { paymentSessions } from '../db/schema.ts';
import { parsePaymentReference } from '../domain/reference.ts';
import type { QueryResolvers } from '../generated/graphql.ts';

export const Query: QueryResolvers = {
  paymentSession: (_, { id }, { loaders }) => loaders.sessionById.load(id),
  paymentSessionByReference: async (_, { reference }, { db }) => {
    const parsed = parsePaymentReference(reference);
    if (!parsed.ok) throw badUserInput('reference', parsed.reason);
    const [row] = await db.select().from(paymentSessions).where(eq(paymentSessions.reference, parsed.reference));
    return row ?? null;
  },
};
