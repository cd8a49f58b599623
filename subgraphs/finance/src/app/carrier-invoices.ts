import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import { domainError, newId, notFound, wireMoney, type Database, type UnitOfWork } from '@ipay/platform';
import type { ParsedInvoice } from '../adapters/carrier-invoice-csv.ts';
import { carrierInvoiceLines, carrierInvoices, shipmentProjections, type CarrierInvoiceLineRow, type CarrierInvoiceRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import {
  classifyLine,
  lineAmounts,
  refuseResolution,
  summarize,
  type ExpectedShipment,
  type ReconciliationSummary,
  type Resolution,
} from '../domain/reconciliation.ts';

type Db = Database<typeof schema>;
type Uow = UnitOfWork<typeof schema>;

const CHUNK = 1000;
const chunks = <T>(items: readonly T[]) => Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK));

export async function invoiceSummary(db: Db, invoiceId: string): Promise<ReconciliationSummary> {
  const lines = await db
    .select({
      classification: carrierInvoiceLines.classification,
      reason: carrierInvoiceLines.reason,
      resolution: carrierInvoiceLines.resolution,
      baseMinor: carrierInvoiceLines.baseMinor,
      surchargeMinor: carrierInvoiceLines.surchargeMinor,
      billedMinor: carrierInvoiceLines.billedMinor,
      expectedMinor: carrierInvoiceLines.expectedMinor,
    })
    .from(carrierInvoiceLines)
    .where(eq(carrierInvoiceLines.invoiceId, invoiceId));
  return summarize(lines);
}

/** The summary as events carry it (money on the wire). */
export function wireSummary(summary: ReconciliationSummary, currency: string) {
  return {
    lines: summary.lines,
    matched: summary.matched,
    mismatched: summary.mismatched,
    unmatched: summary.unmatched,
    unresolved: summary.unresolved,
    disputed: summary.disputed,
    by_reason: summary.byReason,
    billed: wireMoney(summary.billedMinor, currency),
    expected: wireMoney(summary.expectedMinor, currency),
    difference: wireMoney(summary.differenceMinor, currency),
    approved: wireMoney(summary.approvedMinor, currency),
    reconciled: summary.reconciled,
  };
}

/**
 * Imports one carrier invoice: every billed parcel is matched to its shipment (same carrier, same mode, by tracking
 * number) and classified against the cost engine's expected cost. Imports of one carrier are serialised (a
 * transaction-scoped advisory lock) so two invoices billing the same parcel cannot both miss the duplicate.
 */
