import { and, desc, inArray } from 'drizzle-orm';
import { rowLoader, scopeCondition, type Authorization, type Database } from '@ipay/platform';
import { paymentSessions, type PaymentSessionRow } from './db/schema.ts';
import type * as schema from './db/schema.ts';

/** The SQL condition limiting payment sessions to what the caller may read, in its mode. */
export const readableSessions = (auth: Authorization) => scopeCondition(auth.require('payments:read'), auth.livemode, paymentSessions);

export function createLoaders(db: Database<typeof schema>, auth: Authorization) {
  return {
    sessionById: rowLoader<string, PaymentSessionRow>(
      (ids) => db.select().from(paymentSessions).where(and(inArray(paymentSessions.id, [...ids]), readableSessions(auth))),
      (row) => row.id,
    ),
    /** Each order's newest session, for many orders in one statement. */
    latestSessionByOrderId: rowLoader<string, PaymentSessionRow>(
      (orderIds) =>
        db
          .selectDistinctOn([paymentSessions.orderId])
          .from(paymentSessions)
          .where(and(inArray(paymentSessions.orderId, [...orderIds]), readableSessions(auth)))
          .orderBy(paymentSessions.orderId, desc(paymentSessions.createdAt), desc(paymentSessions.id)),
      (row) => row.orderId,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
