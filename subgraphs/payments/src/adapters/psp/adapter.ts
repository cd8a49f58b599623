import type { Money } from '@ipay/platform';
import type { PaymentEvent, PaymentEventType, PaymentSessionStatus } from '../../domain/state-machine.ts';

export const PSP_CODES = ['adyen', 'stripe', 'mollie'] as const;
export type PspCode = (typeof PSP_CODES)[number];

/** What a PSP needs to start collecting a session's payment. */
export interface CreatePaymentInput {
  /** Our IPAY reference; every PSP echoes it back as the merchant reference. */
  readonly reference: string;
  readonly amount: Money;
  /** Our method code: card, ideal, bancontact, ... (each adapter maps it to the PSP's name). */
  readonly method: string;
  readonly description: string;
  /** Where the shopper lands after a redirect. */
  readonly returnUrl: string;
  /** `manual`: authorize now, capture at release; `automatic`: the PSP captures right after authorization. */
  readonly captureMode: 'automatic' | 'manual';
  /** Makes a retried call after a timeout safe: the PSP answers the first call's result instead of charging twice. */
  readonly idempotencyKey: string;
  /** Adyen only: the shopper's payment method details from Drop-in/Components (`state.data.paymentMethod`). */
  readonly paymentMethodData?: Readonly<Record<string, unknown>>;
}

/** What the front-end does next. */
export type PaymentAction =
  | { readonly type: 'redirect'; readonly url: string; readonly method: 'GET' | 'POST'; readonly data?: Readonly<Record<string, string>> }
  /** Hand the payload to the PSP's client library (Adyen action object, Stripe client secret). */
  | { readonly type: 'sdk'; readonly psp: PspCode; readonly payload: Readonly<Record<string, unknown>> }
  | { readonly type: 'none' };

export interface CreatedPayment {
  readonly pspReference: string;
  readonly action: PaymentAction;
  /** Where the PSP's answer puts the session: REQUESTED (waiting for the shopper), AUTHORIZED, CONFIRMED, FAILED or CANCELLED. */
  readonly status: PaymentSessionStatus;
  /** The PSP's own status (Adyen resultCode, Stripe status, Mollie status). */
  readonly pspStatusCode: string;
  readonly amount: Money;
  readonly refusalReason: string | null;
  readonly raw: unknown;
}

export interface CaptureInput {
  readonly pspReference: string;
  readonly reference: string;
  readonly amount: Money;
  readonly idempotencyKey: string;
}
export type RefundInput = CaptureInput;
export interface CancelInput {
  readonly pspReference: string;
  readonly reference: string;
  readonly idempotencyKey: string;
}

/**
 * The PSP's answer to a capture, refund or cancel. `pending`: the outcome arrives by notification; `succeeded` or
 * `failed`: the PSP answered synchronously (Stripe captures and cancels).
 */
export interface ModificationResult {
  /** The PSP's id of this modification (Adyen modification pspReference, Stripe refund id, Mollie cpt_/re_ id). */
  readonly modificationReference: string;
  readonly outcome: 'pending' | 'succeeded' | 'failed';
  readonly pspStatusCode: string;
  readonly raw: unknown;
}

export interface WebhookRequest {
  /** Node's IncomingHttpHeaders fit; names are matched case-insensitively. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body exactly as received: signatures are over these bytes, never over re-serialised JSON. */
  readonly rawBody: string | Uint8Array;
}

export interface WebhookResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export type NotificationKind = 'AUTHORIZATION' | 'CAPTURE' | 'CANCELLATION' | 'REFUND' | 'EXPIRATION';

