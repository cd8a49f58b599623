import { DateTime, JSONScalar, auditLogResolvers, auditTrailRoot, servedByGateway } from '@ipay/platform';
import { auditHead, auditLog } from '../db/schema.ts';
import type { Resolvers } from '../generated/graphql.ts';
import { Merchant } from './merchant.ts';
import { Order } from './order.ts';
import { Query } from './query.ts';
import { Settlement } from './settlement.ts';
import { SettlementLine } from './settlement-line.ts';
import { ApprovalThreshold, FeeScheduleEntry } from './fee-schedule.ts';
import { SettlementMutation } from './settlement-mutation.ts';
import { SettlementQuery } from './settlement-query.ts';
import {
  CarrierContacts,
  CarrierInvoice,
  CarrierInvoiceLine,
  CarrierInvoiceSummary,
  CarrierOpenItem,
  CarrierStatement,
  CarrierStatementDelivery,
} from './carrier-invoice.ts';
import { ControlResultEntry, ControlRun, SandboxMail } from './control-run.ts';
import { ReconciliationMutation } from './reconciliation-mutation.ts';
import { ReconciliationQuery } from './reconciliation-query.ts';
import { Quote, QuoteFee } from './quote.ts';

export const resolvers: Resolvers = {
  Query: { ...Query, ...SettlementQuery, ...ReconciliationQuery },
  Mutation: { ...SettlementMutation, ...ReconciliationMutation },
  FeeScheduleEntry,
  ApprovalThreshold,
  Settlement,
  SettlementLine,
  Order,
  Merchant,
  Subscription: { kpis: servedByGateway },
  AuditTrail: { finance: auditTrailRoot },
  AuditLog: auditLogResolvers({ auditLog, auditHead }),
  DateTime,
  JSON: JSONScalar,
  // Reconciliation / controls
  CarrierInvoice,
  CarrierInvoiceLine,
  CarrierInvoiceSummary,
  CarrierStatement,
  CarrierOpenItem,
  CarrierStatementDelivery,
  CarrierContacts,
  ControlRun,
  ControlResultEntry,
  SandboxMail,
  // Quote engine
  Quote,
  QuoteFee,
};
