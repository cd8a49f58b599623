/**
 * The payment session lifecycle, modelled on what PSPs actually report.
 *
 *   CREATED ─REQUEST─▶ REQUESTED ─AUTHORIZE─▶ AUTHORIZED ─CAPTURE─▶ CONFIRMED ─REFUND─▶ PARTIALLY_REFUNDED ─REFUND─▶ REFUNDED
 *   CREATED / REQUESTED ─CAPTURE (automatic capture)─▶ CONFIRMED;  CONFIRMED ─REFUND (all of it)─▶ REFUNDED
 *   a CAPTURE of less than the session amount ─▶ PARTIALLY_CAPTURED (funds held, `outstandingAmount` still due; never
 *   CONFIRMED: a session is CONFIRMED only when captured = session amount) ─REFUND─▶ PARTIALLY_REFUNDED / REFUNDED
 *   CREATED / REQUESTED ─FAIL / EXPIRE / CANCEL─▶ FAILED / EXPIRED / CANCELLED;  AUTHORIZED ─EXPIRE / CANCEL─▶ EXPIRED / CANCELLED
 *   EXPIRED ─CAPTURE (a late capture the PSP still reports)─▶ CONFIRMED / PARTIALLY_CAPTURED
 *   (a notification may overtake the PSP's API answer, so CREATED accepts everything REQUESTED accepts)
 *
 * The transition function is pure: it takes a snapshot and one event and answers with the next snapshot plus the
 * history entry to store, or with a typed refusal. PSPs deliver notifications late, twice and out of order, so:
 * - a notification for a point the session has already passed is recorded as `ignored` and never moves it back;
 * - a notification whose id was processed before, or that restates the current state, is a no-op (`duplicate`);
 * - a notification that depends on one not seen yet (a REFUND before its CAPTURE) is refused as `retryable`, so the
 *   webhook answers with an error and the PSP redelivers it later;
 * - a notification that contradicts a closed session (money captured after CANCELLED) is refused with
 *   `requiresAttention`: someone has to reconcile it with the PSP.
 * Amounts are integer minor units of the session currency; refunded ≤ captured ≤ authorized ≤ session amount.
 */

export const PAYMENT_SESSION_STATUSES = [
  'CREATED',
  'REQUESTED',
  'AUTHORIZED',
  'PARTIALLY_CAPTURED',
  'CONFIRMED',
  'FAILED',
  'EXPIRED',
  'CANCELLED',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
] as const;
export type PaymentSessionStatus = (typeof PAYMENT_SESSION_STATUSES)[number];

/**
 * What can happen to a session. Failures of modifications (capture, cancel, refund) are their own events because
 * PSPs report them separately (Adyen CAPTURE_FAILED, REFUND_FAILED) and they leave the session where it was.
 * ATTEMPT_FAILED is a declined attempt the shopper may retry (Stripe: payment_intent.payment_failed puts the
 * PaymentIntent back to requires_payment_method); FAIL is final for the payment at the PSP.
 */
export const PAYMENT_EVENT_TYPES = [
  'REQUEST',
  'AUTHORIZE',
  'ATTEMPT_FAILED',
  'FAIL',
  'CAPTURE',
  'CAPTURE_FAILED',
  'CANCEL',
  'CANCEL_FAILED',
  'EXPIRE',
  'REFUND',
  'REFUND_FAILED',
] as const;
export type PaymentEventType = (typeof PAYMENT_EVENT_TYPES)[number];

/** Where an event comes from. PSP sources are facts to record; `api` and `system` are our own commands. */
export const PAYMENT_EVENT_SOURCES = ['psp-notification', 'psp-response', 'api', 'system'] as const;
export type PaymentEventSource = (typeof PAYMENT_EVENT_SOURCES)[number];

/**
 * EXPIRED is not terminal: we expire unpaid sessions ourselves (the sweep), and a PSP that had not closed the payment
 * yet may still report its capture. That money is real: the session takes it (and the order-level rules reverse it
 * unless the session may hold the order's funds). CANCELLED is what the PSP confirmed, so a capture after it stays a
 * contradiction for a human.
 */