/** One PSP notification, verified and in our terms. */
export interface NormalisedNotification {
  readonly psp: PspCode;
  /** Stable across redeliveries of the same notification; the deduplication key. */
  readonly pspEventId: string;
  /** The PSP's id of the payment (for Adyen modifications: the original payment's pspReference). */
  readonly pspReference: string;
  /** The PSP's id of the modification (Adyen capture/refund pspReference, Stripe charge id), if any. */
  readonly modificationReference: string | null;
  /** Our IPAY reference as the PSP echoes it; null when the PSP's payload does not carry it (Stripe charges). */
  readonly merchantReference: string | null;
  readonly kind: NotificationKind;
  readonly success: boolean;
  /** A failed attempt the shopper can retry at the PSP (Stripe); the session stays payable. */
  readonly retryableByShopper: boolean;
  /** The amount this notification is about (authorized, captured, this refund); null when the PSP gives none. */
  readonly amount: Money | null;
  /** Cumulative refunded amount, for PSPs that report totals instead of single refunds (Stripe, Mollie). */
  readonly refundedTotal: number | null;
  /** The PSP's own event code or status. */
  readonly pspStatusCode: string;
  /** Refusal or failure reason, if the PSP gave one. */
  readonly reason: string | null;
  readonly occurredAt: Date;
  readonly raw: unknown;
}

export type WebhookErrorCode =
  'MISSING_SIGNATURE' | 'BAD_SIGNATURE' | 'STALE_TIMESTAMP' | 'BAD_CREDENTIALS' | 'MALFORMED' | 'WRONG_ACCOUNT' | 'UPSTREAM_UNAVAILABLE';

export interface WebhookVerificationError {
  readonly code: WebhookErrorCode;
  /** 401 for authentication failures, 400 for payloads we cannot read, 503 when we could not confirm with the PSP (it retries). */
  readonly httpStatus: 400 | 401 | 503;
  readonly message: string;
}

export type ParseNotificationResult =
  { readonly ok: true; readonly notifications: readonly NormalisedNotification[] } | { readonly ok: false; readonly error: WebhookVerificationError };

/** One interface over every PSP; all PSP-specific knowledge lives behind it. */
export interface PspAdapter {
  readonly psp: PspCode;
  createPayment(input: CreatePaymentInput): Promise<CreatedPayment>;
  capture(input: CaptureInput): Promise<ModificationResult>;
  refund(input: RefundInput): Promise<ModificationResult>;
  cancel(input: CancelInput): Promise<ModificationResult>;
  /** Verifies and normalises an inbound webhook; never throws for bad input. */
  parseNotification(request: WebhookRequest): Promise<ParseNotificationResult>;
  /** What the PSP expects back once the notifications are safely stored (Adyen: `[accepted]`). */
  readonly acknowledgement: WebhookResponse;
}

export type PspErrorKind = 'timeout' | 'network' | 'unauthorized' | 'rejected' | 'not_found' | 'unavailable' | 'invalid_response';

/**
 * A PSP call that did not succeed. `timeout` and `network` leave the outcome unknown: retry with the same
 * idempotency key (never a new one) or wait for the notification.
 */
export class PspError extends Error {
  constructor(
    readonly psp: PspCode,
    readonly operation: string,
    readonly kind: PspErrorKind,
    message: string,
    readonly details: { readonly httpStatus?: number; readonly pspCode?: string; readonly field?: string } = {},
  ) {
    super(`${psp} ${operation}: ${message}`);
    this.name = 'PspError';
  }

  get retryable(): boolean {
    return this.kind === 'timeout' || this.kind === 'network' || this.kind === 'unavailable';
  }

  get outcomeUnknown(): boolean {
    return this.kind === 'timeout' || this.kind === 'network';
  }
}

export function webhookError(code: WebhookErrorCode, message: string): { ok: false; error: WebhookVerificationError } {
  const httpStatus = code === 'MALFORMED' || code === 'WRONG_ACCOUNT' ? 400 : code === 'UPSTREAM_UNAVAILABLE' ? 503 : 401;
  return { ok: false, error: { code, httpStatus, message } };
}

/** The HTTP answer to a webhook we refused. */
export function webhookErrorResponse(error: WebhookVerificationError): WebhookResponse {
  return { status: error.httpStatus, contentType: 'application/json', body: JSON.stringify({ error: error.code, message: error.message }) };
}

