/**
 * The event catalogue: every event IPAY emits, its version and what its payload carries. Payloads use
 * snake_case as partners receive them in webhooks; money is `amount` in major units (as the published
 * `release.authorized` sample shows) *and* `amount_minor` in integer minor units, formatted from the minor
 * units without float arithmetic.
 */
export interface EventDefinition {
  version: number;
  description: string;
  /** The entity the event is about; events of one subject are delivered in order. */
  subject: 'Order' | 'PaymentSession' | 'Refund' | 'Shipment' | 'ReleaseAuthorization' | 'Return' | 'Settlement' | 'Merchant' | 'ImportJob';
  /** Top-level payload fields every event of this type carries. */
  required: readonly string[];
}

export const EVENT_CATALOGUE = {
  'order.created': { version: 1, subject: 'Order', description: 'A merchant created an order (API, import or shop sync).', required: ['order_id', 'merchant', 'reference', 'total', 'status'] },
  'order.status_changed': { version: 1, subject: 'Order', description: 'An order moved to another status of the pay-on-arrival flow.', required: ['order_id', 'merchant', 'from', 'to'] },
  'payment.requested': { version: 1, subject: 'PaymentSession', description: 'A payment session was started for an order at a PSP.', required: ['order_id', 'merchant', 'payment'] },
  'payment.confirmed': { version: 1, subject: 'PaymentSession', description: 'The PSP confirmed (captured) the payment.', required: ['order_id', 'merchant', 'payment'] },
  'payment.failed': { version: 1, subject: 'PaymentSession', description: 'The payment failed, expired or was cancelled.', required: ['order_id', 'merchant', 'payment'] },
  'carrier.out_for_delivery': { version: 1, subject: 'Shipment', description: 'The carrier scanned the parcel out for delivery.', required: ['order_id', 'merchant', 'carrier', 'shipment'] },
  'release.authorized': { version: 1, subject: 'ReleaseAuthorization', description: 'The release code was verified at the door, pickup point or locker; payment is confirmed.', required: ['order_id', 'merchant', 'carrier', 'payment', 'release'] },
  'parcel.released': { version: 1, subject: 'ReleaseAuthorization', description: 'The parcel was handed over.', required: ['order_id', 'merchant', 'carrier', 'release'] },
  'return.initiated': { version: 1, subject: 'Return', description: 'A consumer started a return.', required: ['order_id', 'merchant', 'return'] },
  'return.received': { version: 1, subject: 'Return', description: 'The returned parcel arrived back.', required: ['order_id', 'merchant', 'return'] },
  'refund.created': { version: 1, subject: 'Refund', description: 'A (partial) refund was created against a confirmed payment.', required: ['order_id', 'merchant', 'refund'] },
  'retention.offer.accepted': { version: 1, subject: 'Return', description: 'The consumer accepted a retention offer instead of returning.', required: ['order_id', 'merchant', 'offer'] },
  'settlement.created': { version: 1, subject: 'Settlement', description: 'A settlement for a merchant period was created.', required: ['settlement_id', 'merchant', 'period', 'gross', 'fees', 'net'] },
  'merchant.created': { version: 1, subject: 'Merchant', description: 'A merchant account was created (carries its slug for other domains).', required: ['merchant_id', 'merchant', 'name', 'country', 'currency'] },
  'shipment.created': {
    version: 1,
    subject: 'Shipment',
    description: "A shipment (label) was booked with a carrier for an order; expected_cost is the cost engine's quote it was booked at (what the carrier should invoice).",
    required: ['order_id', 'merchant', 'carrier', 'shipment', 'expected_cost'],
  },
  'order.payment_state_changed': {
    version: 1,
    subject: 'Order',
    description:
      "The order's payment state as one fact, owned by payments: versioned per order (consumers apply a version only if it is higher than the one they hold, never 'last event wins'). PAID means captured equals the amount due.",
    required: ['order_id', 'merchant', 'version', 'state', 'amount_due', 'captured', 'refunded', 'outstanding', 'payment_session_id', 'psp'],
  },
  'merchant.onboarding_changed': { version: 1, subject: 'Merchant', description: 'A merchant moved in onboarding.', required: ['merchant', 'from', 'to'] },
} as const satisfies Record<string, EventDefinition>;

export type EventType = keyof typeof EVENT_CATALOGUE;
export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as EventType[];
export const isEventType = (value: string): value is EventType => value in EVENT_CATALOGUE;

/** Major-unit amount for the wire (7840 EUR → 78.4), by string formatting, never by dividing floats. */
export function majorUnits(amountMinor: number, currency: string): number {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const negative = amountMinor < 0;
  const text = String(Math.abs(amountMinor)).padStart(digits + 1, '0');
  const major = digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
  return Number(`${negative ? '-' : ''}${major}`);
}

export const wireMoney = (amountMinor: number, currency: string) => ({ amount: majorUnits(amountMinor, currency), amount_minor: amountMinor, currency });
