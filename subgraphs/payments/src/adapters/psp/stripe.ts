import { isIsoCurrency, type Money } from '@ipay/platform';
import { fromPspMinorUnits, toPspMinorUnits } from './amount.ts';
import {
  PspError,
  webhookError,
  type CancelInput,
  type CaptureInput,
  type CreatePaymentInput,
  type CreatedPayment,
  type ModificationResult,
  type NormalisedNotification,
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
  formEncode,
  headerValue,
  hmacSha256,
  isRecord,
  rawBodyBytes,
  rawBodyText,
  str,
} from './http.ts';
import type { PaymentSessionStatus } from '../../domain/state-machine.ts';

/** Stripe PaymentIntents API and signed webhook events (`Stripe-Signature: t=...,v1=...`). */
export interface StripeConfig {
  readonly secretKey: string;
  /** Endpoint signing secrets (whsec_...). Several during a rotation: Stripe then signs with each (several v1 entries). */
  readonly webhookSecrets: readonly string[];
  readonly apiUrl?: string;
  /** How old a signed timestamp may be; Stripe's libraries default to five minutes. */
  readonly toleranceSeconds?: number;
  readonly apiVersion?: string;
  readonly timeoutMs?: number;
  /** Injectable clock for the replay window. */
  readonly now?: () => Date;
}

/** The metadata key our IPAY reference travels under. */
export const STRIPE_REFERENCE_KEY = 'ipay_reference';

/** Stripe signs `${t}.${rawBody}` with HMAC-SHA256 and sends the hex digest as v1. */
export function stripeSignature(secret: string, timestamp: number, rawBody: string | Uint8Array): string {
  return hmacSha256(secret, Buffer.concat([Buffer.from(`${timestamp}.`), rawBodyBytes(rawBody)])).toString('hex');
}

const INTENT_STATUS: Readonly<Record<string, PaymentSessionStatus>> = {
  requires_payment_method: 'REQUESTED',
  requires_confirmation: 'REQUESTED',
  requires_action: 'REQUESTED',
  processing: 'REQUESTED',
  requires_capture: 'AUTHORIZED',
  succeeded: 'CONFIRMED',
  canceled: 'CANCELLED',
};