export const TERMINAL_STATUSES: ReadonlySet<PaymentSessionStatus> = new Set(['FAILED', 'CANCELLED', 'REFUNDED']);

export function isTerminal(status: PaymentSessionStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/**
 * Position in the lifecycle: a session never moves to a lower rank. FAILED, EXPIRED and CANCELLED close the
 * pre-capture branch, so they rank above AUTHORIZED; being terminal, nothing follows them.
 */
export const LIFECYCLE_RANK: Readonly<Record<PaymentSessionStatus, number>> = {
  CREATED: 0,
  REQUESTED: 1,
  AUTHORIZED: 2,
  FAILED: 3,
  // Between AUTHORIZED and the captured states: a late capture may still follow (see TERMINAL_STATUSES).
  EXPIRED: 2.5,
  CANCELLED: 3,
  PARTIALLY_CAPTURED: 3,
  CONFIRMED: 3,
  PARTIALLY_REFUNDED: 4,
  REFUNDED: 5,
};

export type TransitionRule =
  /** Move to `to`. */
  | { kind: 'apply'; to: PaymentSessionStatus; reason: string }
  /** Move to CONFIRMED when the capture covers the session amount, else to PARTIALLY_CAPTURED. */
  | { kind: 'capture'; reason: string }
  /** Move to PARTIALLY_REFUNDED or REFUNDED depending on the refunded total; an already reflected total is stale. */
  | { kind: 'refund'; reason: string }
  /** The session is already where this event leads: no-op. */
  | { kind: 'duplicate'; reason: string }
  /** A fact worth keeping in the history that does not change the status (a failed capture, a declined attempt). */
  | { kind: 'record'; reason: string }
  /** The session is past the point this event describes: a late notification, recorded as ignored; a command is refused. */
  | { kind: 'stale'; reason: string }
  /**
   * Cannot happen from here. Commands are refused. A PSP fact is refused too, either `retry` (it arrived ahead of an
   * event it depends on, so the PSP should redeliver it) or `alert` (it contradicts a closed session).
   */
  | { kind: 'illegal'; reason: string; fromPsp: 'retry' | 'alert' };

const apply = (to: PaymentSessionStatus, reason: string): TransitionRule => ({ kind: 'apply', to, reason });
const duplicate = (reason: string): TransitionRule => ({ kind: 'duplicate', reason });
const record = (reason: string): TransitionRule => ({ kind: 'record', reason });
const stale = (reason: string): TransitionRule => ({ kind: 'stale', reason });
const illegal = (reason: string, fromPsp: 'retry' | 'alert'): TransitionRule => ({ kind: 'illegal', reason, fromPsp });
const refund: TransitionRule = { kind: 'refund', reason: 'refund of captured funds' };
const capture = (reason: string): TransitionRule => ({ kind: 'capture', reason });

/** Rows shared by the two states before the PSP has said anything final. */
function beforeAuthorization(self: 'CREATED' | 'REQUESTED'): Record<PaymentEventType, TransitionRule> {
  return {
    REQUEST: self === 'CREATED' ? apply('REQUESTED', 'payment created at the PSP') : duplicate('payment already created at the PSP'),
    // A notification can overtake the PSP's own API response, so CREATED accepts what REQUESTED accepts.
    AUTHORIZE: apply('AUTHORIZED', 'funds authorized'),
    ATTEMPT_FAILED: record('attempt declined; the shopper may try again'),
    FAIL: apply('FAILED', 'payment refused'),
    CAPTURE: capture('funds captured (automatic capture implies the authorization)'),
    CAPTURE_FAILED: record('capture failed; nothing was authorized yet here'),
    CANCEL: apply('CANCELLED', 'cancelled before authorization'),
    CANCEL_FAILED: record('cancellation failed'),
    EXPIRE: apply('EXPIRED', 'shopper did not pay in time'),
    REFUND: illegal('a refund needs captured funds; its CAPTURE has not been seen yet', 'retry'),
    REFUND_FAILED: record('refund failed'),
  };
}

function closedBeforeCapture(self: 'FAILED' | 'EXPIRED' | 'CANCELLED'): Record<PaymentEventType, TransitionRule> {
  const closed = `session is ${self}`;
  return {
    REQUEST: stale(`${closed}; the payment request is history`),
    AUTHORIZE: stale(`${closed}; an authorization on a closed session lapses at the PSP`),
    ATTEMPT_FAILED: stale(`${closed}; a declined attempt changes nothing`),
    FAIL: self === 'FAILED' ? duplicate('already failed') : stale(`${closed}; a refusal changes nothing`),
    CAPTURE:
      self === 'EXPIRED'
        ? capture('captured after the session expired: the PSP had not closed the payment yet')
        : illegal(`${closed} but the PSP reports captured funds: refund or reconcile them`, 'alert'),
    CAPTURE_FAILED: stale(`${closed}; a failed capture changes nothing`),
    CANCEL: self === 'CANCELLED' ? duplicate('already cancelled') : stale(`${closed}; nothing left to cancel`),
    CANCEL_FAILED: record('cancellation failed'),
    EXPIRE: self === 'EXPIRED' ? duplicate('already expired') : stale(`${closed}; nothing left to expire`),
    REFUND: illegal(`${closed}: nothing was captured, so nothing can be refunded`, 'alert'),
    REFUND_FAILED: record('refund failed'),
  };
}

function afterCapture(self: 'PARTIALLY_CAPTURED' | 'CONFIRMED' | 'PARTIALLY_REFUNDED' | 'REFUNDED'): Record<PaymentEventType, TransitionRule> {
  const past = `session is ${self}`;
  return {
    REQUEST: stale(`${past}; the payment request is history`),
    AUTHORIZE: stale(`${past}; the authorization was superseded by the capture`),
    ATTEMPT_FAILED: stale(`${past}; a declined attempt changes nothing`),
    FAIL: stale(`${past}; funds were captured, a refusal changes nothing`),
    // One capture per session: a restatement of it is a duplicate, a capture of another amount needs a human.
    CAPTURE: self === 'CONFIRMED' || self === 'PARTIALLY_CAPTURED' ? duplicate('already captured') : stale(`${past}; the capture is already reflected`),
    CAPTURE_FAILED: stale(`${past}; a later capture succeeded`),
    CANCEL: illegal(`${past}: captured funds are refunded, not cancelled`, 'alert'),
    CANCEL_FAILED: record('cancellation failed (funds were captured)'),
    EXPIRE: stale(`${past}; captured payments do not expire`),
    REFUND: refund,
    REFUND_FAILED: record('refund failed; the refunded amount is unchanged'),
  };
}

/** Every (status, event) pair and what it does. Exported so tests can enumerate the whole table. */
export const TRANSITIONS: Readonly<Record<PaymentSessionStatus, Readonly<Record<PaymentEventType, TransitionRule>>>> = {
  CREATED: beforeAuthorization('CREATED'),
  REQUESTED: beforeAuthorization('REQUESTED'),
  AUTHORIZED: {
    REQUEST: stale('session is AUTHORIZED; the payment request is history'),
    AUTHORIZE: duplicate('already authorized'),
    ATTEMPT_FAILED: stale('session is AUTHORIZED; an earlier declined attempt changes nothing'),
    FAIL: stale('session is AUTHORIZED; a refusal for an earlier attempt changes nothing'),
    CAPTURE: capture('authorized funds captured'),
    CAPTURE_FAILED: record('capture failed; the authorization stands'),
    CANCEL: apply('CANCELLED', 'authorization cancelled before capture'),
    CANCEL_FAILED: record('cancellation failed; the authorization stands'),
    EXPIRE: apply('EXPIRED', 'authorization expired before capture'),
    REFUND: illegal('a refund needs captured funds; its CAPTURE has not been seen yet', 'retry'),
    REFUND_FAILED: record('refund failed'),
  },
  PARTIALLY_CAPTURED: afterCapture('PARTIALLY_CAPTURED'),
  CONFIRMED: afterCapture('CONFIRMED'),
  PARTIALLY_REFUNDED: afterCapture('PARTIALLY_REFUNDED'),
  REFUNDED: afterCapture('REFUNDED'),
  FAILED: closedBeforeCapture('FAILED'),
  EXPIRED: closedBeforeCapture('EXPIRED'),
  CANCELLED: closedBeforeCapture('CANCELLED'),
};

/** The statuses each status can lead to through any sequence of events (derived from the table). */
export const REACHABLE: Readonly<Record<PaymentSessionStatus, ReadonlySet<PaymentSessionStatus>>> = (() => {
  const direct = (from: PaymentSessionStatus): PaymentSessionStatus[] =>
    Object.values(TRANSITIONS[from]).flatMap((rule) =>
      // More refunds keep PARTIALLY_REFUNDED where it is, and nothing refunds beyond REFUNDED.
      rule.kind === 'apply'
        ? [rule.to]
        : rule.kind === 'capture'
          ? (['PARTIALLY_CAPTURED', 'CONFIRMED'] as const)
          : rule.kind === 'refund'
            ? (['PARTIALLY_REFUNDED', 'REFUNDED'] as const).filter((s) => LIFECYCLE_RANK[s] > LIFECYCLE_RANK[from])
            : [],
    );
  const result = {} as Record<PaymentSessionStatus, Set<PaymentSessionStatus>>;
  for (const start of PAYMENT_SESSION_STATUSES) {
    const seen = new Set<PaymentSessionStatus>();
    const queue = direct(start);
    while (queue.length > 0) {
      const next = queue.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...direct(next));
    }
    result[start] = seen;
  }
  return result;
})();

