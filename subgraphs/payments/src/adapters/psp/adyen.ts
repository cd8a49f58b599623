import { isIsoCurrency } from '@ipay/platform';
import {
  PspError,
  webhookError,
  type CancelInput,
  type CaptureInput,
  type CreatePaymentInput,
  type CreatedPayment,
  type ModificationResult,
  type NormalisedNotification,
  type NotificationKind,
  type ParseNotificationResult,
  type PaymentAction,
  type PspAdapter,
  type RefundInput,
  type WebhookRequest,
} from './adapter.ts';
import {
  DEFAULT_PSP_TIMEOUT_MS,
  callPsp,
  constantTimeEqual,
  errorKindFor,
  headerValue,
  hmacSha256,
  isRecord,
  rawBodyText,
  str,
  type PspHttpResponse,
} from './http.ts';
import type { PaymentSessionStatus } from '../../domain/state-machine.ts';

/**
 * Adyen Checkout API (`/payments`, `/payments/{pspReference}/captures|refunds|cancels`) and Adyen standard webhooks
 * (`notificationItems[].NotificationRequestItem`, HMAC in `additionalData.hmacSignature`).
 */
export interface AdyenConfig {
  readonly apiKey: string;
  readonly merchantAccount: string;
  /** Checkout base URL including the version, e.g. https://checkout-test.adyen.com/v71. */
  readonly checkoutUrl: string;
  /** HMAC keys as shown in the Customer Area (hex). Several during a key rotation: Adyen keeps signing with the old one for a while. */
  readonly hmacKeys: readonly string[];
  /** Optional basic authentication configured on the webhook in the Customer Area. */
  readonly webhookBasicAuth?: { readonly username: string; readonly password: string };
  /** Whether this is a live account; notifications from the other environment are refused. */
  readonly live: boolean;
  readonly timeoutMs?: number;
  /**
   * How old a notification's `eventDate` may be (ADYEN_WEBHOOK_TOLERANCE_SECONDS); older ones are refused as
   * STALE_TIMESTAMP (401). Default 31 days: Adyen signs no timestamp and retries an unacknowledged notification,
   * with its original eventDate, for up to 30 days, so a tighter window would drop legitimate retries. The window
   * bounds how long a captured notification stays replayable; inside it, replays are made harmless by the
   * deduplication on `pspReference:eventCode:success` (the session's history).
   */
  readonly eventToleranceSeconds?: number;
  /** Injectable clock for the event-date window. */
  readonly now?: () => Date;
}

/** Adyen's retry schedule ends after 30 days; one more day of margin. */
export const ADYEN_DEFAULT_EVENT_TOLERANCE_SECONDS = 31 * 86_400;
/** How far in the future an eventDate may lie (clock skew) before it is refused. */
export const ADYEN_FUTURE_SKEW_SECONDS = 300;

/** The fields Adyen signs, in the documented order, joined with ':' (missing fields are empty). */
export function adyenSigningPayload(item: Record<string, unknown>): string {
  const amount = isRecord(item.amount) ? item.amount : {};
  return [
    item.pspReference,
    item.originalReference,
    item.merchantAccountCode,
    item.merchantReference,
    amount.value,
    amount.currency,
    item.eventCode,
    item.success,
  ]
    .map((value) => (value === undefined || value === null ? '' : String(value)))
    .join(':');
}

export function adyenHmacSignature(item: Record<string, unknown>, hexKey: string): string {
  return hmacSha256(Buffer.from(hexKey, 'hex'), adyenSigningPayload(item)).toString('base64');
}

const EVENT_KIND: Readonly<Record<string, { kind: NotificationKind; success?: boolean }>> = {
  AUTHORISATION: { kind: 'AUTHORIZATION' },
  CAPTURE: { kind: 'CAPTURE' },
  CAPTURE_FAILED: { kind: 'CAPTURE', success: false },
  CANCELLATION: { kind: 'CANCELLATION' },
  REFUND: { kind: 'REFUND' },
  REFUND_FAILED: { kind: 'REFUND', success: false },
  // The shopper never completed a redirect payment (e.g. iDEAL) before the offer closed.
  OFFER_CLOSED: { kind: 'EXPIRATION' },
  // An authorization that lapsed without being captured.
  EXPIRE: { kind: 'EXPIRATION' },
};

