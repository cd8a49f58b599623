/**
 * The event catalogue: every event IPAY emits, its version and what its payload carries. Payloads use
 * snake_case as partners receive them in webhooks; money is `amount` in major units (as the published
 * `release.authorized` sample shows) *and* `amount_minor` in integer minor units, formatted from the minor
 * units without float arithmetic.
 */
import { formatMinorUnitsDecimal } from '../iso4217.ts';

export interface EventDefinition {
  version: number;
  description: string;
  /** The entity the event is about; events of one subject are delivered in order. */
  subject:
    | 'Order'
    | 'PaymentSession'
    | 'Refund'
    | 'Shipment'
    | 'ReleaseAuthorization'
    | 'Return'
    | 'Settlement'
    | 'Merchant'
    | 'ImportJob'
    | 'CarrierInvoice'
    | 'Carrier'
    | 'ControlRun'
    | 'AuditChain'
    | 'Quote';
  /** Top-level payload fields every event of this type carries. */
  required: readonly string[];
}

export const EVENT_CATALOGUE = {
  'order.created': {
    version: 1,
    subject: 'Order',
    description: 'A merchant created an order (API, import or shop sync).',
    required: ['order_id', 'merchant', 'reference', 'total', 'status'],
  },
  'order.status_changed': {
    version: 1,
    subject: 'Order',
    description: 'An order moved to another status of the pay-on-arrival flow.',
    required: ['order_id', 'merchant', 'from', 'to'],
  },
  'payment.requested': {
    version: 1,
    subject: 'PaymentSession',
    description: 'A payment session was started for an order at a PSP.',
    required: ['order_id', 'merchant', 'payment'],
  },
  'payment.confirmed': {
    version: 1,
    subject: 'PaymentSession',
    description: 'The PSP confirmed (captured) the payment.',
    required: ['order_id', 'merchant', 'payment'],
  },
  'payment.failed': {
    version: 1,
    subject: 'PaymentSession',
    description: 'The payment failed, expired or was cancelled.',
    required: ['order_id', 'merchant', 'payment'],
  },
  'carrier.out_for_delivery': {
    version: 1,
    subject: 'Shipment',
    description: 'The carrier scanned the parcel out for delivery.',
    required: ['order_id', 'merchant', 'carrier', 'shipment'],
  },
  'release.authorized': {
    version: 1,
    subject: 'ReleaseAuthorization',
    description: 'The release code was verified at the door, pickup point or locker; payment is confirmed.',
    required: ['order_id', 'merchant', 'carrier', 'payment', 'release'],
  },
  'parcel.released': {
    version: 1,
    subject: 'ReleaseAuthorization',
    description: 'The parcel was handed over.',
    required: ['order_id', 'merchant', 'carrier', 'release'],
  },
  // Returns (commerce owns the return; logistics books its label and folds its carrier scans; payments refunds it).
  // `return` is `{ id, status, method, reason_code, outcome, value, lines? }`; money as everywhere else.
  'return.initiated': {
    version: 1,
    subject: 'Return',
    description: 'A consumer started a return (REQUESTED); retention offers may still be accepted.',
    required: ['order_id', 'merchant', 'return'],
  },
  'return.confirmed': {
    version: 1,
    subject: 'Return',
    description: 'The return goes ahead with the goods coming back (no offer, or an exchange / store credit); logistics books its label.',
    required: ['order_id', 'merchant', 'return'],
  },
  'return.label_issued': {
    version: 1,
    subject: 'Return',
    description: 'Logistics booked the return shipment with the carrier: tracking number and the QR payload of the label.',
    required: ['order_id', 'merchant', 'return', 'carrier', 'tracking_number', 'label'],
  },
  'return.label_failed': {
    version: 1,
    subject: 'Return',
    description:
      'Logistics could not book the return label (CARRIER_NOT_CONFIGURED: no carrier credentials in that mode; CARRIER_BOOKING_FAILED: the carrier refused); nothing was invented.',
    required: ['order_id', 'merchant', 'return', 'code', 'reason'],
  },
  'return.in_transit': {
    version: 1,
    subject: 'Return',
    description: 'The carrier scanned the returned parcel (drop-off, locker or pickup); once per return.',
    required: ['order_id', 'merchant', 'return', 'carrier', 'tracking_number', 'scanned_at'],
  },
  'return.received': {
    version: 1,
    subject: 'Return',
    description: 'The returned parcel arrived back.',
    required: ['order_id', 'merchant', 'return', 'carrier', 'tracking_number', 'received_at'],
  },
  'return.inspected': {
    version: 1,
    subject: 'Return',
    description: 'The merchant inspected the returned goods.',
    required: ['order_id', 'merchant', 'return', 'approved'],
  },
  'return.refund_requested': {
    version: 1,
    subject: 'Return',
    description: 'Commerce asks payments to refund a return; payments creates the refund once per return, with the reason `return <return id>`.',
    required: ['order_id', 'merchant', 'return', 'amount'],
  },
  'return.refund_failed': {
    version: 1,
    subject: 'Return',
    description: 'Payments refused the refund of a return (e.g. REFUND_EXCEEDS_CAPTURED).',
    required: ['order_id', 'merchant', 'return', 'code', 'reason'],
  },
  'return.refunded': {
    version: 1,
    subject: 'Return',
    description: 'The refund of a return was accepted by the PSP (REFUNDED).',
    required: ['order_id', 'merchant', 'return', 'refund'],
  },
  'return.rejected': {
    version: 1,
    subject: 'Return',
    description: 'The merchant rejected the returned goods at inspection (REJECTED).',
    required: ['order_id', 'merchant', 'return', 'reason'],
  },
  'return.completed': {
    version: 1,
    subject: 'Return',
    description: 'A return closed without a money refund: EXCHANGED (replacement) or CREDITED (store credit with its bonus).',
    required: ['order_id', 'merchant', 'return', 'outcome'],
  },
  'refund.created': {
    version: 1,
    subject: 'Refund',
    description: 'A (partial) refund was created against a confirmed payment.',
    required: ['order_id', 'merchant', 'refund'],
  },
  'retention.offer.accepted': {
    version: 1,
    subject: 'Return',
    description: 'The consumer accepted a retention offer instead of returning (`offer`: id, kind, refund / store credit, saved).',
    required: ['order_id', 'merchant', 'offer', 'return'],
  },
  'settlement.created': {
    version: 1,
    subject: 'Settlement',
    description: 'A settlement for a merchant period was created (its first line arrived); `period` is { kind, start, end }.',
    required: ['settlement_id', 'merchant', 'period', 'gross', 'fees', 'net', 'currency', 'status'],
  },
  'settlement.closed': {
    version: 1,
    subject: 'Settlement',
    description: "A settlement's totals were fixed; it awaits approval.",
    required: ['settlement_id', 'merchant', 'period', 'gross', 'fees', 'net', 'currency', 'status', 'line_count', 'requires_four_eyes', 'closed_by'],
  },
  'settlement.approved': {
    version: 1,
    subject: 'Settlement',
    description: 'A settlement was approved for payout (by a second person when above the threshold).',
    required: ['settlement_id', 'merchant', 'period', 'gross', 'fees', 'net', 'currency', 'status', 'approved_by'],
  },
  'settlement.paid': {
    version: 1,
    subject: 'Settlement',
    description: 'The net payout of a settlement left IPAY for the merchant.',
    required: ['settlement_id', 'merchant', 'period', 'gross', 'fees', 'net', 'currency', 'status', 'payout_reference', 'paid_at'],
  },
  'merchant.created': {
    version: 1,
    subject: 'Merchant',
    description: 'A merchant account was created (carries its slug for other domains).',
    required: ['merchant_id', 'merchant', 'name', 'country', 'currency'],
  },
  'shipment.created': {
    version: 1,
    subject: 'Shipment',
    description:
      "A shipment (label) was booked with a carrier for an order; expected_cost is the cost engine's quote it was booked at (what the carrier should invoice).",
    required: ['order_id', 'merchant', 'carrier', 'shipment', 'expected_cost'],
  },
  'order.payment_state_changed': {
    version: 1,
    subject: 'Order',
    description:
      "The order's payment state as one fact, owned by payments: versioned per order (consumers apply a version only if it is higher than the one they hold, never 'last event wins'). PAID means captured equals the amount due.",
    required: ['order_id', 'merchant', 'version', 'state', 'amount_due', 'captured', 'refunded', 'outstanding', 'payment_session_id', 'psp'],
  },
  'payment.capture_reversed': {
    version: 1,
    subject: 'PaymentSession',
    description:
      "A capture the order may not keep (on a superseded session, or on a cancelled order) is being paid back automatically; the refund row and refund.created follow the PSP's answer.",
    required: ['order_id', 'merchant', 'payment', 'refund', 'reason'],
  },
  'merchant.onboarding_changed': { version: 1, subject: 'Merchant', description: 'A merchant moved in onboarding.', required: ['merchant', 'from', 'to'] },
  // Finance back office: carrier invoice reconciliation, carrier statements, internal controls (platform events, no merchant).
  'carrier_invoice.imported': {
    version: 1,
    subject: 'CarrierInvoice',
    description: 'A carrier invoice was imported and each line matched to a shipment and its expected cost.',
    required: ['invoice_id', 'carrier', 'invoice_number', 'invoice_date', 'layout', 'total', 'summary'],
  },
  'carrier_invoice.line_resolved': {
    version: 1,
    subject: 'CarrierInvoice',
    description: 'A mismatched or unmatched carrier invoice line was resolved by hand (accept carrier, accept expected, dispute).',
    required: ['invoice_id', 'line_id', 'carrier', 'tracking_number', 'resolution', 'approved', 'reason'],
  },
  'carrier_invoice.reconciled': {
    version: 1,
    subject: 'CarrierInvoice',
    description: 'Every line of a carrier invoice is matched or resolved; carries the reconciliation summary.',
    required: ['invoice_id', 'carrier', 'invoice_number', 'summary'],
  },
  'carrier_invoice.paid': {
    version: 1,
    subject: 'CarrierInvoice',
    description: 'A payment to a carrier was recorded against an invoice.',
    required: ['invoice_id', 'carrier', 'invoice_number', 'paid', 'open'],
  },
  'carrier_statement.sent': {
    version: 1,
    subject: 'Carrier',
    description: "A carrier's statement of open items with aging was mailed (PDF attached).",
    required: ['carrier', 'as_of', 'recipients', 'buckets', 'message_id'],
  },
  'controls.completed': {
    version: 1,
    subject: 'ControlRun',
    description: 'A run of the internal controls finished; carries each control’s PASS/FAIL and evidence count.',
    required: ['run_id', 'trigger', 'run_date', 'result', 'controls'],
  },
  'audit.chain_verified': {
    version: 1,
    subject: 'AuditChain',
    description: "A subgraph re-verified its own audit hash chain (scheduled); finance's audit-chain control reads these attestations.",
    required: ['subgraph', 'valid', 'checked_records', 'broken_at_position', 'reason', 'verified_at'],
  },
  // ─── Quote engine (issue 14) ───
  'quote.requested': {
    version: 1,
    subject: 'Quote',
    description:
      'A merchant asked for a customer quote: the deliveries to price (logistics prices the carrier cost, finance the IPAY fee, both keyed by the quote id).',
    required: ['quote_id', 'merchant', 'currency', 'deliveries'],
  },
  'quote.carrier_priced': {
    version: 1,
    subject: 'Quote',
    description: "Logistics priced a quote's deliveries with its cost engine (or could not: `no_tariff`).",
    required: ['quote_id', 'merchant'],
  },
  'quote.fee_priced': {
    version: 1,
    subject: 'Quote',
    description: "Finance priced a quote's IPAY fee from its fee schedule (or could not: `no_fee`).",
    required: ['quote_id', 'merchant'],
  },
  'quote.issued': {
    version: 1,
    subject: 'Quote',
    description: 'Commerce froze the quote: carrier cost, IPAY fee, margin, tax, total and validity.',
    required: ['quote_id', 'merchant', 'total', 'valid_until'],
  },
  'quote.refused': {
    version: 1,
    subject: 'Quote',
    description: 'A quote could not be priced (no tariff for a delivery, no fee in force for the currency).',
    required: ['quote_id', 'merchant', 'code', 'reason'],
  },
  'quote.accepted': {
    version: 1,
    subject: 'Quote',
    description: 'The customer accepted an issued quote before it expired; it became an order at the quoted total.',
    required: ['quote_id', 'merchant', 'order_id', 'total'],
  },
} as const satisfies Record<string, EventDefinition>;

export type EventType = keyof typeof EVENT_CATALOGUE;
export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as EventType[];
export const isEventType = (value: string): value is EventType => value in EVENT_CATALOGUE;

/**
 * Major-unit amount for the wire (7840 EUR → 78.4, 7840 HUF → 78.4, 1000 IQD → 1), by string formatting with the ISO 4217
 * exponent (`iso4217.ts`, never Intl/CLDR display digits), never by dividing floats.
 */
export function majorUnits(amountMinor: number, currency: string): number {
  return Number(formatMinorUnitsDecimal(amountMinor, currency));
}

export const wireMoney = (amountMinor: number, currency: string) => ({ amount: majorUnits(amountMinor, currency), amount_minor: amountMinor, currency });