/** What the payments subgraph keeps per session (maps onto payment_sessions plus the columns this needs). */
export interface PaymentSessionSnapshot {
  readonly id: string;
  /** IPAY reference; PSPs echo it back as the merchant reference. */
  readonly reference: string;
  readonly status: PaymentSessionStatus;
  /** Session amount in integer minor units of `currency`. */
  readonly amount: number;
  readonly currency: string;
  /** The PSP's id of the payment (Adyen pspReference, Stripe PaymentIntent id, Mollie tr_ id); null until known. */
  readonly pspReference: string | null;
  readonly authorizedAmount: number;
  readonly capturedAmount: number;
  readonly refundedAmount: number;
  /** Ids of events already taken into account (load them from the history table); used to drop redeliveries. */
  readonly processedEventIds: readonly string[];
  /** Incremented on every stored change, for optimistic locking (`UPDATE ... WHERE version = $old`). */
  readonly version: number;
  readonly updatedAt: Date;
}

export interface PaymentEvent {
  readonly type: PaymentEventType;
  readonly source: PaymentEventSource;
  /** The PSP's event id for deduplication (or the command's idempotency key); null when there is none. */
  readonly eventId: string | null;
  /** The PSP's payment id the event is about. */
  readonly pspReference?: string | null;
  /** The PSP's own status or event code (e.g. AUTHORISATION, payment_intent.succeeded, paid), kept for support. */
  readonly pspStatusCode?: string | null;
  /** When it happened at the PSP (not when we received it). */
  readonly occurredAt: Date;
  /** Where the raw payload is stored (e.g. the id of the stored webhook body). */
  readonly rawPayloadRef?: string | null;
  /** Minor units: the authorized amount (AUTHORIZE), captured amount (CAPTURE) or this refund's amount (REFUND). */
  readonly amount?: number | null;
  /** For PSPs that report the cumulative refunded amount instead of each refund (Stripe charge.refunded, Mollie). */
  readonly refundedTotal?: number | null;
  readonly currency?: string | null;
}

