import { desc, inArray } from 'drizzle-orm';
import { rowLoader, type Database } from '@ipay/platform';
import { paymentSessions, type PaymentSessionRow } from './db/schema.ts';
import type * as schema from './db/schema.ts';

export function createLoaders(db: Database<typeof schema>) {
  return {
    sessionById: rowLoader<string, PaymentSessionRow>(
      (ids) => db.select().from(paymentSessions).where(inArray(paymentSessions.id, [...ids])),
      (row) => row.id,
    ),
    /** Each order's newest session, for many orders in one statement. */
    latestSessionByOrderId: rowLoader<string, PaymentSessionRow>(
      (orderIds) =>
        db
          .selectDistinctOn([paymentSessions.orderId])
          .from(paymentSessions)
          .where(inArray(paymentSessions.orderId, [...orderIds]))
          .orderBy(paymentSessions.orderId, desc(paymentSessions.createdAt), desc(paymentSessions.id)),
      (row) => row.orderId,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
