import { DateTime, JSONScalar, auditLogResolvers, auditTrailRoot, servedByGateway } from '@ipay/platform';
import { auditHead, auditLog } from '../db/schema.ts';
import type { Resolvers } from '../generated/graphql.ts';
import { ApiKey, Role, RoleAssignment, User, Viewer } from './access.ts';
import { ConsumerOrder, consumerMutations, consumerQueries } from './consumer.ts';
import { localizationMutations, localizationQueries, MessageTemplate } from './localization.ts';
import { Merchant } from './merchant.ts';
import { Mutation } from './mutation.ts';
import { Query } from './query.ts';
import { WebhookAttempt, WebhookDelivery, WebhookEndpoint, webhookMutations, webhookQueries } from './webhooks.ts';

export const resolvers: Resolvers = {
  Query: { ...Query, ...webhookQueries, ...localizationQueries, ...consumerQueries },
  Mutation: { ...Mutation, ...webhookMutations, ...localizationMutations, ...consumerMutations },
  MessageTemplate,
  ConsumerOrder,
  WebhookEndpoint,
  WebhookDelivery,
  WebhookAttempt,
  Merchant,
  Viewer,
  Role,
  RoleAssignment,
  User,
  ApiKey,
  Subscription: { events: servedByGateway },
  AuditTrail: { identity: auditTrailRoot },
  AuditLog: auditLogResolvers({ auditLog, auditHead }),
  DateTime,
  JSON: JSONScalar,
};