export type HistoryOutcome = 'applied' | 'recorded' | 'ignored';

/** One row of the session's event history. */
export interface HistoryEntry {
  readonly sessionId: string;
  readonly eventId: string | null;
  readonly eventType: PaymentEventType;
  readonly source: PaymentEventSource;
  readonly pspReference: string | null;
  readonly pspStatusCode: string | null;
  readonly occurredAt: Date;
  readonly recordedAt: Date;
  readonly rawPayloadRef: string | null;
  readonly outcome: HistoryOutcome;
  readonly fromStatus: PaymentSessionStatus;
  readonly toStatus: PaymentSessionStatus;
  readonly reason: string;
  readonly amount: number | null;
  readonly refundedTotal: number | null;
  readonly currency: string;
  /** Amounts after the event. */
  readonly authorizedAmount: number;
  readonly capturedAmount: number;
  readonly refundedAmount: number;
}

export type RefusalCode =
  | 'ILLEGAL_TRANSITION'
  | 'INVALID_EVENT'
  | 'CURRENCY_MISMATCH'
  | 'PSP_REFERENCE_MISMATCH'
  | 'AMOUNT_EXCEEDS_SESSION'
  | 'AMOUNT_MISMATCH'
  | 'CAPTURE_EXCEEDS_AUTHORIZED'
  | 'REFUND_EXCEEDS_CAPTURED';

