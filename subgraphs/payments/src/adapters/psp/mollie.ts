import { isIsoCurrency, type Money } from '@ipay/platform';
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
  type PspAdapter,
  type RefundInput,
  type WebhookRequest,
} from './adapter.ts';
import { decimalToMinorUnits, minorUnitsToDecimal } from './amount.ts';
import {
  DEFAULT_PSP_TIMEOUT_MS,
  callPsp,
  constantTimeEqual,
  errorKindFor,
  headerValue,
  headerValues,
  hmacSha256,
  isRecord,
  rawBodyBytes,
  rawBodyText,
  str,
} from './http.ts';
import type { PaymentSessionStatus } from '../../domain/state-machine.ts';

/**
 * Mollie Payments API v2 and both of Mollie's webhook systems:
 * - classic: Mollie POSTs `id=tr_...` (form-encoded, unsigned) to the payment's webhookUrl; the status is learnt by
 *   fetching the payment with our API key, so a forged call can at most make us re-read a payment we own;
 * - next-gen: a JSON event signed with `X-Mollie-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.
 */
export interface MollieConfig {
  readonly apiKey: string;
  readonly apiUrl?: string;
  /** Our classic webhook endpoint; sent as each payment's webhookUrl. */
  readonly webhookUrl: string;
  /** Next-gen webhook signing secrets; several during a rotation (Mollie then sends one signature per secret). */
  readonly webhookSigningSecrets?: readonly string[];
  readonly timeoutMs?: number;
  readonly now?: () => Date;
}

/** The metadata key our IPAY reference travels under. */
export const MOLLIE_REFERENCE_KEY = 'ipayReference';

export function mollieSignature(secret: string, rawBody: string | Uint8Array): string {
  return `sha256=${hmacSha256(secret, rawBodyBytes(rawBody)).toString('hex')}`;
}

const METHOD: Readonly<Record<string, string>> = { card: 'creditcard' };

const PAYMENT_STATUS: Readonly<Record<string, PaymentSessionStatus>> = {
  open: 'REQUESTED',
  pending: 'REQUESTED',
  authorized: 'AUTHORIZED',
  paid: 'CONFIRMED',
  failed: 'FAILED',
  expired: 'EXPIRED',
  canceled: 'CANCELLED',
};

const PAYMENT_ID = /^tr_[A-Za-z0-9]{1,64}$/;

function mollieAmount(money: Money): { currency: string; value: string } {
  return { currency: money.currency, value: minorUnitsToDecimal(money.amount, money.currency) };
}

/** Mollie's `{ currency, value: "78.40" }` in minor units; throws on anything that is not an exact amount. */
export function parseMollieAmount(value: unknown): Money {
  if (!isRecord(value)) throw new RangeError('amount must be an object { currency, value }');
  const currency = str(value, 'currency');
  const decimal = str(value, 'value');
  if (!currency || !isIsoCurrency(currency)) throw new RangeError(`amount.currency ${JSON.stringify(currency)} is not an ISO 4217 code`);
  if (decimal === undefined) throw new RangeError('amount.value must be a decimal string');
  return { amount: decimalToMinorUnits(decimal, currency), currency };
}

