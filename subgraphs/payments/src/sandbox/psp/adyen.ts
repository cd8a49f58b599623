import { isIsoCurrency } from '@ipay/platform';
import { adyenHmacSignature } from '../../adapters/psp/adyen.ts';
import { isRecord, str } from '../../adapters/psp/http.ts';
import {
  HANG,
  SandboxCore,
  headerString,
  parseJson,
  randomId,
  sandboxHandle,
  type OutgoingNotification,
  type PspSandbox,
  type SandboxRequest,
  type SandboxResponse,
  type SandboxScenario,
} from './core.ts';

export interface AdyenSandboxOptions {
  readonly apiKey: string;
  readonly merchantAccount: string;
  /** The HMAC key (hex) the "Customer Area" signs notifications with. */
  readonly hmacKey: string;
  /** The webhook endpoint configured in the "Customer Area". */
  readonly webhookUrl: string;
  readonly webhookBasicAuth?: { readonly username: string; readonly password: string };
  readonly defaults?: Partial<SandboxScenario>;
}

type AdyenStatus = 'pending' | 'authorized' | 'refused' | 'captured' | 'cancelled' | 'expired';

interface AdyenPayment {
  readonly pspReference: string;
  readonly reference: string;
  readonly value: number;
  readonly currency: string;
  readonly method: string;
  readonly manualCapture: boolean;
  status: AdyenStatus;
  captured: number;
  refunded: number;
}