export interface TransitionRefusal {
  readonly code: RefusalCode;
  readonly reason: string;
  readonly from: PaymentSessionStatus;
  readonly eventType: PaymentEventType | string;
  readonly source: PaymentEventSource | string;
  /** A PSP fact that arrived before what it depends on: answer the webhook with an error so the PSP redelivers it. */
  readonly retryable: boolean;
  /** A PSP fact that contradicts what we know (money moved on a closed session): store it and alert a human. */
  readonly requiresAttention: boolean;
}

export type TransitionResult =
  | { readonly ok: true; readonly outcome: HistoryOutcome; readonly snapshot: PaymentSessionSnapshot; readonly entry: HistoryEntry }
  | { readonly ok: true; readonly outcome: 'duplicate'; readonly snapshot: PaymentSessionSnapshot; readonly entry: null; readonly reason: string }
  | { readonly ok: false; readonly refusal: TransitionRefusal };

/** The largest amount a session can hold (GraphQL Int, the same bound as @ipay/platform's MAX_MINOR_UNITS). */
const MAX_AMOUNT = 2_147_483_647;

function isPspSource(source: PaymentEventSource): boolean {
  return source === 'psp-notification' || source === 'psp-response';
}

function isMinorUnits(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_AMOUNT;
}

/** A snapshot that breaks the amount invariants means corrupt data or a bug; that is an exception, not a refusal. */
export function assertSnapshot(snapshot: PaymentSessionSnapshot): void {
  const problems: string[] = [];
  if (!PAYMENT_SESSION_STATUSES.includes(snapshot.status)) problems.push(`unknown status ${String(snapshot.status)}`);
  for (const field of ['amount', 'authorizedAmount', 'capturedAmount', 'refundedAmount'] as const) {
    if (!isMinorUnits(snapshot[field])) problems.push(`${field} must be integer minor units, got ${String(snapshot[field])}`);
  }
  if (snapshot.amount <= 0) problems.push('amount must be positive');
  if (snapshot.refundedAmount > snapshot.capturedAmount) problems.push('refundedAmount exceeds capturedAmount');
  if (snapshot.capturedAmount > snapshot.authorizedAmount) problems.push('capturedAmount exceeds authorizedAmount');
  if (snapshot.authorizedAmount > snapshot.amount) problems.push('authorizedAmount exceeds the session amount');
  if (!/^[A-Z]{3}$/.test(snapshot.currency)) problems.push(`currency ${snapshot.currency} is not an ISO 4217 code`);
  if (problems.length > 0) throw new Error(`invalid payment session snapshot ${snapshot.id}: ${problems.join('; ')}`);
}

function refuse(
  snapshot: PaymentSessionSnapshot,
  event: Pick<PaymentEvent, 'type' | 'source'>,
  code: RefusalCode,
  reason: string,
  flags: { retryable?: boolean; requiresAttention?: boolean } = {},
): TransitionResult {
  return {
    ok: false,
    refusal: {
      code,
      reason,
      from: snapshot.status,
      eventType: event.type,
      source: event.source,
      retryable: flags.retryable ?? false,
      requiresAttention: flags.requiresAttention ?? false,
    },
  };
}

/** Refusal for a PSP fact that is consistent in itself but not with the session: a human has to look. */
function anomaly(snapshot: PaymentSessionSnapshot, event: PaymentEvent, code: RefusalCode, reason: string): TransitionResult {
  return refuse(snapshot, event, code, reason, { requiresAttention: isPspSource(event.source) });
}

