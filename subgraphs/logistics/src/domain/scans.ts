/**
 * Carrier scans and the shipment status they add up to.
 *
 * Carriers deliver webhooks at least once and in no particular order, so the status is a fold over the set of scans,
 * not over their arrival: scans are de-duplicated by carrier event id, ordered by scan time (lifecycle order and event
 * id break ties), and applied through a forward-only state machine. Any permutation or repetition of the same scans
 * folds to the same result. DELIVERED and RETURNED_TO_SENDER are final; nothing moves a shipment back (a late
 * IN_TRANSIT after DELIVERED is recorded and ignored), except the one real loop: after a failed delivery attempt the
 * parcel goes back to the depot (IN_TRANSIT) or out again (OUT_FOR_DELIVERY).
 */

export const SCAN_TYPES = ['PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERY_ATTEMPT_FAILED', 'DELIVERED', 'RETURNED_TO_SENDER'] as const;
export type ScanType = (typeof SCAN_TYPES)[number];

/** The statuses of the shipments table (logistics.shipment_status). */
export const SHIPMENT_STATUSES = [
  'LABEL_CREATED',
  'PICKED_UP',
  'IN_TRANSIT',
  'OUT_FOR_DELIVERY',
  'DELIVERY_FAILED',
  'DELIVERED',
  'RETURNED_TO_SENDER',
] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

export interface CarrierScan {
  carrierCode: string;
  trackingNumber: string;
  /** Identifies the carrier event: the same event delivered twice carries the same id (unique per carrier). */
  carrierEventId: string;
  type: ScanType;
  occurredAt: Date;
  /** The carrier's own status code, kept for support and audits. */
  carrierStatusCode: string;
  description: string | null;
  location: string | null;
}

const STATUS_OF: Record<ScanType, ShipmentStatus> = {
  PICKED_UP: 'PICKED_UP',
  IN_TRANSIT: 'IN_TRANSIT',
  OUT_FOR_DELIVERY: 'OUT_FOR_DELIVERY',
  DELIVERY_ATTEMPT_FAILED: 'DELIVERY_FAILED',
  DELIVERED: 'DELIVERED',
  RETURNED_TO_SENDER: 'RETURNED_TO_SENDER',
};

export const statusOfScan = (type: ScanType): ShipmentStatus => STATUS_OF[type];

/** How far along the parcel is; OUT_FOR_DELIVERY and DELIVERY_FAILED are one stage (the delivery loop). */
const STAGE: Record<ShipmentStatus, number> = {
  LABEL_CREATED: 0,
  PICKED_UP: 1,
  IN_TRANSIT: 2,
  OUT_FOR_DELIVERY: 3,
  DELIVERY_FAILED: 3,
  DELIVERED: 4,
  RETURNED_TO_SENDER: 4,
};

export const isFinalStatus = (s: ShipmentStatus): boolean => s === 'DELIVERED' || s === 'RETURNED_TO_SENDER';

/** The status a scan moves `current` to, or why it does not. */
export function transition(current: ShipmentStatus, scan: ScanType): { to: ShipmentStatus } | { ignored: string } {
  const to = STATUS_OF[scan];
  if (isFinalStatus(current)) return { ignored: `shipment is already ${current}` };
  if (to === current) return { ignored: `shipment is already ${current}` };
  if (current === 'DELIVERY_FAILED' && to === 'IN_TRANSIT') return { to }; // back to the depot after a failed attempt
  if (STAGE[to] >= STAGE[current]) return { to };
  return { ignored: `${scan} would move the shipment back from ${current}` };
}

const LIFECYCLE_ORDER: Record<ScanType, number> = {
  PICKED_UP: 0,
  IN_TRANSIT: 1,
  OUT_FOR_DELIVERY: 2,
  DELIVERY_ATTEMPT_FAILED: 3,
  DELIVERED: 4,
  RETURNED_TO_SENDER: 5,
};

/** Total order on scans: scan time, then lifecycle order (same-second scans), then event id. */
export function compareScans(a: CarrierScan, b: CarrierScan): number {
  return (
    a.occurredAt.getTime() - b.occurredAt.getTime() ||
    LIFECYCLE_ORDER[a.type] - LIFECYCLE_ORDER[b.type] ||
    (a.carrierEventId < b.carrierEventId ? -1 : a.carrierEventId > b.carrierEventId ? 1 : 0)
  );
}