export function createMollieAdapter(config: MollieConfig): PspAdapter {
  const timeoutMs = config.timeoutMs ?? DEFAULT_PSP_TIMEOUT_MS;
  const base = (config.apiUrl ?? 'https://api.mollie.com').replace(/\/+$/, '');
  const secrets = config.webhookSigningSecrets ?? [];
  const now = config.now ?? (() => new Date());

  async function call(operation: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: Record<string, unknown>, idempotencyKey?: string) {
    const headers: Record<string, string> = { authorization: `Bearer ${config.apiKey}`, accept: 'application/hal+json' };
    if (body) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const response = await callPsp('mollie', operation, `${base}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined, timeoutMs });
    if (response.status >= 200 && response.status < 300 && isRecord(response.body)) return response.body;
    // Mollie errors are problem+json: { status, title, detail, field }.
    const problem = isRecord(response.body) ? response.body : {};
    throw new PspError(
      'mollie',
      operation,
      response.status < 300 ? 'invalid_response' : errorKindFor(response.status),
      str(problem, 'detail') ?? str(problem, 'title') ?? `HTTP ${response.status}`,
      {
        httpStatus: response.status,
        field: str(problem, 'field'),
      },
    );
  }

  function paymentOf(operation: string, body: Record<string, unknown>): { id: string; status: string } {
    const id = str(body, 'id');
    const status = str(body, 'status');
    if (body.resource !== 'payment' || !id || !PAYMENT_ID.test(id) || !status || !(status in PAYMENT_STATUS)) {
      throw new PspError('mollie', operation, 'invalid_response', `expected a payment, got ${JSON.stringify({ resource: body.resource, id, status })}`);
    }
    return { id, status };
  }

  async function modification(
    operation: 'capture' | 'refund',
    path: string,
    body: Record<string, unknown>,
    idempotencyKey: string,
  ): Promise<ModificationResult> {
    const response = await call(operation, 'POST', path, body, idempotencyKey);
    const id = str(response, 'id');
    const status = str(response, 'status');
    if (!id || !status) throw new PspError('mollie', operation, 'invalid_response', `expected a ${operation} object with id and status`);
    // Captures: pending|succeeded|failed. Refunds: queued|pending|processing|refunded|failed|canceled.
    const outcome = status === 'succeeded' || status === 'refunded' ? 'succeeded' : status === 'failed' || status === 'canceled' ? 'failed' : 'pending';
    return { modificationReference: id, outcome, pspStatusCode: status, raw: response };
  }

  /** Reads the payment and derives what happened from its status and amounts. */
  async function fetchNotifications(paymentId: string, snapshot?: Record<string, unknown>): Promise<ParseNotificationResult> {
    let payment: Record<string, unknown>;
    if (snapshot) {
      payment = snapshot;
    } else {
      try {
        payment = await call('getPayment', 'GET', `/v2/payments/${paymentId}`);
      } catch (error) {
        // An id that is not ours (or a forged one): acknowledge so Mollie stops, and change nothing.
        if (error instanceof PspError && error.kind === 'not_found') return { ok: true, notifications: [] };
        const message = error instanceof Error ? error.message : String(error);
        return webhookError('UPSTREAM_UNAVAILABLE', `could not fetch ${paymentId} to learn its status (${message}); Mollie will call again`);
      }
    }
    try {
      return { ok: true, notifications: notificationsFromPayment(payment, now()) };
    } catch (error) {
      return webhookError('MALFORMED', `payment ${paymentId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  return {
    psp: 'mollie',
    acknowledgement: { status: 200, contentType: 'text/plain', body: '' },

    async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
      const body: Record<string, unknown> = {
        amount: mollieAmount(input.amount),
        description: input.description,
        redirectUrl: input.returnUrl,
        webhookUrl: config.webhookUrl,
        method: METHOD[input.method] ?? input.method,
        metadata: { [MOLLIE_REFERENCE_KEY]: input.reference },
      };
      if (input.captureMode === 'manual') body.captureMode = 'manual';
      const response = await call('createPayment', 'POST', '/v2/payments', body, input.idempotencyKey);
      const payment = paymentOf('createPayment', response);
      const links = isRecord(response._links) ? response._links : {};
      const checkout = isRecord(links.checkout) ? str(links.checkout, 'href') : undefined;
      return {
        pspReference: payment.id,
        status: PAYMENT_STATUS[payment.status]!,
        pspStatusCode: payment.status,
        action: checkout ? { type: 'redirect', url: checkout, method: 'GET' } : { type: 'none' },
        amount: input.amount,
        refusalReason: null,
        raw: response,
      };
    },

    capture(input: CaptureInput): Promise<ModificationResult> {
      return modification(
        'capture',
        `/v2/payments/${encodeURIComponent(input.pspReference)}/captures`,
        { amount: mollieAmount(input.amount), description: input.reference },
        input.idempotencyKey,
      );
    },

    refund(input: RefundInput): Promise<ModificationResult> {
      return modification(
        'refund',
        `/v2/payments/${encodeURIComponent(input.pspReference)}/refunds`,
        { amount: mollieAmount(input.amount), description: `Refund ${input.reference}`, metadata: { [MOLLIE_REFERENCE_KEY]: input.reference } },
        input.idempotencyKey,
      );
    },

    async cancel(input: CancelInput): Promise<ModificationResult> {
      const response = await call('cancel', 'DELETE', `/v2/payments/${encodeURIComponent(input.pspReference)}`, undefined, input.idempotencyKey);
      const payment = paymentOf('cancel', response);
      return {
        modificationReference: payment.id,
        outcome: payment.status === 'canceled' ? 'succeeded' : 'failed',
        pspStatusCode: payment.status,
        raw: response,
      };
    },

    async parseNotification(request: WebhookRequest): Promise<ParseNotificationResult> {
      const signatures = headerValues(request.headers, 'x-mollie-signature').flatMap((value) => value.split(',').map((s) => s.trim()));
      const contentType = headerValue(request.headers, 'content-type') ?? '';
      const text = rawBodyText(request.rawBody);

      if (contentType.includes('application/json') || signatures.length > 0) {
        // Next-gen: the signature is the only thing vouching for the body.
        if (signatures.length === 0) return webhookError('MISSING_SIGNATURE', 'next-gen Mollie webhooks carry X-Mollie-Signature');
        if (secrets.length === 0) return webhookError('BAD_SIGNATURE', 'no next-gen signing secret is configured to verify X-Mollie-Signature');
        const expected = secrets.map((secret) => Buffer.from(mollieSignature(secret, request.rawBody)));
        const valid = signatures.some((signature) => expected.some((e) => constantTimeEqual(Buffer.from(signature), e)));
        if (!valid) return webhookError('BAD_SIGNATURE', 'X-Mollie-Signature does not match the body');
        let event: unknown;
        try {
          event = JSON.parse(text);
        } catch {
          return webhookError('MALFORMED', 'body is not JSON');
        }
        if (!isRecord(event) || event.resource !== 'event' || !str(event, 'type') || !str(event, 'entityId')) {
          return webhookError('MALFORMED', 'expected a Mollie event { resource: "event", id, type, entityId, createdAt }');
        }
        const entityId = str(event, 'entityId')!;
        if (!str(event, 'type')!.startsWith('payment.') || !PAYMENT_ID.test(entityId)) return { ok: true, notifications: [] };
        const embedded = isRecord(event._embedded) && isRecord(event._embedded.entity) ? event._embedded.entity : undefined;
        // A full-payload event carries a signed snapshot of the payment; a simple one only names it.
        return fetchNotifications(entityId, embedded?.resource === 'payment' && embedded.id === entityId ? embedded : undefined);
      }

      // Classic: `id=tr_...` and nothing else to trust.
      const id = new URLSearchParams(text).get('id');
      if (!id || !PAYMENT_ID.test(id)) return webhookError('MALFORMED', 'expected a form body id=tr_...');
      return fetchNotifications(id);
    },
  };
}

function dateField(payment: Record<string, unknown>, field: string, fallback: Date): Date {
  const value = str(payment, field);
  const date = value ? new Date(value) : fallback;
  if (Number.isNaN(date.getTime())) throw new RangeError(`${field} is not a date`);
  return date;
}

/**
 * What a Mollie payment's current state says happened. Mollie has no event ids in the classic flow, so the ids are
 * derived from the state itself (payment + status, payment + refunded total): re-reading the same state yields the
 * same ids, which the state machine drops as duplicates.
 */
export function notificationsFromPayment(payment: Record<string, unknown>, fetchedAt: Date): NormalisedNotification[] {
  const id = str(payment, 'id');
  const status = str(payment, 'status');
  if (payment.resource !== 'payment' || !id || !PAYMENT_ID.test(id) || !status || !(status in PAYMENT_STATUS)) {
    throw new RangeError('not a Mollie payment with a known status');
  }
  const amount = parseMollieAmount(payment.amount);
  const metadata = isRecord(payment.metadata) ? payment.metadata : {};
  const base = {
    psp: 'mollie' as const,
    pspReference: id,
    modificationReference: null,
    merchantReference: str(metadata, MOLLIE_REFERENCE_KEY) ?? null,
    retryableByShopper: false,
    refundedTotal: null,
    reason: null,
    raw: payment,
  };
  const notifications: NormalisedNotification[] = [];
  const authorizedAt = str(payment, 'authorizedAt');
  if (status === 'authorized' || (status === 'paid' && authorizedAt)) {
    notifications.push({
      ...base,
      pspEventId: `${id}:authorized`,
      kind: 'AUTHORIZATION',
      success: true,
      amount,
      pspStatusCode: 'authorized',
      occurredAt: dateField(payment, 'authorizedAt', fetchedAt),
    });
  }
  switch (status) {
    case 'paid': {
      const captured = payment.amountCaptured === undefined ? amount : parseMollieAmount(payment.amountCaptured);
      notifications.push({
        ...base,
        pspEventId: `${id}:paid`,
        kind: 'CAPTURE',
        success: true,
        amount: captured.amount > 0 ? captured : amount,
        pspStatusCode: status,
        occurredAt: dateField(payment, 'paidAt', fetchedAt),
      });
      break;
    }
    case 'failed':
      notifications.push({
        ...base,
        pspEventId: `${id}:failed`,
        kind: 'AUTHORIZATION',
        success: false,
        amount,
        pspStatusCode: status,
        occurredAt: dateField(payment, 'failedAt', fetchedAt),
      });
      break;
    case 'expired':
      notifications.push({
        ...base,
        pspEventId: `${id}:expired`,
        kind: 'EXPIRATION',
        success: true,
        amount: null,
        pspStatusCode: status,
        occurredAt: dateField(payment, 'expiredAt', fetchedAt),
      });
      break;
    case 'canceled':
      notifications.push({
        ...base,
        pspEventId: `${id}:canceled`,
        kind: 'CANCELLATION',
        success: true,
        amount: null,
        pspStatusCode: status,
        occurredAt: dateField(payment, 'canceledAt', fetchedAt),
      });
      break;
  }
  if (payment.amountRefunded !== undefined) {
    const refunded = parseMollieAmount(payment.amountRefunded);
    if (refunded.amount > 0) {
      // The payment carries no refund timestamp; the refund happened no later than we read it.
      notifications.push({
        ...base,
        pspEventId: `${id}:refunded:${refunded.amount}`,
        kind: 'REFUND',
        success: true,
        amount: refunded,
        refundedTotal: refunded.amount,
        pspStatusCode: 'refunded',
        occurredAt: fetchedAt,
      });
    }
  }
  return notifications;
}