function validateEvent(snapshot: PaymentSessionSnapshot, event: PaymentEvent): TransitionResult | null {
  const invalid = (reason: string) => refuse(snapshot, event, 'INVALID_EVENT', reason);
  if (!PAYMENT_EVENT_TYPES.includes(event.type)) return invalid(`unknown event type ${String(event.type)}`);
  if (!PAYMENT_EVENT_SOURCES.includes(event.source)) return invalid(`unknown event source ${String(event.source)}`);
  if (!(event.occurredAt instanceof Date) || Number.isNaN(event.occurredAt.getTime())) return invalid('occurredAt must be a valid date');
  if (event.eventId !== null && (typeof event.eventId !== 'string' || event.eventId.length === 0)) return invalid('eventId must be a non-empty string or null');
  if (event.amount != null && (!isMinorUnits(event.amount) || event.amount === 0)) {
    return invalid(`amount must be a positive integer number of minor units, got ${String(event.amount)}`);
  }
  if (event.refundedTotal != null && (!isMinorUnits(event.refundedTotal) || event.refundedTotal === 0)) {
    return invalid(`refundedTotal must be a positive integer number of minor units, got ${String(event.refundedTotal)}`);
  }
  if (event.currency != null && event.currency !== snapshot.currency) {
    return anomaly(snapshot, event, 'CURRENCY_MISMATCH', `event is in ${event.currency}, the session in ${snapshot.currency}`);
  }
  if ((event.type === 'AUTHORIZE' || event.type === 'CAPTURE') && event.amount == null) return invalid(`${event.type} needs an amount`);
  if (event.type === 'REFUND' && (event.amount == null) === (event.refundedTotal == null)) {
    return invalid('REFUND needs exactly one of amount (this refund) or refundedTotal (cumulative)');
  }
  if (event.type === 'REQUEST' && !event.pspReference) return invalid('REQUEST needs the pspReference the PSP assigned');
  if (snapshot.pspReference && event.pspReference && event.pspReference !== snapshot.pspReference) {
    return anomaly(snapshot, event, 'PSP_REFERENCE_MISMATCH', `event is for PSP payment ${event.pspReference}, the session is ${snapshot.pspReference}`);
  }
  return null;
}

interface Amounts {
  authorizedAmount: number;
  capturedAmount: number;
  refundedAmount: number;
}

/**
 * Applies one event to a session snapshot. Pure: the caller stores `snapshot` and `entry` in one transaction
 * (guarded by `version`) or acts on the refusal.
 */
