import type { CarrierInvoiceLineRow, CarrierInvoiceRow } from '../db/schema.ts';
import type { AgingReport, OpenItem } from '../domain/aging.ts';
import type { ReconciliationSummary } from '../domain/reconciliation.ts';

/** What the reconciliation resolvers receive (the codegen mappers of the finance back-office types). */
export type CarrierInvoiceLineView = CarrierInvoiceLineRow & { currency: string };
export type CarrierInvoiceSummaryView = ReconciliationSummary & { currency: string };
export interface CarrierStatementView {
  carrierCode: string;
  livemode: boolean;
  report: AgingReport;
  contacts: string[];
}
export type CarrierOpenItemView = OpenItem;
export interface CarrierStatementDeliveryView {
  carrierCode: string;
  asOf: string;
  recipients: string[];
  messageId: string;
  attachment: { filename: string; size: number };
  statement: CarrierStatementView;
}
export interface CarrierContactsView {
  carrierCode: string;
  emails: string[];
}
export type { CarrierInvoiceRow };
