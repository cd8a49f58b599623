import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import { decodeCursor, pageSize, toConnection } from '@ipay/platform';
import type { CarrierInvoiceLineView, CarrierInvoiceSummaryView } from '../app/reconciliation-views.ts';
import { carrierInvoiceLines } from '../db/schema.ts';
import { AGING_BUCKETS } from '../domain/aging.ts';
import { approvedMinor, summarize, type BilledCharge } from '../domain/reconciliation.ts';
import type {
  CarrierInvoiceLineResolvers,
  CarrierInvoiceResolvers,
  CarrierInvoiceSummaryResolvers,
  CarrierOpenItemResolvers,
  CarrierStatementResolvers,
  CarrierStatementDeliveryResolvers,
  CarrierContactsResolvers,
} from '../generated/graphql.ts';

const m = (amount: number, currency: string) => ({ amount, currency });

export const CarrierInvoice: CarrierInvoiceResolvers = {
  carrier: (i) => i.carrierCode,
  layout: (i) => i.layout as 'UPS_BILLING_DATA' | 'GENERIC',
  total: (i) => m(i.totalMinor, i.currency),
  paid: (i) => m(i.paidMinor, i.currency),
  open: (i) => m(i.totalMinor - i.paidMinor, i.currency),
  summary: async (i, _, { loaders }) => ({ ...summarize(await loaders.summaryLinesByInvoiceId.load(i.id)), currency: i.currency }),
  lines: async (i, { first, after, classification }, { db }) => {
    const size = pageSize(first);
    const afterLine = after ? Number(decodeCursor(after, 1)[0]) : 0;
    const rows = await db
      .select()
      .from(carrierInvoiceLines)
      .where(
        and(
          eq(carrierInvoiceLines.invoiceId, i.id),
          gt(carrierInvoiceLines.lineNumber, afterLine),
          classification?.length ? inArray(carrierInvoiceLines.classification, classification) : undefined,
        ),
      )
      .orderBy(asc(carrierInvoiceLines.lineNumber))
      .limit(size + 1);
    return toConnection(
      rows.map((r): CarrierInvoiceLineView => ({ ...r, currency: i.currency })),
      size,
      (r) => [String(r.lineNumber)],
    );
  },
};

export const CarrierInvoiceLine: CarrierInvoiceLineResolvers = {
  shipment: (l) => (l.shipmentId ? { __typename: 'Shipment', id: l.shipmentId } : null),
  order: (l) => (l.orderId ? { id: l.orderId } : null),
  base: (l) => m(l.baseMinor, l.currency),
  surcharges: (l) => m(l.surchargeMinor, l.currency),
  billed: (l) => m(l.billedMinor, l.currency),
  expected: (l) => (l.expectedMinor === null ? null : m(l.expectedMinor, l.currency)),
  difference: (l) => (l.expectedMinor === null ? null : m(l.billedMinor - l.expectedMinor, l.currency)),
  reason: (l) => l.reason as never,
  charges: (l) => (l.charges as BilledCharge[]).map((c) => ({ kind: c.kind, code: c.code, description: c.description, amount: m(c.amountMinor, l.currency) })),
  approved: (l) => m(approvedMinor(l), l.currency),
};

export const CarrierInvoiceSummary: CarrierInvoiceSummaryResolvers = {
  byReason: (s: CarrierInvoiceSummaryView) => Object.entries(s.byReason).map(([reason, count]) => ({ reason: reason as never, count })),
  billed: (s) => m(s.billedMinor, s.currency),
  expected: (s) => m(s.expectedMinor, s.currency),
  difference: (s) => m(s.differenceMinor, s.currency),
  approved: (s) => m(s.approvedMinor, s.currency),
  disputedAmount: (s) => m(s.disputedMinor, s.currency),
};

export const CarrierStatement: CarrierStatementResolvers = {
  carrier: (s) => s.carrierCode,
  asOf: (s) => s.report.asOf,
  items: (s) => s.report.items,
  totals: (s) =>
    s.report.totals.map((t) => ({
      currency: t.currency,
      buckets: AGING_BUCKETS.map((bucket) => ({ bucket, amount: m(t.buckets[bucket], t.currency) })),
      total: m(t.totalMinor, t.currency),
    })),
  contacts: (s) => s.contacts,
};

export const CarrierOpenItem: CarrierOpenItemResolvers = {
  invoice: async (item, _, { loaders }) => {
    const invoice = await loaders.carrierInvoiceById.load(item.invoiceId);
    if (!invoice) throw new Error(`invoice ${item.invoiceId} of an open item is missing`);
    return invoice;
  },
  open: (item) => m(item.openMinor, item.currency),
};

export const CarrierStatementDelivery: CarrierStatementDeliveryResolvers = {
  carrier: (d) => d.carrierCode,
};

export const CarrierContacts: CarrierContactsResolvers = {
  carrier: (c) => c.carrierCode,
};
