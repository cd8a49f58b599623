/**
 * Carrier invoice reconciliation: pure rules. A billed parcel is matched to the shipment with its tracking number and
 * compared with what the cost engine expected when the label was made (finance's projection of `shipment.created`).
 *
 * - MATCHED: same currency and billed total = expected total, to the minor unit.
 * - MISMATCH with the first reason that explains it, in this order:
 *   DUPLICATE (the parcel is billed twice: in this file, or on an invoice imported before), CURRENCY, ZONE (the
 *   carrier's zone differs from the engine's), WEIGHT_BAND (the billed weight falls in another started kilogram than
 *   the weight the engine priced: carriers bill per started kg), SURCHARGE (the carrier added surcharges and the base
 *   alone is within the expected total), RATE (the price differs and nothing above explains it).
 * - UNMATCHED: no shipment with that tracking number for this carrier (NO_SHIPMENT), or one without an expected cost
 *   (NO_EXPECTED_COST).
 */

export const LINE_CLASSES = ['MATCHED', 'MISMATCH', 'UNMATCHED'] as const;
export type LineClass = (typeof LINE_CLASSES)[number];
export const MISMATCH_REASONS = ['DUPLICATE', 'CURRENCY', 'ZONE', 'WEIGHT_BAND', 'SURCHARGE', 'RATE'] as const;
export const UNMATCHED_REASONS = ['NO_SHIPMENT', 'NO_EXPECTED_COST'] as const;
export type MismatchReason = (typeof MISMATCH_REASONS)[number];
export type UnmatchedReason = (typeof UNMATCHED_REASONS)[number];
export type LineReason = MismatchReason | UnmatchedReason;