export function transition(snapshot: PaymentSessionSnapshot, event: PaymentEvent, options: { now?: Date } = {}): TransitionResult {
  assertSnapshot(snapshot);
  const now = options.now ?? new Date();
  const invalid = validateEvent(snapshot, event);
  if (invalid) return invalid;

  if (event.eventId !== null && snapshot.processedEventIds.includes(event.eventId)) {
    return { ok: true, outcome: 'duplicate', snapshot, entry: null, reason: `event ${event.eventId} was already processed` };
  }

  const fromPsp = isPspSource(event.source);
  const rule = TRANSITIONS[snapshot.status][event.type];
  const amounts: Amounts = {
    authorizedAmount: snapshot.authorizedAmount,
    capturedAmount: snapshot.capturedAmount,
    refundedAmount: snapshot.refundedAmount,
  };
  let outcome: HistoryOutcome;
  let to = snapshot.status;
  let reason = rule.reason;

  switch (rule.kind) {
    case 'capture': {
      const amount = event.amount!;
      if (snapshot.status === 'AUTHORIZED') {
        if (amount > snapshot.authorizedAmount) {
          return anomaly(snapshot, event, 'CAPTURE_EXCEEDS_AUTHORIZED', `captured ${amount} exceeds the authorized ${snapshot.authorizedAmount}`);
        }
      } else {
        if (amount > snapshot.amount)
          return anomaly(snapshot, event, 'AMOUNT_EXCEEDS_SESSION', `captured ${amount} exceeds the session amount ${snapshot.amount}`);
        amounts.authorizedAmount = amount;
      }
      amounts.capturedAmount = amount;
      outcome = 'applied';
      to = amount === snapshot.amount ? 'CONFIRMED' : 'PARTIALLY_CAPTURED';
      reason = to === 'CONFIRMED' ? rule.reason : `${rule.reason}, partially: ${amount} of ${snapshot.amount}, ${snapshot.amount - amount} outstanding`;
      break;
    }
    case 'apply': {
      if (event.type === 'AUTHORIZE') {
        const amount = event.amount!;
        if (amount > snapshot.amount)
          return anomaly(snapshot, event, 'AMOUNT_EXCEEDS_SESSION', `authorized ${amount} exceeds the session amount ${snapshot.amount}`);
        amounts.authorizedAmount = amount;
      }
      outcome = 'applied';
      to = rule.to;
      break;
    }
    case 'refund': {
      const total = event.refundedTotal ?? snapshot.refundedAmount + event.amount!;
      if (event.refundedTotal != null && total <= snapshot.refundedAmount) {
        if (!fromPsp) return refuse(snapshot, event, 'ILLEGAL_TRANSITION', `refunded total ${total} is already reflected`);
        outcome = 'ignored';
        reason = `refunded total ${total} is already reflected (refunded ${snapshot.refundedAmount}); a late notification`;
        break;
      }
      if (total > snapshot.capturedAmount) {
        return anomaly(snapshot, event, 'REFUND_EXCEEDS_CAPTURED', `refunds would total ${total}, more than the captured ${snapshot.capturedAmount}`);
      }
      amounts.refundedAmount = total;
      outcome = 'applied';
      to = total === snapshot.capturedAmount ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
      reason = `${to === 'REFUNDED' ? 'fully' : 'partially'} refunded: ${total} of ${snapshot.capturedAmount}`;
      break;
    }
    case 'duplicate': {
      const current = event.type === 'AUTHORIZE' ? snapshot.authorizedAmount : event.type === 'CAPTURE' ? snapshot.capturedAmount : null;
      if (current !== null && event.amount != null && event.amount !== current) {
        return anomaly(snapshot, event, 'AMOUNT_MISMATCH', `${event.type} of ${event.amount} restates a state reached with ${current}`);
      }
      return { ok: true, outcome: 'duplicate', snapshot, entry: null, reason: rule.reason };
    }
    case 'record':
      outcome = 'recorded';
      break;
    case 'stale':
      if (!fromPsp) return refuse(snapshot, event, 'ILLEGAL_TRANSITION', `${event.type} no longer applies: ${rule.reason}`);
      outcome = 'ignored';
      reason = `late or out-of-order: ${rule.reason}`;
      break;
    case 'illegal':
      return refuse(snapshot, event, 'ILLEGAL_TRANSITION', `${event.type} is not possible from ${snapshot.status}: ${rule.reason}`, {
        retryable: fromPsp && rule.fromPsp === 'retry',
        requiresAttention: fromPsp && rule.fromPsp === 'alert',
      });
  }

  const next: PaymentSessionSnapshot = {
    ...snapshot,
    ...amounts,
    status: to,
    pspReference: snapshot.pspReference ?? event.pspReference ?? null,
    processedEventIds: event.eventId === null ? snapshot.processedEventIds : [...snapshot.processedEventIds, event.eventId],
    version: snapshot.version + 1,
    updatedAt: now,
  };
  const entry: HistoryEntry = {
    sessionId: snapshot.id,
    eventId: event.eventId,
    eventType: event.type,
    source: event.source,
    pspReference: event.pspReference ?? null,
    pspStatusCode: event.pspStatusCode ?? null,
    occurredAt: event.occurredAt,
    recordedAt: now,
    rawPayloadRef: event.rawPayloadRef ?? null,
    outcome,
    fromStatus: snapshot.status,
    toStatus: to,
    reason,
    amount: event.amount ?? null,
    refundedTotal: event.refundedTotal ?? null,
    currency: snapshot.currency,
    ...amounts,
  };
  return { ok: true, outcome, snapshot: next, entry };
}

/** Commands our API sends to the PSP; checked before calling it so an impossible request never leaves the building. */
export type PaymentCommand =
  | { readonly type: 'REQUEST' }
  | { readonly type: 'CAPTURE'; readonly amount?: number }
  | { readonly type: 'CANCEL' }
  | { readonly type: 'REFUND'; readonly amount: number; readonly pendingRefundAmount?: number };