export const scanKey = (s: CarrierScan): string => `${s.carrierCode}\u0000${s.carrierEventId}`;

export interface StatusTransition {
  from: ShipmentStatus;
  to: ShipmentStatus;
  /** The scan that caused it. */
  scan: CarrierScan;
}

export interface ScanFold {
  status: ShipmentStatus;
  /** When the current status was reached (scan time); null while nothing has moved the shipment. */
  statusChangedAt: Date | null;
  lastScanAt: Date | null;
  /** Distinct scans in fold order. */
  scans: CarrierScan[];
  transitions: StatusTransition[];
  /** Scans that did not change the status, with why. */
  ignored: { scan: CarrierScan; reason: string }[];
}

function assertOneShipment(scans: readonly CarrierScan[]): void {
  const first = scans[0];
  for (const s of scans) {
    if (!(s.occurredAt instanceof Date) || Number.isNaN(s.occurredAt.getTime())) {
      throw new TypeError(`scan ${s.carrierEventId}: occurredAt is not a valid Date`);
    }
    if (!SCAN_TYPES.includes(s.type)) throw new TypeError(`scan ${s.carrierEventId}: unknown type ${String(s.type)}`);
    if (first && (s.carrierCode !== first.carrierCode || s.trackingNumber !== first.trackingNumber)) {
      throw new TypeError(
        `scans of different shipments folded together: ${first.carrierCode}/${first.trackingNumber} and ${s.carrierCode}/${s.trackingNumber}`,
      );
    }
  }
}

/**
 * Distinct scans by (carrier, event id). Should one id ever come with different content, the smallest in scan order
 * wins, so the choice does not depend on arrival order either.
 */
export function distinctScans(scans: readonly CarrierScan[]): CarrierScan[] {
  const byKey = new Map<string, CarrierScan>();
  for (const s of scans) {
    const seen = byKey.get(scanKey(s));
    if (!seen || compareScans(s, seen) < 0) byKey.set(scanKey(s), s);
  }
  return [...byKey.values()].sort(compareScans);
}

export function foldScans(scans: readonly CarrierScan[], initial: ShipmentStatus = 'LABEL_CREATED'): ScanFold {
  assertOneShipment(scans);
  const ordered = distinctScans(scans);
  let status = initial;
  let statusChangedAt: Date | null = null;
  const transitions: StatusTransition[] = [];
  const ignored: ScanFold['ignored'] = [];
  for (const scan of ordered) {
    const next = transition(status, scan.type);
    if ('ignored' in next) {
      ignored.push({ scan, reason: next.ignored });
      continue;
    }
    transitions.push({ from: status, to: next.to, scan });
    status = next.to;
    statusChangedAt = scan.occurredAt;
  }
  return { status, statusChangedAt, lastScanAt: ordered.at(-1)?.occurredAt ?? null, scans: ordered, transitions, ignored };
}

export const SHIPMENT_EVENT_TYPES = {
  PICKED_UP: 'carrier.picked_up',
  IN_TRANSIT: 'carrier.in_transit',
  OUT_FOR_DELIVERY: 'carrier.out_for_delivery',
  DELIVERY_FAILED: 'carrier.delivery_failed',
  DELIVERED: 'carrier.delivered',
  RETURNED_TO_SENDER: 'carrier.returned_to_sender',
} as const satisfies Record<Exclude<ShipmentStatus, 'LABEL_CREATED'>, string>;
export type ShipmentEventType = (typeof SHIPMENT_EVENT_TYPES)[keyof typeof SHIPMENT_EVENT_TYPES];

export interface ShipmentEvent {
  type: ShipmentEventType;
  carrierCode: string;
  trackingNumber: string;
  from: ShipmentStatus;
  to: ShipmentStatus;
  occurredAt: Date;
  carrierEventId: string;
  /** Stable per scan and transition: an outbox unique key makes a re-run of the same application harmless. */
  idempotencyKey: string;
}