export const RESOLUTIONS = ['ACCEPT_CARRIER', 'ACCEPT_EXPECTED', 'DISPUTE'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

/** A charge row of the carrier's file (freight, fuel, residential, …) in minor units. */
export interface BilledCharge {
  kind: 'BASE' | 'SURCHARGE';
  code: string;
  description: string;
  amountMinor: number;
}

/** One billed parcel, as a layout adapter reads it from the carrier's file. */
export interface BilledParcel {
  lineNumber: number;
  trackingNumber: string;
  weightGrams: number | null;
  zone: string | null;
  service: string | null;
  currency: string;
  charges: BilledCharge[];
}

/** What the cost engine expected for a shipment (from `shipment.created`). */
export interface ExpectedShipment {
  shipmentId: string;
  orderId: string;
  weightGrams: number | null;
  zone: string | null;
  expectedMinor: number | null;
  currency: string | null;
}

export interface LineAmounts {
  baseMinor: number;
  surchargeMinor: number;
  billedMinor: number;
}

export interface Classification {
  classification: LineClass;
  reason: LineReason | null;
  expectedMinor: number | null;
  /** billed − expected (positive: the carrier billed more); null when unmatched. */
  differenceMinor: number | null;
}

export function lineAmounts(parcel: Pick<BilledParcel, 'charges'>): LineAmounts {
  let baseMinor = 0;
  let surchargeMinor = 0;
  for (const c of parcel.charges) {
    if (c.kind === 'BASE') baseMinor += c.amountMinor;
    else surchargeMinor += c.amountMinor;
  }
  return { baseMinor, surchargeMinor, billedMinor: baseMinor + surchargeMinor };
}

/** Started kilograms: 1 g … 1000 g is 1 kg, 1001 g is 2 kg. */
export const startedKilograms = (grams: number) => Math.ceil(grams / 1000);

const normaliseZone = (zone: string) =>
  zone
    .trim()
    .replace(/^0+(?=\d)/, '')
    .toUpperCase();

export interface DuplicateFacts {
  /** An earlier line of the same file bills this tracking number. */
  earlierInFile: boolean;
  /** An invoice imported before (same carrier, same mode) billed it. */
  billedBefore: boolean;
}

export function classifyLine(parcel: BilledParcel, shipment: ExpectedShipment | null, duplicate: DuplicateFacts): Classification {
  const { baseMinor, billedMinor } = lineAmounts(parcel);
  if (!shipment) return { classification: 'UNMATCHED', reason: 'NO_SHIPMENT', expectedMinor: null, differenceMinor: null };
  if (duplicate.earlierInFile || duplicate.billedBefore) {
    // The parcel was already billed: nothing more is expected for it.
    return { classification: 'MISMATCH', reason: 'DUPLICATE', expectedMinor: 0, differenceMinor: billedMinor };
  }
  if (shipment.expectedMinor === null || shipment.currency === null) {
    return { classification: 'UNMATCHED', reason: 'NO_EXPECTED_COST', expectedMinor: null, differenceMinor: null };
  }
  const expected = shipment.expectedMinor;
  const mismatch = (reason: MismatchReason): Classification => ({
    classification: 'MISMATCH',
    reason,
    expectedMinor: expected,
    differenceMinor: billedMinor - expected,
  });
  if (shipment.currency !== parcel.currency) return mismatch('CURRENCY');
  if (billedMinor === expected) return { classification: 'MATCHED', reason: null, expectedMinor: expected, differenceMinor: 0 };
  if (parcel.zone !== null && shipment.zone !== null && normaliseZone(parcel.zone) !== normaliseZone(shipment.zone)) return mismatch('ZONE');
  if (parcel.weightGrams !== null && shipment.weightGrams !== null && startedKilograms(parcel.weightGrams) !== startedKilograms(shipment.weightGrams)) {
    return mismatch('WEIGHT_BAND');
  }
  if (billedMinor > expected && parcel.charges.some((c) => c.kind === 'SURCHARGE') && baseMinor <= expected) return mismatch('SURCHARGE');
  return mismatch('RATE');
}

export interface ReconciledLine extends LineAmounts {
  classification: LineClass;
  expectedMinor: number | null;
  resolution: Resolution | null;
}

/**
 * What IPAY owes for a line: a MATCHED line its billed amount; a resolved line what the resolution accepted (a
 * dispute holds the whole line back); an unresolved mismatch or unmatched line nothing yet (it is not approved).
 */
export function approvedMinor(line: ReconciledLine): number {
  if (line.classification === 'MATCHED') return line.billedMinor;
  switch (line.resolution) {
    case 'ACCEPT_CARRIER':
      return line.billedMinor;
    case 'ACCEPT_EXPECTED':
      return line.expectedMinor ?? 0;
    default:
      return 0;
  }
}

/** A line is settled for reconciliation when it matched or was accepted one way or the other (a dispute stays open). */
export const lineIsReconciled = (line: Pick<ReconciledLine, 'classification' | 'resolution'>) =>
  line.classification === 'MATCHED' || line.resolution === 'ACCEPT_CARRIER' || line.resolution === 'ACCEPT_EXPECTED';

export type ResolutionRefusal = 'LINE_MATCHED' | 'LINE_ALREADY_RESOLVED' | 'NO_EXPECTED_AMOUNT';

/**
 * Which resolutions a line takes: only mismatched or unmatched lines; an accepted line is final, a disputed one may
 * still be accepted either way; ACCEPT_EXPECTED needs an expected amount (an unmatched line has none).
 */
export function refuseResolution(
  line: Pick<ReconciledLine, 'classification' | 'resolution' | 'expectedMinor'>,
  resolution: Resolution,
): ResolutionRefusal | null {
  if (line.classification === 'MATCHED') return 'LINE_MATCHED';
  if (line.resolution === 'ACCEPT_CARRIER' || line.resolution === 'ACCEPT_EXPECTED') return 'LINE_ALREADY_RESOLVED';
  if (resolution === 'ACCEPT_EXPECTED' && line.expectedMinor === null) return 'NO_EXPECTED_AMOUNT';
  return null;
}

export interface ReconciliationSummary {
  lines: number;
  matched: number;
  mismatched: number;
  unmatched: number;
  unresolved: number;
  disputed: number;
  byReason: Record<string, number>;
  billedMinor: number;
  expectedMinor: number;
  /** Σ (billed − expected) over matched and mismatched lines. */
  differenceMinor: number;
  approvedMinor: number;
  disputedMinor: number;
  reconciled: boolean;
}

export function summarize(lines: readonly (ReconciledLine & { reason: string | null })[]): ReconciliationSummary {
  const s: ReconciliationSummary = {
    lines: lines.length,
    matched: 0,
    mismatched: 0,
    unmatched: 0,
    unresolved: 0,
    disputed: 0,
    byReason: {},
    billedMinor: 0,
    expectedMinor: 0,
    differenceMinor: 0,
    approvedMinor: 0,
    disputedMinor: 0,
    reconciled: true,
  };
  for (const line of lines) {
    if (line.classification === 'MATCHED') s.matched += 1;
    else if (line.classification === 'MISMATCH') s.mismatched += 1;
    else s.unmatched += 1;
    if (line.reason) s.byReason[line.reason] = (s.byReason[line.reason] ?? 0) + 1;
    s.billedMinor += line.billedMinor;
    if (line.expectedMinor !== null) {
      s.expectedMinor += line.expectedMinor;
      s.differenceMinor += line.billedMinor - line.expectedMinor;
    }
    s.approvedMinor += approvedMinor(line);
    if (line.resolution === 'DISPUTE') {
      s.disputed += 1;
      s.disputedMinor += line.billedMinor;
    }
    if (!lineIsReconciled(line)) {
      s.reconciled = false;
      if (line.resolution === null) s.unresolved += 1;
    }
  }
  return s;
}
