import { DateTime, JSONScalar, auditLogResolvers, auditTrailRoot, servedByGateway } from '@ipay/platform';
import { auditHead, auditLog } from '../db/schema.ts';
import type { Resolvers } from '../generated/graphql.ts';
import { Merchant } from './merchant.ts';
import { Mutation } from './mutation.ts';
import { Order, OrderLine } from './order.ts';
import { Query } from './query.ts';
import { RetentionOffer, Return, ReturnReason } from './returns.ts';
import { AcceptQuotePayload, Quote, QuoteDelivery, QuoteMargin, QuoteSettings, QuoteTax, quoteMutations, quoteQueries } from './quotes.ts';

export const resolvers: Resolvers = {
  Query: { ...Query, ...quoteQueries },
  Mutation: { ...Mutation, ...quoteMutations },
  Quote,
  QuoteDelivery,
  QuoteMargin,
  QuoteTax,
  QuoteSettings,
  AcceptQuotePayload,
  Order,
  OrderLine,
  Return,
  ReturnReason,
  RetentionOffer,
  Merchant,
  ImportJob: { merchant: (job) => ({ id: job.merchantId }) },
  Integration: { merchant: (row) => ({ id: row.merchantId }) },
  OrderEvent: { order: (event, _, { loaders }) => (event.orderId ? loaders.orderById.load(event.orderId) : null) },
  Subscription: { orderEvents: servedByGateway },
  AuditTrail: { commerce: auditTrailRoot },
  AuditLog: auditLogResolvers({ auditLog, auditHead }),
  DateTime,
  JSON: JSONScalar,
};