export interface ScanApplication {
  /** The fold over the known scans and the incoming ones. */
  fold: ScanFold;
  previousStatus: ShipmentStatus;
  status: ShipmentStatus;
  statusChanged: boolean;
  /** Incoming scans not known before (by carrier event id), to store; each appears once. */
  newScans: CarrierScan[];
  /** Incoming scans that were already known or repeated within the batch. */
  duplicates: CarrierScan[];
  /** Transitions that the new scans added to the history; `late` when they slot in before already-known history. */
  newTransitions: (StatusTransition & { late: boolean })[];
  /** What to publish: one event per new transition, except late ones that do not decide the current status. */
  events: ShipmentEvent[];
}

const transitionKey = (t: StatusTransition): string => `${scanKey(t.scan)}\u0000${t.to}`;

export interface ApplyScansOptions {
  /** Status before any scan; LABEL_CREATED by default. */
  initial?: ShipmentStatus;
  /**
   * Idempotency keys of the shipment's events already published (the outbox). A late scan can rewrite history so
   * that a transition drops out of the fold and comes back with a later scan; its event is then not published again.
   */
  published?: ReadonlySet<string>;
}

/**
 * Applies incoming scans to the scans already stored for a shipment. The caller stores `newScans` (unique on carrier +
 * event id), sets the shipment status to `status`, and inserts `events` into an outbox unique on `idempotencyKey`, in
 * one transaction. The fold being a pure function of the scan set, a retried or concurrent delivery recomputes the
 * same outcome, and the idempotency keys make publishing it twice harmless.
 */
export function applyScans(known: readonly CarrierScan[], incoming: readonly CarrierScan[], options: ApplyScansOptions = {}): ScanApplication {
  const initial = options.initial ?? 'LABEL_CREATED';
  const before = foldScans(known, initial);
  const fold = foldScans([...known, ...incoming], initial);

  const knownKeys = new Set(before.scans.map(scanKey));
  const newScans: CarrierScan[] = [];
  const duplicates: CarrierScan[] = [];
  const batchKeys = new Set<string>();
  for (const s of incoming) {
    const key = scanKey(s);
    if (knownKeys.has(key) || batchKeys.has(key)) duplicates.push(s);
    else {
      batchKeys.add(key);
      newScans.push(fold.scans.find((f) => scanKey(f) === key)!);
    }
  }

  const knownTransitions = new Set(before.transitions.map(transitionKey));
  const lastKnown = before.transitions.at(-1)?.scan;
  const finalTransition = fold.transitions.at(-1);
  const statusChanged = fold.status !== before.status;
  const newTransitions = fold.transitions
    .filter((t) => !knownTransitions.has(transitionKey(t)))
    .map((t) => ({ ...t, late: lastKnown !== undefined && compareScans(t.scan, lastKnown) < 0 }));
  const decidesStatus = (t: StatusTransition): boolean => statusChanged && finalTransition !== undefined && transitionKey(t) === transitionKey(finalTransition);
  const events = newTransitions
    .filter((t) => !t.late || decidesStatus(t))
    .map(shipmentEvent)
    .filter((e) => !options.published?.has(e.idempotencyKey));

  return { fold, previousStatus: before.status, status: fold.status, statusChanged, newScans, duplicates, newTransitions, events };
}

function shipmentEvent(t: StatusTransition): ShipmentEvent {
  const type = SHIPMENT_EVENT_TYPES[t.to as Exclude<ShipmentStatus, 'LABEL_CREATED'>];
  return {
    type,
    carrierCode: t.scan.carrierCode,
    trackingNumber: t.scan.trackingNumber,
    from: t.from,
    to: t.to,
    occurredAt: t.scan.occurredAt,
    carrierEventId: t.scan.carrierEventId,
    idempotencyKey: `${t.scan.carrierCode}:${t.scan.trackingNumber}:${t.scan.carrierEventId}:${type}`,
  };
}

/** The journeys the sandbox scan simulator plays (the ScanScenario enum of the API; src/sandbox/scan-simulator.ts). */
export const SCENARIOS = ['HAPPY_PATH', 'FAILED_ATTEMPT_THEN_DELIVERED', 'RETURNED_TO_SENDER'] as const;
export type Scenario = (typeof SCENARIOS)[number];