export type CommandCheck = { readonly ok: true; readonly amount: number | null } | { readonly ok: false; readonly refusal: TransitionRefusal };

/**
 * May this command be sent to the PSP now? The state changes only when the PSP confirms (notification or synchronous
 * response), so a REFUND must also leave room for refunds requested but not yet confirmed (`pendingRefundAmount`).
 */
export function checkCommand(snapshot: PaymentSessionSnapshot, command: PaymentCommand): CommandCheck {
  assertSnapshot(snapshot);
  const no = (code: RefusalCode, reason: string): CommandCheck => ({
    ok: false,
    refusal: { code, reason, from: snapshot.status, eventType: command.type, source: 'api', retryable: false, requiresAttention: false },
  });
  const { status } = snapshot;
  switch (command.type) {
    case 'REQUEST':
      return status === 'CREATED' ? { ok: true, amount: snapshot.amount } : no('ILLEGAL_TRANSITION', `session is ${status}; a payment was already requested`);
    case 'CANCEL':
      return status === 'CREATED' || status === 'REQUESTED' || status === 'AUTHORIZED'
        ? { ok: true, amount: null }
        : no(
            'ILLEGAL_TRANSITION',
            status === 'CONFIRMED' || status === 'PARTIALLY_CAPTURED' || status === 'PARTIALLY_REFUNDED'
              ? `session is ${status}: captured funds are refunded, not cancelled`
              : `session is ${status}; nothing left to cancel`,
          );
    case 'CAPTURE': {
      if (status !== 'AUTHORIZED') return no('ILLEGAL_TRANSITION', `session is ${status}; only an AUTHORIZED session can be captured`);
      const amount = command.amount ?? snapshot.authorizedAmount;
      if (!isMinorUnits(amount) || amount === 0) return no('INVALID_EVENT', 'capture amount must be a positive integer number of minor units');
      if (amount > snapshot.authorizedAmount)
        return no('CAPTURE_EXCEEDS_AUTHORIZED', `cannot capture ${amount}: only ${snapshot.authorizedAmount} is authorized`);
      return { ok: true, amount };
    }
    case 'REFUND': {
      if (status !== 'CONFIRMED' && status !== 'PARTIALLY_CAPTURED' && status !== 'PARTIALLY_REFUNDED') {
        return no(
          'ILLEGAL_TRANSITION',
          status === 'REFUNDED' ? 'session is already fully refunded' : `session is ${status}; only captured funds can be refunded`,
        );
      }
      const pending = command.pendingRefundAmount ?? 0;
      if (!isMinorUnits(command.amount) || command.amount === 0) return no('INVALID_EVENT', 'refund amount must be a positive integer number of minor units');
      if (!isMinorUnits(pending)) return no('INVALID_EVENT', 'pendingRefundAmount must be integer minor units');
      const refundable = snapshot.capturedAmount - snapshot.refundedAmount - pending;
      if (command.amount > refundable) {
        return no(
          'REFUND_EXCEEDS_CAPTURED',
          `cannot refund ${command.amount}: ${Math.max(refundable, 0)} of the captured ${snapshot.capturedAmount} is left to refund`,
        );
      }
      return { ok: true, amount: command.amount };
    }
  }
}

/** What the session still has to collect: its amount minus what was captured (0 once CONFIRMED). */
export function outstandingAmount(snapshot: Pick<PaymentSessionSnapshot, 'amount' | 'capturedAmount'>): number {
  return Math.max(snapshot.amount - snapshot.capturedAmount, 0);
}

/** A fresh session as the API creates it, before anything went to the PSP. */
export function newSessionSnapshot(input: { id: string; reference: string; amount: number; currency: string; createdAt: Date }): PaymentSessionSnapshot {
  const snapshot: PaymentSessionSnapshot = {
    id: input.id,
    reference: input.reference,
    status: 'CREATED',
    amount: input.amount,
    currency: input.currency,
    pspReference: null,
    authorizedAmount: 0,
    capturedAmount: 0,
    refundedAmount: 0,
    processedEventIds: [],
    version: 0,
    updatedAt: input.createdAt,
  };
  assertSnapshot(snapshot);
  return snapshot;
}