/** Adyen's 16-character pspReferences. */
const pspReferenceOf = () => randomId(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');

const WRONG_KEY = 'DEADBEEF'.repeat(8);

/**
 * A local Adyen: Checkout API `/v{n}/payments` and modifications, answering like Adyen, and standard notifications
 * signed with `additionalData.hmacSignature` posted to the webhook URL.
 */
export async function startAdyenSandbox(options: AdyenSandboxOptions): Promise<PspSandbox> {
  const payments = new Map<string, AdyenPayment>();
  const core: SandboxCore = new SandboxCore('adyen', options.defaults ?? {}, route);

  function error(status: number, errorCode: string, message: string, errorType = 'validation'): SandboxResponse {
    return { status, body: { status, errorCode, message, errorType } };
  }

  function notification(
    payment: AdyenPayment,
    eventCode: string,
    success: boolean,
    extra: { value?: number; modificationReference?: string; reason?: string } = {},
  ): OutgoingNotification {
    return {
      url: options.webhookUrl,
      describe: `${eventCode} ${success}`,
      build: ({ badSignature }) => {
        const item: Record<string, unknown> = {
          additionalData: {},
          amount: { currency: payment.currency, value: extra.value ?? payment.value },
          eventCode,
          eventDate: new Date().toISOString(),
          merchantAccountCode: options.merchantAccount,
          merchantReference: payment.reference,
          paymentMethod: payment.method === 'scheme' ? 'visa' : payment.method,
          pspReference: extra.modificationReference ?? payment.pspReference,
          reason: extra.reason ?? '',
          success: String(success),
        };
        if (extra.modificationReference) item.originalReference = payment.pspReference;
        item.additionalData = { hmacSignature: adyenHmacSignature(item, badSignature ? WRONG_KEY : options.hmacKey) };
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (options.webhookBasicAuth) {
          headers.authorization = `Basic ${Buffer.from(`${options.webhookBasicAuth.username}:${options.webhookBasicAuth.password}`).toString('base64')}`;
        }
        return { headers, body: JSON.stringify({ live: 'false', notificationItems: [{ NotificationRequestItem: item }] }) };
      },
    };
  }

  /** The shopper finishes (or abandons) the payment; Adyen reports the authorization and, with automatic capture, the capture. */
  function settle(payment: AdyenPayment): void {
    const { outcome } = core.scenarioFor(payment.reference);
    if (outcome === 'expire') {
      payment.status = 'expired';
      core.notify(payment.reference, [notification(payment, 'OFFER_CLOSED', true)]);
    } else if (outcome === 'decline') {
      payment.status = 'refused';
      core.notify(payment.reference, [notification(payment, 'AUTHORISATION', false, { reason: 'Refused' })]);
    } else if (payment.manualCapture) {
      payment.status = 'authorized';
      core.notify(payment.reference, [notification(payment, 'AUTHORISATION', true)]);
    } else {
      payment.status = 'captured';
      payment.captured = payment.value;
      core.notify(payment.reference, [
        notification(payment, 'AUTHORISATION', true),
        notification(payment, 'CAPTURE', true, { modificationReference: pspReferenceOf() }),
      ]);
    }
  }

  async function route(request: SandboxRequest): Promise<SandboxResponse | typeof HANG> {
    if (headerString(request.headers, 'x-api-key') !== options.apiKey) return error(401, '000', 'HTTP Status Response - Unauthorized', 'security');
    const body = parseJson(request.body);
    if (request.method !== 'POST' || !isRecord(body)) return error(400, '702', 'Structure of the request is invalid');
    if (body.merchantAccount !== options.merchantAccount) return error(403, '901', 'Invalid Merchant Account', 'security');
    const idempotencyKey = headerString(request.headers, 'idempotency-key');
    const conflict = () => error(422, '704', 'request already processed or in progress with a different body');

    if (/^\/v\d+\/payments$/.test(request.path)) {
      const reference = str(body, 'reference');
      const amount = isRecord(body.amount) ? body.amount : {};
      const method = isRecord(body.paymentMethod) ? str(body.paymentMethod, 'type') : undefined;
      if (!reference) return error(422, '130', "Required field 'reference' is not provided.");
      if (typeof amount.value !== 'number' || !Number.isSafeInteger(amount.value) || amount.value <= 0) return error(422, '137', 'Invalid amount specified');
      if (typeof amount.currency !== 'string' || !isIsoCurrency(amount.currency)) return error(422, '138', 'Invalid currency specified');
      if (!method) return error(422, '08_002', "Required object 'paymentMethod' is not provided.");
      if (!str(body, 'returnUrl')) return error(422, '14_006', "Required field 'returnUrl' is not provided.");
      if (core.hangs(reference, 'create')) return HANG;
      return core.idempotent(
        idempotencyKey,
        request,
        async () => {
          const additionalData = isRecord(body.additionalData) ? body.additionalData : {};
          const payment: AdyenPayment = {
            pspReference: pspReferenceOf(),
            reference,
            value: amount.value as number,
            currency: amount.currency as string,
            method,
            manualCapture: additionalData.manualCapture === 'true',
            status: 'pending',
            captured: 0,
            refunded: 0,
          };
          payments.set(payment.pspReference, payment);
          const { outcome, awaitShopper } = core.scenarioFor(reference);
          const base = { pspReference: payment.pspReference, merchantReference: reference, amount: { currency: payment.currency, value: payment.value } };
          if (method === 'scheme' && outcome !== 'expire' && !awaitShopper) {
            // Cards without 3DS decide at once; the AUTHORISATION notification follows.
            settle(payment);
            return {
              status: 200,
              body:
                outcome === 'decline'
                  ? { ...base, resultCode: 'Refused', refusalReason: 'Refused', refusalReasonCode: '2' }
                  : { ...base, resultCode: 'Authorised' },
            };
          }
          // Redirect methods (and cards with a 3-D Secure redirect): the shopper goes to the issuer, then Adyen reports the result.
          core.shopper(reference, () => settle(payment));
          return {
            status: 200,
            body: {
              ...base,
              resultCode: 'RedirectShopper',
              action: { paymentMethodType: method, url: `${core.url}/hpp/checkout/${payment.pspReference}`, method: 'GET', type: 'redirect' },
            },
          };
        },
        conflict,
      );
    }

    const modification = /^\/v\d+\/payments\/([A-Z0-9]+)\/(captures|refunds|cancels)$/.exec(request.path);
    if (modification) {
      const payment = payments.get(modification[1]!);
      if (!payment) return error(422, '167', 'Original pspReference required for this operation');
      const kind = modification[2] as 'captures' | 'refunds' | 'cancels';
      const operation = kind === 'captures' ? 'capture' : kind === 'refunds' ? 'refund' : 'cancel';
      if (core.hangs(payment.reference, operation)) return HANG;
      return core.idempotent(
        idempotencyKey,
        request,
        async () => {
          const amount = isRecord(body.amount) ? body.amount : {};
          const value = amount.value;
          if (kind !== 'cancels') {
            if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) return error(422, '137', 'Invalid amount specified');
            if (amount.currency !== payment.currency) return error(422, '138', `Currency must be ${payment.currency}`);
          }
          const modificationReference = pspReferenceOf();
          if (kind === 'captures') {
            if (payment.status !== 'authorized') return error(422, '167', `payment is ${payment.status}; only an authorized payment can be captured`);
            if ((value as number) > payment.value) return error(422, '137', 'Capture amount exceeds the authorized amount');
            payment.status = 'captured';
            payment.captured = value as number;
            core.notify(payment.reference, [notification(payment, 'CAPTURE', true, { value: value as number, modificationReference })]);
          } else if (kind === 'refunds') {
            if (payment.status !== 'captured') return error(422, '167', `payment is ${payment.status}; only a captured payment can be refunded`);
            if (payment.refunded + (value as number) > payment.captured) return error(422, '137', 'Refund amount exceeds the captured amount');
            payment.refunded += value as number;
            core.notify(payment.reference, [notification(payment, 'REFUND', true, { value: value as number, modificationReference })]);
          } else {
            if (payment.status !== 'authorized' && payment.status !== 'pending')
              return error(422, '167', `payment is ${payment.status}; it cannot be cancelled`);
            payment.status = 'cancelled';
            core.notify(payment.reference, [notification(payment, 'CANCELLATION', true, { modificationReference })]);
          }
          const answer: Record<string, unknown> = {
            merchantAccount: options.merchantAccount,
            paymentPspReference: payment.pspReference,
            pspReference: modificationReference,
            reference: str(body, 'reference') ?? payment.reference,
            status: 'received',
          };
          if (kind !== 'cancels') answer.amount = { currency: payment.currency, value };
          return { status: 201, body: answer };
        },
        conflict,
      );
    }
    return error(404, '000', `no route ${request.method} ${request.path}`);
  }

  await core.start();
  return sandboxHandle(core);
}