const NOTIFICATION_EVENT: Record<NotificationKind, [success: PaymentEventType, failure: PaymentEventType]> = {
  AUTHORIZATION: ['AUTHORIZE', 'FAIL'],
  CAPTURE: ['CAPTURE', 'CAPTURE_FAILED'],
  CANCELLATION: ['CANCEL', 'CANCEL_FAILED'],
  REFUND: ['REFUND', 'REFUND_FAILED'],
  EXPIRATION: ['EXPIRE', 'EXPIRE'],
};

/** Turns a verified notification into the state machine's event. */
export function eventFromNotification(notification: NormalisedNotification, rawPayloadRef: string | null = null): PaymentEvent {
  const [onSuccess, onFailure] = NOTIFICATION_EVENT[notification.kind];
  const type: PaymentEventType =
    notification.kind === 'AUTHORIZATION' && !notification.success && notification.retryableByShopper
      ? 'ATTEMPT_FAILED'
      : notification.success
        ? onSuccess
        : onFailure;
  const carriesAmount = notification.success && (type === 'AUTHORIZE' || type === 'CAPTURE' || type === 'REFUND');
  return {
    type,
    source: 'psp-notification',
    eventId: `${notification.psp}:${notification.pspEventId}`,
    pspReference: notification.pspReference,
    pspStatusCode: notification.pspStatusCode,
    occurredAt: notification.occurredAt,
    rawPayloadRef,
    amount: carriesAmount && notification.refundedTotal === null ? (notification.amount?.amount ?? null) : null,
    refundedTotal: type === 'REFUND' ? notification.refundedTotal : null,
    currency: notification.amount?.currency ?? null,
  };
}

/**
 * The events the PSP's answer to createPayment implies: REQUEST, plus the outcome when the PSP decided
 * synchronously (an Adyen card payment answers Authorised or Refused at once). The webhook that follows restates it
 * and is dropped as a duplicate.
 */
export function eventsFromCreatedPayment(psp: PspCode, created: CreatedPayment, occurredAt: Date): PaymentEvent[] {
  const base = {
    source: 'psp-response' as const,
    pspReference: created.pspReference,
    pspStatusCode: created.pspStatusCode,
    occurredAt,
    currency: created.amount.currency,
  };
  const events: PaymentEvent[] = [{ ...base, type: 'REQUEST', eventId: `${psp}:${created.pspReference}:requested` }];
  const outcome: Partial<Record<PaymentSessionStatus, PaymentEventType>> = {
    AUTHORIZED: 'AUTHORIZE',
    CONFIRMED: 'CAPTURE',
    FAILED: 'FAIL',
    CANCELLED: 'CANCEL',
  };
  const type = outcome[created.status];
  if (type) {
    const amount = type === 'AUTHORIZE' || type === 'CAPTURE' ? created.amount.amount : null;
    events.push({ ...base, type, amount, eventId: `${psp}:${created.pspReference}:response:${created.status}` });
  }
  return events;
}

/**
 * The event a synchronous capture or cancel answer implies (Stripe decides both at once). Refunds are applied from
 * notifications only: Stripe and Mollie report cumulative totals there, and mixing those with single refunds from
 * API answers could count a refund twice.
 */
export function eventFromModification(
  psp: PspCode,
  operation: 'capture' | 'cancel',
  input: { pspReference: string; amount?: Money },
  result: ModificationResult,
  occurredAt: Date,
): PaymentEvent | null {
  if (result.outcome === 'pending') return null;
  const type: PaymentEventType =
    operation === 'capture' ? (result.outcome === 'succeeded' ? 'CAPTURE' : 'CAPTURE_FAILED') : result.outcome === 'succeeded' ? 'CANCEL' : 'CANCEL_FAILED';
  return {
    type,
    source: 'psp-response',
    eventId: `${psp}:${result.modificationReference}:${operation}:${result.outcome}`,
    pspReference: input.pspReference,
    pspStatusCode: result.pspStatusCode,
    occurredAt,
    amount: type === 'CAPTURE' ? (input.amount?.amount ?? null) : null,
    currency: input.amount?.currency ?? null,
  };
}
