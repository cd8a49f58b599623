import { isIsoCurrency } from '@ipay/platform';
import { STRIPE_REFERENCE_KEY, stripeSignature } from '../../adapters/psp/stripe.ts';
import {
  HANG,
  SandboxCore,
  bearerToken,
  headerString,
  randomId,
  sandboxHandle,
  type OutgoingNotification,
  type PspSandbox,
  type SandboxRequest,
  type SandboxResponse,
  type SandboxScenario,
} from './core.ts';

export interface StripeSandboxOptions {
  readonly secretKey: string;
  /** The endpoint's signing secret (whsec_...). */
  readonly webhookSecret: string;
  /** Further secrets to sign with, as Stripe does while an endpoint secret is being rolled (several v1 entries). */
  readonly extraWebhookSecrets?: readonly string[];
  readonly webhookUrl: string;
  readonly defaults?: Partial<SandboxScenario>;
}

interface Intent {
  readonly id: string;
  readonly amount: number;
  readonly currency: string;
  readonly captureMethod: 'automatic' | 'manual';
  readonly metadata: Record<string, string>;
  readonly description: string | null;
  readonly paymentMethodTypes: string[];
  readonly created: number;
  readonly clientSecret: string;
  status: string;
  amountCapturable: number;
  amountReceived: number;
  chargeId: string | null;
  amountRefunded: number;
  lastPaymentError: Record<string, string> | null;
  cancellationReason: string | null;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * A local Stripe: PaymentIntents (`/v1/payment_intents`, capture, cancel) and `/v1/refunds` over form-encoded
 * requests, and event objects posted with a `Stripe-Signature` header.
 */
export async function startStripeSandbox(options: StripeSandboxOptions): Promise<PspSandbox> {
  const intents = new Map<string, Intent>();
  const core: SandboxCore = new SandboxCore('stripe', options.defaults ?? {}, route);

  const failure = (status: number, type: string, message: string, extra: Record<string, string> = {}): SandboxResponse => ({
    status,
    body: { error: { type, message, ...extra } },
  });
  const invalid = (param: string, message: string, code = 'parameter_invalid') => failure(400, 'invalid_request_error', message, { code, param });

  function intentJson(intent: Intent): Record<string, unknown> {
    return {
      id: intent.id,
      object: 'payment_intent',
      amount: intent.amount,
      amount_capturable: intent.amountCapturable,
      amount_received: intent.amountReceived,
      capture_method: intent.captureMethod,
      cancellation_reason: intent.cancellationReason,
      client_secret: intent.clientSecret,
      created: intent.created,
      currency: intent.currency,
      description: intent.description,
      last_payment_error: intent.lastPaymentError,
      latest_charge: intent.chargeId,
      livemode: false,
      metadata: intent.metadata,
      next_action: null,
      payment_method_types: intent.paymentMethodTypes,
      status: intent.status,
    };
  }

  function chargeJson(intent: Intent): Record<string, unknown> {
    return {
      id: intent.chargeId,
      object: 'charge',
      amount: intent.amount,
      amount_captured: intent.amountReceived,
      amount_refunded: intent.amountRefunded,
      captured: true,
      currency: intent.currency,
      // Stripe does not copy the PaymentIntent's metadata onto its charges.
      metadata: {},
      paid: true,
      payment_intent: intent.id,
      refunded: intent.amountRefunded === intent.amountReceived,
      status: 'succeeded',
    };
  }

  function event(intent: Intent, type: string, object: Record<string, unknown>): OutgoingNotification {
    // The object is a snapshot at the time of the event, like Stripe's; redeliveries carry the same id and snapshot.
    const body = JSON.stringify({
      id: `evt_${randomId(24)}`,
      object: 'event',
      api_version: '2024-06-20',
      created: nowSeconds(),
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    });
    return {
      url: options.webhookUrl,
      describe: type,
      build: ({ badSignature }) => {
        const t = nowSeconds();
        const secrets = badSignature ? ['whsec_not_the_endpoint_secret'] : [options.webhookSecret, ...(options.extraWebhookSecrets ?? [])];
        const signature = [`t=${t}`, ...secrets.map((secret) => `v1=${stripeSignature(secret, t, body)}`)].join(',');
        return {
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'stripe-signature': signature,
            'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          },
          body,
        };
      },
    };
  }

  function succeed(intent: Intent, amount: number): OutgoingNotification[] {
    intent.status = 'succeeded';
    intent.amountCapturable = 0;
    intent.amountReceived = amount;
    intent.chargeId ??= `ch_${randomId(24)}`;
    return [event(intent, 'charge.succeeded', chargeJson(intent)), event(intent, 'payment_intent.succeeded', intentJson(intent))];
  }

  /** Stripe.js confirms in the browser; the sandbox plays the shopper and the card network. */
  function confirm(intent: Intent): void {
    const reference = referenceOf(intent);
    const { outcome } = core.scenarioFor(reference);
    if (outcome === 'decline') {
      intent.lastPaymentError = { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' };
      intent.status = 'requires_payment_method';
      core.notify(reference, [event(intent, 'payment_intent.payment_failed', intentJson(intent))]);
    } else if (outcome === 'expire' || intent.captureMethod === 'manual') {
      intent.status = 'requires_capture';
      intent.amountCapturable = intent.amount;
      const notifications = [event(intent, 'payment_intent.amount_capturable_updated', intentJson(intent))];
      if (outcome === 'expire') {
        // The authorization lapses uncaptured and Stripe cancels the PaymentIntent itself.
        intent.status = 'canceled';
        intent.amountCapturable = 0;
        intent.cancellationReason = 'automatic';
        notifications.push(event(intent, 'payment_intent.canceled', intentJson(intent)));
      }
      core.notify(reference, notifications);
    } else {
      core.notify(reference, succeed(intent, intent.amount));
    }
  }

  function referenceOf(intent: Intent): string {
    return intent.metadata[STRIPE_REFERENCE_KEY] ?? intent.id;
  }

  async function route(request: SandboxRequest): Promise<SandboxResponse | typeof HANG> {
    if (bearerToken(request.headers) !== options.secretKey) return failure(401, 'invalid_request_error', 'Invalid API Key provided.');
    const params = new URLSearchParams(request.body);
    const idempotencyKey = headerString(request.headers, 'idempotency-key');
    const conflict = () =>
      failure(400, 'idempotency_error', 'Keys for idempotent requests can only be used with the same parameters they were first used with.');
    const intentInt = (name: string): number | undefined => {
      const value = params.get(name);
      return value !== null && /^[1-9][0-9]{0,11}$/.test(value) ? Number(value) : undefined;
    };

    if (request.method === 'POST' && request.path === '/v1/payment_intents') {
      const amount = intentInt('amount');
      const currency = params.get('currency') ?? '';
      const captureMethod = params.get('capture_method') ?? 'automatic';
      if (amount === undefined) return invalid('amount', 'Invalid integer: amount', 'parameter_invalid_integer');
      if (!/^[a-z]{3}$/.test(currency) || !isIsoCurrency(currency.toUpperCase())) return invalid('currency', `Invalid currency: ${currency}`);
      if (captureMethod !== 'automatic' && captureMethod !== 'manual') return invalid('capture_method', `Invalid capture_method: ${captureMethod}`);
      const metadata: Record<string, string> = {};
      const paymentMethodTypes: string[] = [];
      for (const [key, value] of params) {
        const meta = /^metadata\[(.+)\]$/.exec(key);
        if (meta) metadata[meta[1]!] = value;
        if (/^payment_method_types\[\d*\]$/.test(key)) paymentMethodTypes.push(value);
      }
      const reference = metadata[STRIPE_REFERENCE_KEY];
      if (reference && core.hangs(reference, 'create')) return HANG;
      return core.idempotent(
        idempotencyKey,
        request,
        async () => {
          const id = `pi_${randomId(24)}`;
          const intent: Intent = {
            id,
            amount,
            currency,
            captureMethod,
            metadata,
            description: params.get('description'),
            paymentMethodTypes: paymentMethodTypes.length > 0 ? paymentMethodTypes : ['card'],
            created: nowSeconds(),
            clientSecret: `${id}_secret_${randomId(24)}`,
            status: 'requires_payment_method',
            amountCapturable: 0,
            amountReceived: 0,
            chargeId: null,
            amountRefunded: 0,
            lastPaymentError: null,
            cancellationReason: null,
          };
          intents.set(id, intent);
          const answer = intentJson(intent);
          core.shopper(referenceOf(intent), () => confirm(intent));
          return { status: 200, body: answer };
        },
        conflict,
      );
    }

    const action = /^\/v1\/payment_intents\/(pi_[A-Za-z0-9]+)(?:\/(capture|cancel))?$/.exec(request.path);
    if (action) {
      const intent = intents.get(action[1]!);
      if (!intent) return failure(404, 'invalid_request_error', `No such payment_intent: '${action[1]}'`, { code: 'resource_missing', param: 'intent' });
      const operation = action[2] as 'capture' | 'cancel' | undefined;
      if (core.hangs(referenceOf(intent), operation ?? 'get')) return HANG;
      if (!operation)
        return request.method === 'GET'
          ? { status: 200, body: intentJson(intent) }
          : invalid('intent', 'Updating PaymentIntents is not supported by the sandbox');
      return core.idempotent(
        idempotencyKey,
        request,
        async () => {
          if (operation === 'capture') {
            if (intent.status !== 'requires_capture') {
              return failure(400, 'invalid_request_error', `This PaymentIntent could not be captured because it has a status of ${intent.status}.`, {
                code: 'payment_intent_unexpected_state',
              });
            }
            const amount = params.has('amount_to_capture') ? intentInt('amount_to_capture') : intent.amountCapturable;
            if (amount === undefined || amount > intent.amountCapturable)
              return invalid('amount_to_capture', 'amount_to_capture must be a positive integer not above amount_capturable');
            core.notify(referenceOf(intent), succeed(intent, amount));
            return { status: 200, body: intentJson(intent) };
          }
          const cancelable = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];
          if (!cancelable.includes(intent.status)) {
            return failure(400, 'invalid_request_error', `You cannot cancel this PaymentIntent because it has a status of ${intent.status}.`, {
              code: 'payment_intent_unexpected_state',
            });
          }
          intent.status = 'canceled';
          intent.amountCapturable = 0;
          intent.cancellationReason = params.get('cancellation_reason');
          core.notify(referenceOf(intent), [event(intent, 'payment_intent.canceled', intentJson(intent))]);
          return { status: 200, body: intentJson(intent) };
        },
        conflict,
      );
    }

    if (request.method === 'POST' && request.path === '/v1/refunds') {
      const intent = intents.get(params.get('payment_intent') ?? '');
      if (!intent) return invalid('payment_intent', 'No such payment_intent', 'resource_missing');
      if (core.hangs(referenceOf(intent), 'refund')) return HANG;
      return core.idempotent(
        idempotencyKey,
        request,
        async () => {
          if (intent.status !== 'succeeded')
            return failure(400, 'invalid_request_error', `This PaymentIntent has a status of ${intent.status}; only succeeded ones can be refunded.`, {
              code: 'charge_not_refundable',
            });
          const remaining = intent.amountReceived - intent.amountRefunded;
          const amount = params.has('amount') ? intentInt('amount') : remaining;
          if (amount === undefined || amount === 0) return invalid('amount', 'Invalid positive integer', 'parameter_invalid_integer');
          if (amount > remaining)
            return failure(400, 'invalid_request_error', `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, {
              code: 'amount_too_large',
              param: 'amount',
            });
          intent.amountRefunded += amount;
          core.notify(referenceOf(intent), [event(intent, 'charge.refunded', chargeJson(intent))]);
          return {
            status: 200,
            body: {
              id: `re_${randomId(24)}`,
              object: 'refund',
              amount,
              charge: intent.chargeId,
              currency: intent.currency,
              payment_intent: intent.id,
              status: 'succeeded',
              created: nowSeconds(),
              metadata: {},
            },
          };
        },
        conflict,
      );
    }
    return failure(404, 'invalid_request_error', `Unrecognized request URL (${request.method}: ${request.path}).`);
  }

  await core.start();
  return sandboxHandle(core);
}
