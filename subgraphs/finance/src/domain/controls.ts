/**
 * Internal controls: pure evaluations. Each takes the facts finance holds (projections of other domains' events and
 * its own tables) and returns PASS with no evidence, or FAIL with the rows that break it.
 */
export const CONTROLS = {
  RELEASED_PARCELS_FULLY_PAID: 'Every released parcel (release authorized or parcel handed over) belongs to a fully paid order.',
  PAID_ORDERS_SETTLED: 'Every fully paid order is in a settlement within N days of becoming paid.',
  SETTLEMENT_TOTALS_MATCH_LINES: "No settlement's totals differ from the sums of its lines.",
  CARRIER_INVOICES_RECONCILED: 'No carrier invoice is left unreconciled more than N days after its import.',
  REFUNDS_WITHIN_CAPTURE: 'No order has more refunded than was captured.',
  AUDIT_CHAINS_VERIFY: 'The audit hash chains of all five subgraphs verified recently.',
} as const;
export type ControlName = keyof typeof CONTROLS;
export const CONTROL_NAMES = Object.keys(CONTROLS) as ControlName[];

export type Evidence = Record<string, string | number | boolean | null>;

export interface ControlOutcome {
  control: ControlName;
  description: string;
  result: 'PASS' | 'FAIL';
  evidence: Evidence[];
}

export interface ControlParameters {
  /** A fully paid order must be settled within this many days. */
  settlementDays: number;
  /** A carrier invoice must be reconciled within this many days of its import. */
  reconciliationDays: number;
  /** An audit attestation older than this many hours no longer counts. */
  attestationMaxAgeHours: number;
}

export const DEFAULT_CONTROL_PARAMETERS: ControlParameters = { settlementDays: 7, reconciliationDays: 14, attestationMaxAgeHours: 48 };

const outcome = (control: ControlName, evidence: Evidence[]): ControlOutcome => ({
  control,
  description: CONTROLS[control],
  result: evidence.length ? 'FAIL' : 'PASS',
  evidence,
});

const DAY_MS = 86_400_000;
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export interface ReleaseFact {
  orderId: string;
  releaseId: string | null;
  eventType: string;
  releasedAt: Date;
  /** The order's payment state as finance holds it; null when finance never heard of one. */
  paymentState: string | null;
  fullyPaid: boolean | null;
}

export function releasedParcelsFullyPaid(facts: readonly ReleaseFact[]): ControlOutcome {
  return outcome(
    'RELEASED_PARCELS_FULLY_PAID',
    facts
      .filter((f) => f.fullyPaid !== true)
      .map((f) => ({
        order_id: f.orderId,
        release_id: f.releaseId,
        event: f.eventType,
        released_at: iso(f.releasedAt),
        payment_state: f.paymentState ?? 'UNKNOWN',
      })),
  );
}

export interface PaidOrderFact {
  orderId: string;
  merchantId: string | null;
  paidAt: Date;
  settlementId: string | null;
}

export function paidOrdersSettled(facts: readonly PaidOrderFact[], now: Date, params: Pick<ControlParameters, 'settlementDays'>): ControlOutcome {
  const deadline = now.getTime() - params.settlementDays * DAY_MS;
  return outcome(
    'PAID_ORDERS_SETTLED',
    facts
      .filter((f) => !f.settlementId && f.paidAt.getTime() <= deadline)
      .map((f) => ({
        order_id: f.orderId,
        merchant_id: f.merchantId,
        paid_at: iso(f.paidAt),
        days_unsettled: Math.floor((now.getTime() - f.paidAt.getTime()) / DAY_MS),
      })),
  );
}

export interface SettlementTotalsFact {
  settlementId: string;
  currency: string;
  gross: number;
  fee: number;
  net: number;
  linesGross: number;
  linesFee: number;
  linesNet: number;
}

export function settlementTotalsMatchLines(facts: readonly SettlementTotalsFact[]): ControlOutcome {
  return outcome(
    'SETTLEMENT_TOTALS_MATCH_LINES',
    facts
      .filter((f) => f.gross !== f.linesGross || f.fee !== f.linesFee || f.net !== f.linesNet)
      .map((f) => ({
        settlement_id: f.settlementId,
        currency: f.currency,
        gross: f.gross,
        lines_gross: f.linesGross,
        fee: f.fee,
        lines_fee: f.linesFee,
        net: f.net,
        lines_net: f.linesNet,
      })),
  );
}