export function createStripeAdapter(config: StripeConfig): PspAdapter {
  if (config.webhookSecrets.length === 0) throw new Error('stripe: at least one webhook signing secret is required');
  const timeoutMs = config.timeoutMs ?? DEFAULT_PSP_TIMEOUT_MS;
  const base = (config.apiUrl ?? 'https://api.stripe.com').replace(/\/+$/, '');
  const tolerance = config.toleranceSeconds ?? 300;
  const now = config.now ?? (() => new Date());

  async function post(operation: string, path: string, params: Record<string, unknown>, idempotencyKey: string): Promise<Record<string, unknown>> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${config.secretKey}`,
      'content-type': 'application/x-www-form-urlencoded',
      'idempotency-key': idempotencyKey,
    };
    if (config.apiVersion) headers['stripe-version'] = config.apiVersion;
    const response = await callPsp('stripe', operation, `${base}${path}`, { method: 'POST', headers, body: formEncode(params), timeoutMs });
    if (response.status >= 200 && response.status < 300 && isRecord(response.body)) return response.body;
    // Stripe errors: { error: { type, code, decline_code, message, param } }.
    const error = isRecord(response.body) && isRecord(response.body.error) ? response.body.error : {};
    throw new PspError(
      'stripe',
      operation,
      response.status < 300 ? 'invalid_response' : errorKindFor(response.status),
      str(error, 'message') ?? `HTTP ${response.status}`,
      {
        httpStatus: response.status,
        pspCode: str(error, 'decline_code') ?? str(error, 'code'),
        field: str(error, 'param'),
      },
    );
  }

  function intentOf(operation: string, body: Record<string, unknown>): { id: string; status: string } {
    const id = str(body, 'id');
    const status = str(body, 'status');
    if (!id?.startsWith('pi_') || !status || !(status in INTENT_STATUS)) {
      throw new PspError('stripe', operation, 'invalid_response', `expected a PaymentIntent, got ${JSON.stringify({ id, status })}`);
    }
    return { id, status };
  }

  function verify(request: WebhookRequest): { ok: true } | ReturnType<typeof webhookError> {
    const header = headerValue(request.headers, 'stripe-signature');
    if (!header) return webhookError('MISSING_SIGNATURE', 'no Stripe-Signature header');
    let timestamp: number | undefined;
    const signatures: string[] = [];
    for (const part of header.split(',')) {
      const at = part.indexOf('=');
      if (at < 0) continue;
      const key = part.slice(0, at).trim();
      const value = part.slice(at + 1).trim();
      if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
      // Other schemes (v0 test signatures) are ignored, as Stripe's own libraries do.
      if (key === 'v1') signatures.push(value);
    }
    if (timestamp === undefined) return webhookError('MALFORMED', 'Stripe-Signature has no valid t= timestamp');
    if (signatures.length === 0) return webhookError('MISSING_SIGNATURE', 'Stripe-Signature has no v1 signature');
    const bodyBytes = rawBodyBytes(request.rawBody);
    const expected = config.webhookSecrets.map((secret) => Buffer.from(stripeSignature(secret, timestamp!, bodyBytes), 'hex'));
    const valid = signatures.some((signature) => /^[0-9a-f]{64}$/.test(signature) && expected.some((e) => constantTimeEqual(Buffer.from(signature, 'hex'), e)));
    if (!valid) return webhookError('BAD_SIGNATURE', 'no v1 signature matches the body');
    // Checked after the signature, so a forged header cannot probe the clock; both directions, against replays and skew.
    const age = Math.floor(now().getTime() / 1000) - timestamp;
    if (Math.abs(age) > tolerance) return webhookError('STALE_TIMESTAMP', `signed ${age} s ago, outside the ${tolerance} s tolerance`);
    return { ok: true };
  }

  return {
    psp: 'stripe',
    acknowledgement: { status: 200, contentType: 'application/json', body: '{"received":true}' },

    async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
      const body = await post(
        'createPayment',
        '/v1/payment_intents',
        {
          amount: stripeAmount('createPayment', input.amount),
          currency: input.amount.currency.toLowerCase(),
          capture_method: input.captureMode === 'manual' ? 'manual' : 'automatic',
          description: input.description,
          payment_method_types: [input.method],
          metadata: { [STRIPE_REFERENCE_KEY]: input.reference },
        },
        input.idempotencyKey,
      );
      const intent = intentOf('createPayment', body);
      return {
        pspReference: intent.id,
        status: INTENT_STATUS[intent.status]!,
        pspStatusCode: intent.status,
        action: actionOf(body),
        amount: input.amount,
        refusalReason: isRecord(body.last_payment_error) ? (str(body.last_payment_error, 'message') ?? null) : null,
        raw: body,
      };
    },

    async capture(input: CaptureInput): Promise<ModificationResult> {
      const body = await post(
        'capture',
        `/v1/payment_intents/${encodeURIComponent(input.pspReference)}/capture`,
        { amount_to_capture: stripeAmount('capture', input.amount) },
        input.idempotencyKey,
      );
      const intent = intentOf('capture', body);
      // Stripe captures synchronously; `processing` (some methods) settles later with payment_intent.succeeded.
      return {
        modificationReference: intent.id,
        outcome: intent.status === 'succeeded' ? 'succeeded' : intent.status === 'processing' ? 'pending' : 'failed',
        pspStatusCode: intent.status,
        raw: body,
      };
    },

    async refund(input: RefundInput): Promise<ModificationResult> {
      const body = await post(
        'refund',
        '/v1/refunds',
        { payment_intent: input.pspReference, amount: stripeAmount('refund', input.amount), metadata: { [STRIPE_REFERENCE_KEY]: input.reference } },
        input.idempotencyKey,
      );
      const id = str(body, 'id');
      const status = str(body, 'status');
      if (!id?.startsWith('re_') || !status) throw new PspError('stripe', 'refund', 'invalid_response', 'expected a Refund object');
      const outcome = status === 'succeeded' ? 'succeeded' : status === 'failed' || status === 'canceled' ? 'failed' : 'pending';
      return { modificationReference: id, outcome, pspStatusCode: status, raw: body };
    },

    async cancel(input: CancelInput): Promise<ModificationResult> {
      const body = await post('cancel', `/v1/payment_intents/${encodeURIComponent(input.pspReference)}/cancel`, {}, input.idempotencyKey);
      const intent = intentOf('cancel', body);
      return { modificationReference: intent.id, outcome: intent.status === 'canceled' ? 'succeeded' : 'failed', pspStatusCode: intent.status, raw: body };
    },

    async parseNotification(request: WebhookRequest): Promise<ParseNotificationResult> {
      const verified = verify(request);
      if (!verified.ok) return verified;
      let event: unknown;
      try {
        event = JSON.parse(rawBodyText(request.rawBody));
      } catch {
        return webhookError('MALFORMED', 'body is not JSON');
      }
      if (!isRecord(event) || event.object !== 'event' || !str(event, 'id')?.startsWith('evt_') || !str(event, 'type')) {
        return webhookError('MALFORMED', 'expected a Stripe event { id: "evt_...", object: "event", type, created, data: { object } }');
      }
      const created = event.created;
      const object = isRecord(event.data) ? event.data.object : undefined;
      if (typeof created !== 'number' || !Number.isSafeInteger(created) || !isRecord(object)) {
        return webhookError('MALFORMED', 'event lacks created or data.object');
      }
      const parsed = normaliseEvent(str(event, 'id')!, str(event, 'type')!, new Date(created * 1000), object, event);
      if (typeof parsed === 'string') return webhookError('MALFORMED', parsed);
      return { ok: true, notifications: parsed ? [parsed] : [] };
    },
  };
}

/** Our ISO minor units in Stripe's count (psp/amount.ts rules); an amount Stripe cannot represent is a refusal. */
function stripeAmount(operation: string, money: Money): number {
  try {
    return toPspMinorUnits('stripe', money.amount, money.currency);
  } catch (error) {
    throw new PspError('stripe', operation, 'rejected', (error as Error).message, { field: 'amount' });
  }
}

function normaliseEvent(id: string, type: string, occurredAt: Date, object: Record<string, unknown>, raw: unknown): NormalisedNotification | string | null {
  const currency = str(object, 'currency')?.toUpperCase();
  if (!currency || !isIsoCurrency(currency)) return `${type}: data.object.currency is not an ISO 4217 code`;
  const minor = (field: string): number | string => {
    const value = object[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return `${type}: data.object.${field} must be integer minor units`;
    try {
      return fromPspMinorUnits('stripe', value, currency);
    } catch (error) {
      return `${type}: data.object.${field}: ${(error as Error).message}`;
    }
  };
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const base = {
    psp: 'stripe' as const,
    pspEventId: id,
    merchantReference: str(metadata, STRIPE_REFERENCE_KEY) ?? null,
    pspStatusCode: type,
    occurredAt,
    raw,
    refundedTotal: null,
  };

  if (type.startsWith('payment_intent.')) {
    const pspReference = str(object, 'id');
    if (!pspReference?.startsWith('pi_')) return `${type}: data.object is not a PaymentIntent`;
    const intent = { ...base, pspReference, modificationReference: null, retryableByShopper: false, reason: null };
    switch (type) {
      case 'payment_intent.amount_capturable_updated': {
        // Manual capture: the funds are authorized and wait for /capture.
        const amount = minor('amount_capturable');
        if (typeof amount === 'string') return amount;
        return { ...intent, kind: 'AUTHORIZATION', success: true, amount: { amount, currency } };
      }
      case 'payment_intent.succeeded': {
        const amount = minor('amount_received');
        if (typeof amount === 'string') return amount;
        return { ...intent, kind: 'CAPTURE', success: true, amount: { amount, currency } };
      }
      case 'payment_intent.payment_failed': {
        // The PaymentIntent returns to requires_payment_method: the shopper may try another card.
        const error = isRecord(object.last_payment_error) ? object.last_payment_error : {};
        const amount = minor('amount');
        if (typeof amount === 'string') return amount;
        return {
          ...intent,
          kind: 'AUTHORIZATION',
          success: false,
          retryableByShopper: true,
          amount: { amount, currency },
          reason: str(error, 'decline_code') ?? str(error, 'code') ?? str(error, 'message') ?? null,
        };
      }
      case 'payment_intent.canceled': {
        // `automatic`: Stripe cancelled it itself, e.g. an authorization that expired uncaptured.
        const reason = str(object, 'cancellation_reason') ?? null;
        return { ...intent, kind: reason === 'automatic' ? 'EXPIRATION' : 'CANCELLATION', success: true, amount: null, reason };
      }
      default:
        return null;
    }
  }
  if (type === 'charge.refunded') {
    const pspReference = str(object, 'payment_intent');
    const charge = str(object, 'id');
    if (!pspReference?.startsWith('pi_') || !charge?.startsWith('ch_')) return `${type}: data.object is not a Charge of a PaymentIntent`;
    const refunded = minor('amount_refunded');
    if (typeof refunded === 'string') return refunded;
    if (refunded === 0) return `${type}: amount_refunded is 0`;
    // amount_refunded is the charge's cumulative refunded amount, so late or repeated events cannot double count.
    return {
      ...base,
      pspReference,
      modificationReference: charge,
      kind: 'REFUND',
      success: true,
      retryableByShopper: false,
      amount: { amount: refunded, currency },
      refundedTotal: refunded,
      reason: null,
    };
  }
  return null;
}

function actionOf(intent: Record<string, unknown>): PaymentAction {
  const next = isRecord(intent.next_action) ? intent.next_action : undefined;
  const redirect = next && isRecord(next.redirect_to_url) ? str(next.redirect_to_url, 'url') : undefined;
  if (redirect) return { type: 'redirect', url: redirect, method: 'GET' };
  const clientSecret = str(intent, 'client_secret');
  // Stripe.js confirms the PaymentIntent in the browser with its client secret.
  return clientSecret ? { type: 'sdk', psp: 'stripe', payload: { clientSecret } } : { type: 'none' };
}
