import { DateTime, JSONScalar, auditLogResolvers, auditTrailRoot } from '@ipay/platform';
import { auditHead, auditLog } from '../db/schema.ts';
import type { Resolvers } from '../generated/graphql.ts';
import { Merchant } from './merchant.ts';
import { Order } from './order.ts';
import { Query } from './query.ts';

export const resolvers: Resolvers = {
  Query,
  Order,
  Merchant,
  AuditTrail: { commerce: auditTrailRoot },
  AuditLog: auditLogResolvers({ auditLog, auditHead }),
  DateTime,
  JSON: JSONScalar,
};