export interface InvoiceFact {
  invoiceId: string;
  carrierCode: string;
  invoiceNumber: string;
  importedAt: Date;
  reconciled: boolean;
  unresolvedLines: number;
}

export function carrierInvoicesReconciled(facts: readonly InvoiceFact[], now: Date, params: Pick<ControlParameters, 'reconciliationDays'>): ControlOutcome {
  const deadline = now.getTime() - params.reconciliationDays * DAY_MS;
  return outcome(
    'CARRIER_INVOICES_RECONCILED',
    facts
      .filter((f) => !f.reconciled && f.importedAt.getTime() <= deadline)
      .map((f) => ({
        invoice_id: f.invoiceId,
        carrier: f.carrierCode,
        invoice_number: f.invoiceNumber,
        imported_at: iso(f.importedAt),
        open_lines: f.unresolvedLines,
        days_open: Math.floor((now.getTime() - f.importedAt.getTime()) / DAY_MS),
      })),
  );
}

export interface RefundFact {
  orderId: string;
  currency: string;
  /** Captured per the order's payment state (0 when finance holds no payment state). */
  capturedMinor: number;
  /** Σ refund.created amounts. */
  refundedByEventsMinor: number;
  /** Refunded per the order's payment state. */
  refundedByStateMinor: number;
}

export function refundsWithinCapture(facts: readonly RefundFact[]): ControlOutcome {
  return outcome(
    'REFUNDS_WITHIN_CAPTURE',
    facts
      .filter((f) => Math.max(f.refundedByEventsMinor, f.refundedByStateMinor) > f.capturedMinor)
      .map((f) => ({
        order_id: f.orderId,
        currency: f.currency,
        captured: f.capturedMinor,
        refunded_events: f.refundedByEventsMinor,
        refunded_state: f.refundedByStateMinor,
        excess: Math.max(f.refundedByEventsMinor, f.refundedByStateMinor) - f.capturedMinor,
      })),
  );
}

export interface AttestationFact {
  subgraph: string;
  valid: boolean;
  checkedRecords: number;
  brokenAtPosition: number | null;
  reason: string | null;
  verifiedAt: Date;
}

export function auditChainsVerify(
  subgraphs: readonly string[],
  attestations: readonly AttestationFact[],
  now: Date,
  params: Pick<ControlParameters, 'attestationMaxAgeHours'>,
): ControlOutcome {
  const bySubgraph = new Map(attestations.map((a) => [a.subgraph, a]));
  const oldest = now.getTime() - params.attestationMaxAgeHours * 3_600_000;
  const evidence: Evidence[] = [];
  for (const name of subgraphs) {
    const a = bySubgraph.get(name);
    if (!a) evidence.push({ subgraph: name, problem: 'NO_ATTESTATION', verified_at: null, broken_at_position: null, reason: null });
    else if (!a.valid)
      evidence.push({ subgraph: name, problem: 'CHAIN_BROKEN', verified_at: iso(a.verifiedAt), broken_at_position: a.brokenAtPosition, reason: a.reason });
    else if (a.verifiedAt.getTime() < oldest)
      evidence.push({ subgraph: name, problem: 'STALE_ATTESTATION', verified_at: iso(a.verifiedAt), broken_at_position: null, reason: null });
  }
  return outcome('AUDIT_CHAINS_VERIFY', evidence);
}

export const overallResult = (outcomes: readonly ControlOutcome[]): 'PASS' | 'FAIL' => (outcomes.some((o) => o.result === 'FAIL') ? 'FAIL' : 'PASS');

/** The scheduled run is due once per UTC day, at or after `hourUtc`. */
export function scheduledRunDue(now: Date, hourUtc: number, lastScheduledRunDate: string | null): string | null {
  const today = now.toISOString().slice(0, 10);
  if (now.getUTCHours() < hourUtc) return null;
  return lastScheduledRunDate === today ? null : today;
}
