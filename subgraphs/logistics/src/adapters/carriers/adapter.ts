import type { DeliveryMethod, Parcel, ServiceLevel } from '../../domain/index.ts';

/** The carriers logistics can book (the `carriers` table). */
export const BOOKABLE_CARRIERS = ['ups', 'dhl', 'postnl', 'dpd', 'gls', 'inpost'] as const;
export type BookableCarrier = (typeof BOOKABLE_CARRIERS)[number];

export interface Address {
  name: string;
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

/** What a carrier needs to book one parcel (make its label). */
export interface BookingRequest {
  /** Our shipment id: sent as the carrier's customer reference, and the idempotency key of the booking. */
  shipmentId: string;
  /** The merchant's order reference, printed on the label where the carrier has a field for it. */
  orderReference: string | null;
  serviceLevel: ServiceLevel;
  deliveryMethod: DeliveryMethod;
  parcel: Parcel;
  recipient: Address;
}

/** The carrier's answer: its identifiers of the parcel, never ours. */
export interface CarrierBooking {
  /** What the carrier's scans and tracking pages use. */
  trackingNumber: string;
  /** The carrier's id of the shipment/label (UPS ShipmentIdentificationNumber, DHL labelId, InPost shipment id …). */
  carrierReference: string;
  /** The label document as the carrier returned it (base64), when it returns one with the booking. */
  label: { format: string; base64: string } | null;
}

/** How the consumer hands a returned parcel to the carrier. */
export type ReturnHandover = 'DROP_OFF' | 'LOCKER' | 'PICKUP';

/**
 * A return label: the consumer sends the parcel back to the shipper (the merchant's return address, which is the
 * adapter's configured shipper / the carrier account's address). Each carrier books it through its own return
 * variant (UPS ReturnService, PostNL return product 2285 / Smart Returns, DHL Parcel returnLabel, DPD returns
 * parcel, GLS ShopReturn, InPost is_return).
 */
export interface ReturnLabelRequest {
  /** Our return id: the carrier's customer reference and the idempotency key of the booking. */
  returnId: string;
  orderReference: string | null;
  handover: ReturnHandover;
  parcel: Parcel;
  /** The consumer, where the return leg starts. */
  sender: Address;
}

export interface CarrierBookingAdapter {
  readonly carrier: BookableCarrier;
  book(request: BookingRequest): Promise<CarrierBooking>;
  /** Books a return label (the carrier assigns its tracking number, as for outbound parcels). */
  bookReturn(request: ReturnLabelRequest): Promise<CarrierBooking>;
}

/**
 * A booking that did not happen. `retryable`: the carrier could not be reached, timed out or was overloaded (no
 * label exists, or the same request with the same reference is safe to repeat); otherwise it refused the request.
 */
export class CarrierBookingError extends Error {
  override readonly name = 'CarrierBookingError';
  constructor(
    readonly carrier: BookableCarrier,
    readonly retryable: boolean,
    message: string,
    readonly httpStatus: number | null = null,
  ) {
    super(`${carrier}: ${message}`);
  }
}

export const DEFAULT_CARRIER_TIMEOUT_MS = 10_000;

/** One HTTP call to a carrier API; network failures and timeouts become retryable CarrierBookingErrors. */
export async function callCarrier(
  carrier: BookableCarrier,
  url: string,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string; timeoutMs?: number },
): Promise<{ status: number; text: string; json: unknown }> {
  let response: Response;
  const timeoutMs = init.timeoutMs ?? DEFAULT_CARRIER_TIMEOUT_MS;
  try {
    response = await fetch(url, { method: init.method, headers: init.headers, body: init.body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') throw new CarrierBookingError(carrier, true, `no answer within ${timeoutMs} ms`);
    throw new CarrierBookingError(carrier, true, `could not reach ${new URL(url).host}`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, text, json };
}

/** Refuses a non-2xx answer: 429/5xx are retryable, anything else is the carrier refusing the booking. */
export function expectOk(carrier: BookableCarrier, what: string, answer: { status: number; text: string }): void {
  if (answer.status >= 200 && answer.status < 300) return;
  const retryable = answer.status === 429 || answer.status >= 500;
  throw new CarrierBookingError(carrier, retryable, `${what} answered HTTP ${answer.status}: ${answer.text.slice(0, 300)}`, answer.status);
}

export const get = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string | number, unknown>)[key] : undefined), value);

export function requireString(carrier: BookableCarrier, value: unknown, what: string): string {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  throw new CarrierBookingError(carrier, false, `the booking answer has no ${what}`);
}

/** Street and house number as carriers that want them apart take them ("Damrak 1" → Damrak, 1). */
export function splitStreet(line1: string): { street: string; number: string } {
  const match = /^(.*?)[\s,]+(\d+\s*[A-Za-z]?(?:[-/]\S+)?)$/.exec(line1.trim());
  return match ? { street: match[1]!, number: match[2]!.replace(/\s+/g, '') } : { street: line1.trim(), number: '' };
}

export const kilograms = (grams: number) => Math.max(0.1, Math.round(grams / 100) / 10);
export const centimetres = (mm: number) => Math.max(1, Math.ceil(mm / 10));
