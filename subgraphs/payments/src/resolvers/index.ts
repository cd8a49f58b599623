import { DateTime, JSONScalar, auditLogResolvers, auditTrailRoot } from '@ipay/platform';
import { auditHead, auditLog } from '../db/schema.ts';
import type { Resolvers } from '../generated/graphql.ts';
import { Order } from './order.ts';
import { PaymentSession } from './payment-session.ts';
import { Query } from './query.ts';

export const resolvers: Resolvers = {
  Query, PaymentSession, Order,
  AuditTrail: { payments: auditTrailRoot },
  AuditLog: auditLogResolvers({ auditLog, auditHead }),
  DateTime,
  JSON: JSONScalar,
};
