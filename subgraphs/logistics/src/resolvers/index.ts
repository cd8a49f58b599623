import { DateTime, JSONScalar, auditLogResolvers, auditTrailRoot } from '@ipay/platform';
import { auditHead, auditLog } from '../db/schema.ts';
import type { Resolvers } from '../generated/graphql.ts';
import { Order } from './order.ts';
import { Query } from './query.ts';
import { Shipment } from './shipment.ts';

export const resolvers: Resolvers = {
  Query, Shipment, Order,
  AuditTrail: { logistics: auditTrailRoot },
  AuditLog: auditLogResolvers({ auditLog, auditHead }),
  DateTime,
  JSON: JSONScalar,
};