const METHOD_TYPE: Readonly<Record<string, string>> = { card: 'scheme' };

const RESULT_STATUS: Readonly<Record<string, PaymentSessionStatus>> = {
  Authorised: 'AUTHORIZED',
  Refused: 'FAILED',
  Error: 'FAILED',
  Cancelled: 'CANCELLED',
  RedirectShopper: 'REQUESTED',
  IdentifyShopper: 'REQUESTED',
  ChallengeShopper: 'REQUESTED',
  PresentToShopper: 'REQUESTED',
  Pending: 'REQUESTED',
  Received: 'REQUESTED',
};

export function createAdyenAdapter(config: AdyenConfig): PspAdapter {
  if (config.hmacKeys.length === 0) throw new Error('adyen: at least one HMAC key is required');
  for (const key of config.hmacKeys) {
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(key)) throw new Error('adyen: HMAC keys are hexadecimal strings as shown in the Customer Area');
  }
  const timeoutMs = config.timeoutMs ?? DEFAULT_PSP_TIMEOUT_MS;
  const tolerance = config.eventToleranceSeconds ?? ADYEN_DEFAULT_EVENT_TOLERANCE_SECONDS;
  if (!Number.isInteger(tolerance) || tolerance < 1) throw new Error('adyen: eventToleranceSeconds must be a positive integer');
  const base = config.checkoutUrl.replace(/\/+$/, '');

  async function post(operation: string, path: string, body: Record<string, unknown>, idempotencyKey: string): Promise<Record<string, unknown>> {
    const response = await callPsp('adyen', operation, `${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': config.apiKey, 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body),
      timeoutMs,
    });
    return expectOk(operation, response);
  }

  function expectOk(operation: string, response: PspHttpResponse): Record<string, unknown> {
    if (response.status >= 200 && response.status < 300) {
      if (!isRecord(response.body)) throw new PspError('adyen', operation, 'invalid_response', 'expected a JSON object', { httpStatus: response.status });
      return response.body;
    }
    // Adyen errors: { status, errorCode, message, errorType, pspReference }.
    const body = isRecord(response.body) ? response.body : {};
    throw new PspError('adyen', operation, errorKindFor(response.status), str(body, 'message') ?? `HTTP ${response.status}`, {
      httpStatus: response.status,
      pspCode: str(body, 'errorCode'),
    });
  }

  function modification(operation: string, body: Record<string, unknown>): ModificationResult {
    const pspReference = str(body, 'pspReference');
    const status = str(body, 'status');
    if (!pspReference || status !== 'received') {
      throw new PspError('adyen', operation, 'invalid_response', `expected status "received" and a pspReference, got ${JSON.stringify(status)}`);
    }
    // Adyen only acknowledges the request; the result comes as a CAPTURE/REFUND/CANCELLATION notification.
    return { modificationReference: pspReference, outcome: 'pending', pspStatusCode: status, raw: body };
  }

  function parseItem(item: Record<string, unknown>, index: number): NormalisedNotification | string | null {
    const where = `notificationItems[${index}]`;
    const eventCode = str(item, 'eventCode');
    const pspReference = str(item, 'pspReference');
    const success = str(item, 'success');
    const eventDate = str(item, 'eventDate');
    if (!eventCode || !pspReference) return `${where} lacks eventCode or pspReference`;
    if (success !== 'true' && success !== 'false') return `${where}.success must be "true" or "false"`;
    const mapping = EVENT_KIND[eventCode];
    if (!mapping) return null; // Events we do not act on (REPORT_AVAILABLE, CHARGEBACK, ...) are acknowledged and skipped.
    const occurredAt = eventDate ? new Date(eventDate) : new Date(Number.NaN);
    if (Number.isNaN(occurredAt.getTime())) return `${where}.eventDate is not a date`;
    const amount = isRecord(item.amount) ? item.amount : undefined;
    const value = amount?.value;
    const currency = amount ? str(amount, 'currency') : undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || !currency || !isIsoCurrency(currency)) {
      return `${where}.amount must be { value: integer minor units, currency: ISO 4217 }`;
    }
    const originalReference = str(item, 'originalReference') || null;
    const additionalData = isRecord(item.additionalData) ? item.additionalData : {};
    return {
      psp: 'adyen',
      // Adyen's own advice: a redelivery repeats pspReference, eventCode and success.
      pspEventId: `${pspReference}:${eventCode}:${success}`,
      pspReference: originalReference ?? pspReference,
      modificationReference: originalReference ? pspReference : null,
      merchantReference: str(item, 'merchantReference') ?? null,
      kind: mapping.kind,
      success: mapping.success ?? success === 'true',
      retryableByShopper: false,
      amount: value > 0 ? { amount: value, currency } : null,
      refundedTotal: null,
      pspStatusCode: eventCode,
      reason: str(item, 'reason') || str(additionalData, 'refusalReasonRaw') || null,
      occurredAt,
      raw: item,
    };
  }

  return {
    psp: 'adyen',
    acknowledgement: { status: 200, contentType: 'text/plain', body: '[accepted]' },

    async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
      const body: Record<string, unknown> = {
        merchantAccount: config.merchantAccount,
        amount: { value: input.amount.amount, currency: input.amount.currency },
        reference: input.reference,
        paymentMethod: input.paymentMethodData ?? { type: METHOD_TYPE[input.method] ?? input.method },
        returnUrl: input.returnUrl,
        channel: 'Web',
      };
      if (input.captureMode === 'manual') body.additionalData = { manualCapture: 'true' };
      const response = await post('createPayment', '/payments', body, input.idempotencyKey);
      const resultCode = str(response, 'resultCode');
      const pspReference = str(response, 'pspReference');
      const status = resultCode ? RESULT_STATUS[resultCode] : undefined;
      if (!status || !pspReference) {
        throw new PspError('adyen', 'createPayment', 'invalid_response', `unexpected resultCode ${JSON.stringify(resultCode)} or no pspReference`);
      }
      return {
        pspReference,
        status,
        pspStatusCode: resultCode!,
        action: actionOf(response.action),
        amount: input.amount,
        refusalReason: str(response, 'refusalReason') ?? null,
        raw: response,
      };
    },

    async capture(input: CaptureInput): Promise<ModificationResult> {
      const body = {
        merchantAccount: config.merchantAccount,
        amount: { value: input.amount.amount, currency: input.amount.currency },
        reference: input.reference,
      };
      return modification('capture', await post('capture', `/payments/${encodeURIComponent(input.pspReference)}/captures`, body, input.idempotencyKey));
    },

    async refund(input: RefundInput): Promise<ModificationResult> {
      const body = {
        merchantAccount: config.merchantAccount,
        amount: { value: input.amount.amount, currency: input.amount.currency },
        reference: input.reference,
      };
      return modification('refund', await post('refund', `/payments/${encodeURIComponent(input.pspReference)}/refunds`, body, input.idempotencyKey));
    },

    async cancel(input: CancelInput): Promise<ModificationResult> {
      const body = { merchantAccount: config.merchantAccount, reference: input.reference };
      return modification('cancel', await post('cancel', `/payments/${encodeURIComponent(input.pspReference)}/cancels`, body, input.idempotencyKey));
    },

    async parseNotification(request: WebhookRequest): Promise<ParseNotificationResult> {
      if (config.webhookBasicAuth) {
        const given = headerValue(request.headers, 'authorization');
        if (!given) return webhookError('BAD_CREDENTIALS', 'basic authentication is configured but the request has no Authorization header');
        const expected = `Basic ${Buffer.from(`${config.webhookBasicAuth.username}:${config.webhookBasicAuth.password}`).toString('base64')}`;
        if (!constantTimeEqual(Buffer.from(given), Buffer.from(expected)))
          return webhookError('BAD_CREDENTIALS', 'basic authentication credentials do not match');
      }
      let body: unknown;
      try {
        body = JSON.parse(rawBodyText(request.rawBody));
      } catch {
        return webhookError('MALFORMED', 'body is not JSON');
      }
      if (!isRecord(body) || !Array.isArray(body.notificationItems) || body.notificationItems.length === 0) {
        return webhookError('MALFORMED', 'expected { live, notificationItems: [{ NotificationRequestItem }] }');
      }
      if (body.live !== String(config.live))
        return webhookError('WRONG_ACCOUNT', `a ${body.live === 'true' ? 'live' : 'test'} notification reached the ${config.live ? 'live' : 'test'} endpoint`);
      const items: Record<string, unknown>[] = [];
      for (const [i, wrapper] of body.notificationItems.entries()) {
        const item = isRecord(wrapper) ? wrapper.NotificationRequestItem : undefined;
        if (!isRecord(item)) return webhookError('MALFORMED', `notificationItems[${i}] has no NotificationRequestItem`);
        items.push(item);
      }
      // Every item must be authentic before any is used: one forged item taints the whole batch.
      for (const [i, item] of items.entries()) {
        const additionalData = isRecord(item.additionalData) ? item.additionalData : {};
        const signature = str(additionalData, 'hmacSignature');
        if (!signature) return webhookError('MISSING_SIGNATURE', `notificationItems[${i}] has no additionalData.hmacSignature`);
        const given = Buffer.from(signature, 'base64');
        const valid = config.hmacKeys.some((key) => constantTimeEqual(given, hmacSha256(Buffer.from(key, 'hex'), adyenSigningPayload(item))));
        if (!valid) return webhookError('BAD_SIGNATURE', `notificationItems[${i}] HMAC signature does not match`);
        if (item.merchantAccountCode !== config.merchantAccount) {
          return webhookError('WRONG_ACCOUNT', `notificationItems[${i}] is for merchant account ${String(item.merchantAccountCode)}`);
        }
      }
      const notifications: NormalisedNotification[] = [];
      const now = (config.now ?? (() => new Date()))();
      for (const [i, item] of items.entries()) {
        const parsed = parseItem(item, i);
        if (typeof parsed === 'string') return webhookError('MALFORMED', parsed);
        if (!parsed) continue;
        // eventDate is not among the signed fields: this window is a bound, the deduplication is the guarantee.
        const age = Math.floor((now.getTime() - parsed.occurredAt.getTime()) / 1000);
        if (age > tolerance) return webhookError('STALE_TIMESTAMP', `notificationItems[${i}].eventDate is ${age} s old, outside the ${tolerance} s tolerance`);
        if (age < -ADYEN_FUTURE_SKEW_SECONDS) return webhookError('STALE_TIMESTAMP', `notificationItems[${i}].eventDate is ${-age} s in the future`);
        notifications.push(parsed);
      }
      return { ok: true, notifications };
    },
  };
}

function actionOf(action: unknown): PaymentAction {
  if (!isRecord(action)) return { type: 'none' };
  const url = str(action, 'url');
  if (str(action, 'type') === 'redirect' && url) {
    const method = str(action, 'method') === 'POST' ? 'POST' : 'GET';
    const data = isRecord(action.data) ? Object.fromEntries(Object.entries(action.data).map(([k, v]) => [k, String(v)])) : undefined;
    return data ? { type: 'redirect', url, method, data } : { type: 'redirect', url, method };
  }
  // 3DS2, QR codes, vouchers...: Adyen's client components handle the action object as is.
  return { type: 'sdk', psp: 'adyen', payload: action };
}