export async function importCarrierInvoice(
  uow: Uow,
  input: { carrierCode: string; layout: string; livemode: boolean; invoice: ParsedInvoice; now?: Date },
): Promise<CarrierInvoiceRow> {
  const { carrierCode, livemode, invoice } = input;
  const now = input.now ?? new Date();
  await uow.tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`finance.carrier_invoice:${carrierCode}:${livemode}`}))`);
  const [existing] = await uow.tx
    .select({ id: carrierInvoices.id })
    .from(carrierInvoices)
    .where(and(eq(carrierInvoices.carrierCode, carrierCode), eq(carrierInvoices.invoiceNumber, invoice.invoiceNumber), eq(carrierInvoices.livemode, livemode)));
  if (existing) {
    throw domainError('CARRIER_INVOICE_ALREADY_IMPORTED', `invoice ${invoice.invoiceNumber} of ${carrierCode} was imported already`, {
      invoiceId: existing.id,
    });
  }

  const trackingNumbers = [...new Set(invoice.parcels.map((p) => p.trackingNumber))];
  const shipments = new Map<string, ExpectedShipment>();
  const billedBefore = new Set<string>();
  for (const batch of chunks(trackingNumbers)) {
    const rows = await uow.tx
      .select()
      .from(shipmentProjections)
      .where(
        and(eq(shipmentProjections.carrierCode, carrierCode), eq(shipmentProjections.livemode, livemode), inArray(shipmentProjections.trackingNumber, batch)),
      );
    for (const r of rows) {
      shipments.set(r.trackingNumber, {
        shipmentId: r.shipmentId,
        orderId: r.orderId,
        weightGrams: r.weightGrams,
        zone: r.zone,
        expectedMinor: r.expectedCostMinor,
        currency: r.expectedCurrency,
      });
    }
    const prior = await uow.tx
      .selectDistinct({ trackingNumber: carrierInvoiceLines.trackingNumber })
      .from(carrierInvoiceLines)
      .innerJoin(carrierInvoices, eq(carrierInvoices.id, carrierInvoiceLines.invoiceId))
      .where(and(eq(carrierInvoices.carrierCode, carrierCode), eq(carrierInvoices.livemode, livemode), inArray(carrierInvoiceLines.trackingNumber, batch)));
    for (const r of prior) billedBefore.add(r.trackingNumber);
  }

  const invoiceId = newId('cinv');
  const seen = new Set<string>();
  const lines = invoice.parcels.map((parcel) => {
    const shipment = shipments.get(parcel.trackingNumber) ?? null;
    const verdict = classifyLine(parcel, shipment, { earlierInFile: seen.has(parcel.trackingNumber), billedBefore: billedBefore.has(parcel.trackingNumber) });
    seen.add(parcel.trackingNumber);
    const amounts = lineAmounts(parcel);
    return {
      id: newId('cinl'),
      invoiceId,
      lineNumber: parcel.lineNumber,
      trackingNumber: parcel.trackingNumber,
      shipmentId: shipment?.shipmentId ?? null,
      orderId: shipment?.orderId ?? null,
      billedWeightGrams: parcel.weightGrams,
      billedZone: parcel.zone,
      billedService: parcel.service,
      ...amounts,
      expectedMinor: verdict.expectedMinor,
      classification: verdict.classification,
      reason: verdict.reason,
      charges: parcel.charges,
      resolution: null,
    };
  });
  const summary = summarize(lines);
  const [row] = await uow.tx
    .insert(carrierInvoices)
    .values({
      id: invoiceId,
      livemode,
      carrierCode,
      invoiceNumber: invoice.invoiceNumber,
      invoiceDate: invoice.invoiceDate,
      layout: input.layout,
      currency: invoice.currency,
      totalMinor: summary.billedMinor,
      status: summary.reconciled ? 'RECONCILED' : 'RECONCILING',
      importedAt: now,
      reconciledAt: summary.reconciled ? now : null,
    })
    .returning();
  for (const batch of chunks(lines)) await uow.tx.insert(carrierInvoiceLines).values(batch);
  const created = row!;
  const wire = wireSummary(summary, created.currency);
  uow.audit({
    action: 'carrier_invoice.import',
    entityType: 'CarrierInvoice',
    entityId: created.id,
    merchantId: null,
    after: {
      carrierCode,
      invoiceNumber: created.invoiceNumber,
      invoiceDate: created.invoiceDate,
      layout: created.layout,
      currency: created.currency,
      total: created.totalMinor,
      status: created.status,
      summary: wire,
    },
  });
  const base = { invoice_id: created.id, carrier: carrierCode, invoice_number: created.invoiceNumber };
  uow.emit({
    type: 'carrier_invoice.imported',
    subjectId: created.id,
    merchantId: null,
    livemode,
    carrierCode,
    payload: { ...base, invoice_date: created.invoiceDate, layout: created.layout, total: wireMoney(created.totalMinor, created.currency), summary: wire },
  });
  if (summary.reconciled)
    uow.emit({ type: 'carrier_invoice.reconciled', subjectId: created.id, merchantId: null, livemode, carrierCode, payload: { ...base, summary: wire } });
  return created;
}

/** Resolves a mismatched or unmatched line by hand; the invoice is RECONCILED once no line is left open. */
export async function resolveInvoiceLine(
  uow: Uow,
  input: { lineId: string; resolution: Resolution; note: string | null; livemode: boolean; resolvedBy: string; now?: Date },
): Promise<{ line: CarrierInvoiceLineRow; invoice: CarrierInvoiceRow }> {
  const now = input.now ?? new Date();
  const [found] = await uow.tx
    .select({ line: carrierInvoiceLines, invoice: carrierInvoices })
    .from(carrierInvoiceLines)
    .innerJoin(carrierInvoices, eq(carrierInvoices.id, carrierInvoiceLines.invoiceId))
    .where(and(eq(carrierInvoiceLines.id, input.lineId), eq(carrierInvoices.livemode, input.livemode)))
    .for('update');
  if (!found) throw notFound('CarrierInvoiceLine', input.lineId);
  const { line } = found;
  const refusal = refuseResolution(line, input.resolution);
  if (refusal === 'LINE_MATCHED') throw domainError('INVOICE_LINE_MATCHED', `line ${line.id} matched the expected cost; there is nothing to resolve`);
  if (refusal === 'LINE_ALREADY_RESOLVED') throw domainError('INVOICE_LINE_ALREADY_RESOLVED', `line ${line.id} was resolved as ${line.resolution} already`);
  if (refusal === 'NO_EXPECTED_AMOUNT')
    throw domainError('INVOICE_LINE_HAS_NO_EXPECTED_COST', `line ${line.id} has no expected cost to accept (${line.reason})`);
  const [updated] = await uow.tx
    .update(carrierInvoiceLines)
    .set({ resolution: input.resolution, resolutionNote: input.note, resolvedBy: input.resolvedBy, resolvedAt: now })
    .where(eq(carrierInvoiceLines.id, line.id))
    .returning();
  // Lock the invoice so two resolutions of its last open lines agree on who reconciles it.
  const [invoice] = await uow.tx.select().from(carrierInvoices).where(eq(carrierInvoices.id, line.invoiceId)).for('update');
  const summary = await invoiceSummary(uow.tx, line.invoiceId);
  let current = invoice!;
  if (summary.reconciled && current.status !== 'RECONCILED') {
    [current] = (await uow.tx
      .update(carrierInvoices)
      .set({ status: 'RECONCILED', reconciledAt: now })
      .where(eq(carrierInvoices.id, current.id))
      .returning()) as [CarrierInvoiceRow];
  }
  const approvedMinor = input.resolution === 'ACCEPT_CARRIER' ? line.billedMinor : input.resolution === 'ACCEPT_EXPECTED' ? (line.expectedMinor ?? 0) : 0;
  uow.audit({
    action: 'carrier_invoice_line.resolve',
    entityType: 'CarrierInvoiceLine',
    entityId: line.id,
    merchantId: null,
    before: { resolution: line.resolution, classification: line.classification, reason: line.reason, billed: line.billedMinor, expected: line.expectedMinor },
    after: { resolution: input.resolution, note: input.note, approved: approvedMinor, invoiceStatus: current.status },
  });
  const base = { invoice_id: current.id, carrier: current.carrierCode, invoice_number: current.invoiceNumber };
  uow.emit({
    type: 'carrier_invoice.line_resolved',
    subjectId: current.id,
    merchantId: null,
    livemode: current.livemode,
    carrierCode: current.carrierCode,
    payload: {
      ...base,
      line_id: line.id,
      tracking_number: line.trackingNumber,
      resolution: input.resolution,
      reason: line.reason,
      approved: wireMoney(approvedMinor, current.currency),
    },
  });
  if (current.status === 'RECONCILED' && invoice!.status !== 'RECONCILED') {
    uow.emit({
      type: 'carrier_invoice.reconciled',
      subjectId: current.id,
      merchantId: null,
      livemode: current.livemode,
      carrierCode: current.carrierCode,
      payload: { ...base, summary: wireSummary(summary, current.currency) },
    });
  }
  return { line: updated!, invoice: current };
}

/** Records a payment to the carrier against an invoice; never more than is open. */
export async function recordInvoicePayment(uow: Uow, input: { invoiceId: string; amountMinor: number; livemode: boolean }): Promise<CarrierInvoiceRow> {
  const [invoice] = await uow.tx
    .select()
    .from(carrierInvoices)
    .where(and(eq(carrierInvoices.id, input.invoiceId), eq(carrierInvoices.livemode, input.livemode)))
    .for('update');
  if (!invoice) throw notFound('CarrierInvoice', input.invoiceId);
  const open = invoice.totalMinor - invoice.paidMinor;
  if (input.amountMinor > open) {
    throw domainError(
      'PAYMENT_EXCEEDS_OPEN_AMOUNT',
      `invoice ${invoice.invoiceNumber} has ${open} minor units open; a payment of ${input.amountMinor} exceeds it`,
      { open },
    );
  }
  const [updated] = await uow.tx
    .update(carrierInvoices)
    .set({ paidMinor: invoice.paidMinor + input.amountMinor })
    .where(eq(carrierInvoices.id, invoice.id))
    .returning();
  const row = updated!;
  uow.audit({
    action: 'carrier_invoice.record_payment',
    entityType: 'CarrierInvoice',
    entityId: row.id,
    merchantId: null,
    before: { paid: invoice.paidMinor },
    after: { paid: row.paidMinor, amount: input.amountMinor },
  });
  uow.emit({
    type: 'carrier_invoice.paid',
    subjectId: row.id,
    merchantId: null,
    livemode: row.livemode,
    carrierCode: row.carrierCode,
    payload: {
      invoice_id: row.id,
      carrier: row.carrierCode,
      invoice_number: row.invoiceNumber,
      paid: wireMoney(input.amountMinor, row.currency),
      open: wireMoney(row.totalMinor - row.paidMinor, row.currency),
    },
  });
  return row;
}

export const linesOfInvoice = (db: Db, invoiceId: string) =>
  db.select().from(carrierInvoiceLines).where(eq(carrierInvoiceLines.invoiceId, invoiceId)).orderBy(asc(carrierInvoiceLines.lineNumber));

export const unreconciledInvoices = (db: Db, livemode: boolean) =>
  db
    .select()
    .from(carrierInvoices)
    .where(and(eq(carrierInvoices.livemode, livemode), ne(carrierInvoices.status, 'RECONCILED')));
