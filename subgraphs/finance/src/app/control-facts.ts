import { and, eq, getTableColumns, inArray, isNotNull, lte, ne, or, sql } from 'drizzle-orm';
import { SUBGRAPH_NAMES, type Database } from '@ipay/platform';
import {
  auditChainAttestations,
  carrierInvoiceLines,
  carrierInvoices,
  orderPaymentStates,
  refundProjections,
  releaseProjections,
  settlementLines,
  settlements,
} from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import type { AttestationFact, InvoiceFact, PaidOrderFact, RefundFact, ReleaseFact, SettlementTotalsFact } from '../domain/controls.ts';

type Db = Database<typeof schema>;
const DAY_MS = 86_400_000;

/**
 * The facts each control reads. SQL narrows to candidate rows (the control rule in src/domain/controls.ts decides).
 *
 * Settlement facts read the settlement tables through one narrow interface, `settlements(id, livemode, currency,
 * gross_amount, fee_amount, net_amount)` and `settlement_lines(settlement_id, order_id, gross_amount, fee_amount,
 * net_amount)`: the settlement engine owns these tables; only `settledOrders` and `settlementTotals` below touch them.
 */
export async function releaseFacts(db: Db, livemode: boolean): Promise<ReleaseFact[]> {
  const rows = await db
    .select({ release: getTableColumns(releaseProjections), state: orderPaymentStates.state, fullyPaid: orderPaymentStates.fullyPaid })
    .from(releaseProjections)
    .leftJoin(orderPaymentStates, eq(orderPaymentStates.orderId, releaseProjections.orderId))
    .where(and(eq(releaseProjections.livemode, livemode), sql`${orderPaymentStates.fullyPaid} is not true`));
  return rows.map((r) => ({
    orderId: r.release.orderId,
    releaseId: r.release.releaseId,
    eventType: r.release.type,
    releasedAt: r.release.occurredAt,
    paymentState: r.state,
    fullyPaid: r.fullyPaid,
  }));
}

/** Fully paid orders paid at least `days` ago, with the settlement that holds them (if any). */
export async function settledOrders(db: Db, livemode: boolean, now: Date, days: number): Promise<PaidOrderFact[]> {
  const rows = await db
    .select({
      orderId: orderPaymentStates.orderId,
      merchantId: orderPaymentStates.merchantId,
      paidAt: orderPaymentStates.paidAt,
      settlementId: settlementLines.settlementId,
    })
    .from(orderPaymentStates)
    // The order's collection line (refund and adjustment lines do not settle its collection).
    .leftJoin(settlementLines, and(eq(settlementLines.orderId, orderPaymentStates.orderId), eq(settlementLines.kind, 'COLLECTION')))
    .where(
      and(
        eq(orderPaymentStates.livemode, livemode),
        eq(orderPaymentStates.fullyPaid, true),
        isNotNull(orderPaymentStates.paidAt),
        lte(orderPaymentStates.paidAt, new Date(now.getTime() - days * DAY_MS)),
        sql`${settlementLines.settlementId} is null`,
      ),
    );
  return rows.map((r) => ({ orderId: r.orderId, merchantId: r.merchantId, paidAt: r.paidAt!, settlementId: r.settlementId }));
}

export async function settlementTotals(db: Db, livemode: boolean): Promise<SettlementTotalsFact[]> {
  const rows = await db
    .select({
      settlementId: settlements.id,
      currency: settlements.currency,
      gross: settlements.grossAmount,
      fee: settlements.feeAmount,
      net: settlements.netAmount,
      linesGross: sql<string>`coalesce(sum(${settlementLines.grossAmount}), 0)`,
      linesFee: sql<string>`coalesce(sum(${settlementLines.feeAmount}), 0)`,
      linesNet: sql<string>`coalesce(sum(${settlementLines.netAmount}), 0)`,
    })
    .from(settlements)
    .leftJoin(settlementLines, eq(settlementLines.settlementId, settlements.id))
    .where(eq(settlements.livemode, livemode))
    .groupBy(settlements.id);
  return rows.map((r) => ({ ...r, linesGross: Number(r.linesGross), linesFee: Number(r.linesFee), linesNet: Number(r.linesNet) }));
}

export async function invoiceFacts(db: Db, livemode: boolean): Promise<InvoiceFact[]> {
  const rows = await db
    .select({
      invoiceId: carrierInvoices.id,
      carrierCode: carrierInvoices.carrierCode,
      invoiceNumber: carrierInvoices.invoiceNumber,
      importedAt: carrierInvoices.importedAt,
      status: carrierInvoices.status,
      unresolved: sql<string>`count(${carrierInvoiceLines.id}) filter (where ${carrierInvoiceLines.classification} <> 'MATCHED' and (${carrierInvoiceLines.resolution} is null or ${carrierInvoiceLines.resolution} = 'DISPUTE'))`,
    })
    .from(carrierInvoices)
    .leftJoin(carrierInvoiceLines, eq(carrierInvoiceLines.invoiceId, carrierInvoices.id))
    .where(and(eq(carrierInvoices.livemode, livemode), ne(carrierInvoices.status, 'RECONCILED')))
    .groupBy(carrierInvoices.id);
  return rows.map((r) => ({
    invoiceId: r.invoiceId,
    carrierCode: r.carrierCode,
    invoiceNumber: r.invoiceNumber,
    importedAt: r.importedAt,
    reconciled: r.status === 'RECONCILED',
    unresolvedLines: Number(r.unresolved),
  }));
}

export async function refundFacts(db: Db, livemode: boolean): Promise<RefundFact[]> {
  const sums = await db
    .select({ orderId: refundProjections.orderId, currency: refundProjections.currency, refunded: sql<string>`sum(${refundProjections.amountMinor})` })
    .from(refundProjections)
    .where(eq(refundProjections.livemode, livemode))
    .groupBy(refundProjections.orderId, refundProjections.currency);
  const byOrder = new Map(sums.map((s) => [s.orderId, s]));
  const orderIds = [...byOrder.keys()];
  const states = await db
    .select()
    .from(orderPaymentStates)
    .where(
      and(
        eq(orderPaymentStates.livemode, livemode),
        or(sql`${orderPaymentStates.refundedMinor} > 0`, orderIds.length ? inArray(orderPaymentStates.orderId, orderIds) : sql`false`),
      ),
    );
  const facts = new Map<string, RefundFact>();
  for (const s of states) {
    facts.set(s.orderId, {
      orderId: s.orderId,
      currency: s.currency,
      capturedMinor: s.capturedMinor,
      refundedByStateMinor: s.refundedMinor,
      refundedByEventsMinor: Number(byOrder.get(s.orderId)?.refunded ?? 0),
    });
  }
  for (const [orderId, s] of byOrder) {
    if (!facts.has(orderId))
      facts.set(orderId, { orderId, currency: s.currency, capturedMinor: 0, refundedByStateMinor: 0, refundedByEventsMinor: Number(s.refunded) });
  }
  return [...facts.values()].sort((a, b) => a.orderId.localeCompare(b.orderId));
}

export async function attestationFacts(db: Db): Promise<{ subgraphs: readonly string[]; attestations: AttestationFact[] }> {
  const rows = await db.select().from(auditChainAttestations);
  return { subgraphs: SUBGRAPH_NAMES, attestations: rows };
}
