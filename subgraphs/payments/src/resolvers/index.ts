import { DateTime, JSONScalar, auditLogResolvers, auditTrailRoot, servedByGateway } from '@ipay/platform';
import { auditHead, auditLog } from '../db/schema.ts';
import type { Resolvers } from '../generated/graphql.ts';
import { Order } from './order.ts';
import { Mutation } from './mutation.ts';
import { PaymentHistoryEntry, PaymentSession, Refund } from './payment-session.ts';
import { Query } from './query.ts';

export const resolvers: Resolvers = {
  Query,
  Mutation,
  PaymentSession,
  PaymentHistoryEntry,
  Refund,
  Order,
  PaymentEvent: {
    paymentSession: (event, _, { loaders }) =>
      event.subjectType === 'PaymentSession'
        ? loaders.sessionById.load(event.subjectId)
        : event.orderId
          ? loaders.latestSessionByOrderId.load(event.orderId)
          : null,
    order: (event) => (event.orderId ? { id: event.orderId } : null),
  },
  Subscription: { paymentEvents: servedByGateway },
  AuditTrail: { payments: auditTrailRoot },
  AuditLog: auditLogResolvers({ auditLog, auditHead }),
  DateTime,
  JSON: JSONScalar,
};
