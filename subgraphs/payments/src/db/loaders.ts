import { and, asc, desc, inArray, sql } from 'drizzle-orm';
import { anyOf, groupLoader, preparedQuery, preparedScopeCondition, rowLoader, scopeCondition, type Authorization, type Database } from '@ipay/platform';
import { paymentEvents, paymentSessions, refunds, type PaymentEventRow, type PaymentSessionRow, type RefundRow } from './schema.ts';
import type * as schema from './schema.ts';

/** The SQL condition limiting payment sessions to what the caller may read, in its mode. */
export const readableSessions = (auth: Authorization) => scopeCondition(auth.require('payments:read'), auth.livemode, paymentSessions);

/** The same condition for a prepared query (its values are placeholders). */
const readableSessionsPrepared = (auth: Authorization) => preparedScopeCondition(auth.require('payments:read'), auth.livemode, paymentSessions);

export function createLoaders(db: Database<typeof schema>, auth: Authorization) {
  return {
    sessionById: rowLoader<string, PaymentSessionRow>(
      (ids) => {
        const scope = readableSessionsPrepared(auth);
        const query = preparedQuery(db, `payments.sessionById:${scope.shape}`, (name) =>
          db
            .select()
            .from(paymentSessions)
            .where(and(anyOf(paymentSessions.id, 'ids'), scope.condition))
            .prepare(name),
        );
        return query.execute({ ...scope.values, ids });
      },
      (row) => row.id,
    ),
    sessionByReference: rowLoader<string, PaymentSessionRow>(
      (references) =>
        db
          .select()
          .from(paymentSessions)
          .where(and(inArray(paymentSessions.reference, [...references]), readableSessions(auth))),
      (row) => row.reference,
    ),
    /** Each order's current session (the funds holder, else the newest), for many orders in one statement. */
    latestSessionByOrderId: rowLoader<string, PaymentSessionRow>(
      (orderIds) => {
        const scope = readableSessionsPrepared(auth);
        // Built once per scope kind (see preparedQuery): every order list resolves its payment sessions here.
        const query = preparedQuery(db, `payments.latestSessionByOrderId:${scope.shape}`, (name) =>
          db
            .selectDistinctOn([paymentSessions.orderId])
            .from(paymentSessions)
            .where(and(anyOf(paymentSessions.orderId, 'orderIds'), scope.condition))
            // The session holding the order's funds first (superseded sessions never do), else the newest.
            .orderBy(
              paymentSessions.orderId,
              desc(
                sql`(${paymentSessions.supersededAt} is null and ${paymentSessions.status} not in ('CREATED', 'REQUESTED', 'FAILED', 'EXPIRED', 'CANCELLED'))`,
              ),
              desc(paymentSessions.createdAt),
              desc(paymentSessions.id),
            )
            .prepare(name),
        );
        return query.execute({ ...scope.values, orderIds });
      },
      (row) => row.orderId,
    ),
    /** Every session of many orders, newest first, in one statement. */
    sessionsByOrderId: groupLoader<string, PaymentSessionRow>(
      (orderIds) =>
        db
          .select()
          .from(paymentSessions)
          .where(and(inArray(paymentSessions.orderId, [...orderIds]), readableSessions(auth)))
          .orderBy(desc(paymentSessions.createdAt), desc(paymentSessions.id)),
      (row) => row.orderId,
    ),
    /** History of sessions the caller already read (the session resolver checked the scope). */
    historyBySessionId: groupLoader<string, PaymentEventRow>(
      (sessionIds) =>
        db
          .select()
          .from(paymentEvents)
          .where(inArray(paymentEvents.sessionId, [...sessionIds]))
          .orderBy(asc(paymentEvents.recordedAt), asc(paymentEvents.id)),
      (row) => row.sessionId,
    ),
    refundsBySessionId: groupLoader<string, RefundRow>(
      (sessionIds) =>
        db
          .select()
          .from(refunds)
          .where(and(inArray(refunds.sessionId, [...sessionIds]), scopeCondition(auth.require('payments:read'), auth.livemode, refunds)))
          .orderBy(asc(refunds.createdAt), asc(refunds.id)),
      (row) => row.sessionId,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
