import { isIsoCurrency } from '@ipay/platform';
import { currencyExponent, decimalToMinorUnits, minorUnitsToDecimal } from '../../adapters/psp/amount.ts';
import { isRecord, str } from '../../adapters/psp/http.ts';
import { MOLLIE_REFERENCE_KEY, mollieSignature } from '../../adapters/psp/mollie.ts';
import {
  HANG,
  SandboxCore,
  bearerToken,
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

export interface MollieSandboxOptions {
  readonly apiKey: string;
  /**
   * Also post next-gen events (JSON, `X-Mollie-Signature`) for payment status changes. `embedEntity` sends the
   * full payload (a payment snapshot in `_embedded.entity`); otherwise the event only names the payment.
   */
  readonly nextGen?: { readonly url: string; readonly secret: string; readonly embedEntity?: boolean };
  readonly defaults?: Partial<SandboxScenario>;
}

type MollieStatus = 'open' | 'pending' | 'authorized' | 'paid' | 'failed' | 'expired' | 'canceled';

interface MolliePayment {
  readonly id: string;
  readonly reference: string;
  readonly amount: number;
  readonly currency: string;
  readonly description: string;
  readonly method: string | null;
  readonly captureMode: 'automatic' | 'manual';
  readonly metadata: unknown;
  readonly redirectUrl: string;
  readonly webhookUrl: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  status: MollieStatus;
  captured: number;
  refunded: number;
  readonly timestamps: Partial<Record<'authorizedAt' | 'paidAt' | 'failedAt' | 'expiredAt' | 'canceledAt', Date>>;
}

/** Mollie amounts must carry exactly the currency's number of decimals. */
function strictAmount(value: unknown): { amount: number; currency: string } | string {
  if (!isRecord(value)) return 'The amount is required';
  const currency = str(value, 'currency');
  const decimal = str(value, 'value');
  if (!currency || !isIsoCurrency(currency)) return 'The amount contains an invalid currency';
  const exponent = currencyExponent(currency);
  const pattern = exponent === 0 ? /^[0-9]+$/ : new RegExp(`^[0-9]+\\.[0-9]{${exponent}}$`);
  if (!decimal || !pattern.test(decimal)) return `The amount contains an invalid value; ${currency} needs ${exponent} decimals`;
  const amount = decimalToMinorUnits(decimal, currency);
  return amount > 0 ? { amount, currency } : 'The amount must be positive';
}

/**
 * A local Mollie: Payments API v2 (create, get, captures, refunds, cancel via DELETE) with problem+json errors,
 * classic webhooks (`id=tr_...` posted to the payment's webhookUrl) and optional signed next-gen events.
 */
export async function startMollieSandbox(options: MollieSandboxOptions): Promise<PspSandbox> {
  const payments = new Map<string, MolliePayment>();
  const core: SandboxCore = new SandboxCore('mollie', options.defaults ?? {}, route);

  const problem = (status: number, title: string, detail: string, field?: string): SandboxResponse => ({
    status,
    contentType: 'application/hal+json',
    body: {
      status,
      title,
      detail,
      ...(field ? { field } : {}),
      _links: { documentation: { href: 'https://docs.mollie.com/overview/handling-errors', type: 'text/html' } },
    },
  });
  const money = (minor: number, currency: string) => ({ currency, value: minorUnitsToDecimal(minor, currency) });

  function paymentJson(payment: MolliePayment): Record<string, unknown> {
    const json: Record<string, unknown> = {
      resource: 'payment',
      id: payment.id,
      mode: 'test',
      status: payment.status,
      isCancelable: payment.status === 'open' || payment.status === 'authorized',
      amount: money(payment.amount, payment.currency),
      description: payment.description,
      method: payment.method,
      metadata: payment.metadata,
      captureMode: payment.captureMode,
      createdAt: payment.createdAt.toISOString(),
      redirectUrl: payment.redirectUrl,
      webhookUrl: payment.webhookUrl,
    };
    if (payment.status === 'open') json.expiresAt = payment.expiresAt.toISOString();
    for (const [field, at] of Object.entries(payment.timestamps)) json[field] = at.toISOString();
    if (payment.status === 'paid') {
      json.amountCaptured = money(payment.captured, payment.currency);
      json.amountRefunded = money(payment.refunded, payment.currency);
      json.amountRemaining = money(payment.captured - payment.refunded, payment.currency);
    }
    const links: Record<string, unknown> = {
      self: { href: `${core.url}/v2/payments/${payment.id}`, type: 'application/hal+json' },
      dashboard: { href: `${core.url}/dashboard/payments/${payment.id}`, type: 'text/html' },
    };
    if (payment.status === 'open') links.checkout = { href: `${core.url}/checkout/select-issuer/${payment.id}`, type: 'text/html' };
    json._links = links;
    return json;
  }

  /** Mollie calls the payment's webhookUrl on every status change (and for captures and refunds). */
  function changed(payment: MolliePayment): void {
    const notifications: OutgoingNotification[] = [];
    if (payment.webhookUrl) {
      const url = payment.webhookUrl;
      notifications.push({
        url,
        describe: `classic ${payment.status}`,
        build: () => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ id: payment.id }).toString() }),
      });
    }
    if (options.nextGen) {
      const { url, secret, embedEntity = true } = options.nextGen;
      const eventBody: Record<string, unknown> = {
        resource: 'event',
        id: `event_${randomId(22)}`,
        type: `payment.${payment.status}`,
        entityId: payment.id,
        createdAt: new Date().toISOString(),
        _links: { entity: { href: `${core.url}/v2/payments/${payment.id}`, type: 'application/hal+json' } },
      };
      if (embedEntity) eventBody._embedded = { entity: paymentJson(payment) };
      const body = JSON.stringify(eventBody);
      notifications.push({
        url,
        describe: `next-gen payment.${payment.status}`,
        build: ({ badSignature }) => ({
          headers: { 'content-type': 'application/json', 'x-mollie-signature': mollieSignature(badSignature ? 'not-the-signing-secret' : secret, body) },
          body,
        }),
      });
    }
    core.notify(payment.reference, notifications);
  }

  /** The shopper completes, fails or abandons the hosted checkout. */
  function settle(payment: MolliePayment): void {
    const { outcome } = core.scenarioFor(payment.reference);
    const now = new Date();
    if (outcome === 'decline') {
      payment.status = 'failed';
      payment.timestamps.failedAt = now;
    } else if (outcome === 'expire') {
      payment.status = 'expired';
      payment.timestamps.expiredAt = now;
    } else if (payment.captureMode === 'manual') {
      payment.status = 'authorized';
      payment.timestamps.authorizedAt = now;
    } else {
      payment.status = 'paid';
      payment.captured = payment.amount;
      payment.timestamps.paidAt = now;
    }
    changed(payment);
  }

  async function route(request: SandboxRequest): Promise<SandboxResponse | typeof HANG> {
    if (bearerToken(request.headers) !== options.apiKey) return problem(401, 'Unauthorized Request', 'Missing authentication, or failed to authenticate');
    const idempotencyKey = headerString(request.headers, 'idempotency-key');
    const conflict = () => problem(422, 'Unprocessable Entity', 'The idempotency key was already used with a different request body');
    const body = request.body ? parseJson(request.body) : {};
    if (!isRecord(body)) return problem(400, 'Bad Request', 'The request body is not valid JSON');

    if (request.method === 'POST' && request.path === '/v2/payments') {
      const amount = strictAmount(body.amount);
      if (typeof amount === 'string') return problem(422, 'Unprocessable Entity', amount, 'amount.value');
      const description = str(body, 'description');
      const redirectUrl = str(body, 'redirectUrl');
      const captureMode = str(body, 'captureMode') ?? 'automatic';
      if (!description) return problem(422, 'Unprocessable Entity', 'The description is invalid', 'description');
      if (!redirectUrl) return problem(422, 'Unprocessable Entity', 'The redirect URL is invalid', 'redirectUrl');
      if (captureMode !== 'automatic' && captureMode !== 'manual') return problem(422, 'Unprocessable Entity', 'The capture mode is invalid', 'captureMode');
      const metadata = body.metadata ?? null;
      const reference = (isRecord(metadata) ? str(metadata, MOLLIE_REFERENCE_KEY) : undefined) ?? description;
      if (core.hangs(reference, 'create')) return HANG;
      return core.idempotent(
        idempotencyKey,
        request,
        async () => {
          const createdAt = new Date();
          const payment: MolliePayment = {
            id: `tr_${randomId(10)}`,
            reference,
            amount: amount.amount,
            currency: amount.currency,
            description,
            method: str(body, 'method') ?? null,
            captureMode,
            metadata,
            redirectUrl,
            webhookUrl: str(body, 'webhookUrl') ?? null,
            createdAt,
            expiresAt: new Date(createdAt.getTime() + 15 * 60_000),
            status: 'open',
            captured: 0,
            refunded: 0,
            timestamps: {},
          };
          payments.set(payment.id, payment);
          const answer = paymentJson(payment);
          core.shopper(reference, () => settle(payment));
          return { status: 201, contentType: 'application/hal+json', body: answer };
        },
        conflict,
      );
    }

    const match = /^\/v2\/payments\/(tr_[A-Za-z0-9]+)(?:\/(captures|refunds))?$/.exec(request.path);
    if (match) {
      const payment = payments.get(match[1]!);
      if (!payment) return problem(404, 'Not Found', `No payment exists with token ${match[1]}.`);
      const sub = match[2] as 'captures' | 'refunds' | undefined;
      const operation = sub === 'captures' ? 'capture' : sub === 'refunds' ? 'refund' : request.method === 'DELETE' ? 'cancel' : 'get';
      if (core.hangs(payment.reference, operation)) return HANG;
      if (operation === 'get')
        return request.method === 'GET'
          ? { status: 200, contentType: 'application/hal+json', body: paymentJson(payment) }
          : problem(405, 'Method Not Allowed', 'Use GET or DELETE');
      return core.idempotent(
        idempotencyKey,
        request,
        async () => {
          if (operation === 'cancel') {
            if (payment.status !== 'open' && payment.status !== 'authorized') return problem(422, 'Unprocessable Entity', 'The payment cannot be canceled');
            payment.status = 'canceled';
            payment.timestamps.canceledAt = new Date();
            changed(payment);
            return { status: 200, contentType: 'application/hal+json', body: paymentJson(payment) };
          }
          const given = body.amount === undefined ? undefined : strictAmount(body.amount);
          if (typeof given === 'string') return problem(422, 'Unprocessable Entity', given, 'amount.value');
          if (given && given.currency !== payment.currency)
            return problem(422, 'Unprocessable Entity', `The amount must be in ${payment.currency}`, 'amount.currency');
          if (operation === 'capture') {
            if (payment.status !== 'authorized') return problem(422, 'Unprocessable Entity', `The payment is ${payment.status} and cannot be captured`);
            const amount = given?.amount ?? payment.amount;
            if (amount > payment.amount) return problem(422, 'Unprocessable Entity', 'The capture amount is higher than the authorized amount', 'amount.value');
            payment.status = 'paid';
            payment.captured = amount;
            payment.timestamps.paidAt = new Date();
            changed(payment);
            return {
              status: 201,
              contentType: 'application/hal+json',
              body: {
                resource: 'capture',
                id: `cpt_${randomId(10)}`,
                mode: 'test',
                amount: money(amount, payment.currency),
                status: 'succeeded',
                paymentId: payment.id,
                createdAt: new Date().toISOString(),
              },
            };
          }
          if (payment.status !== 'paid') return problem(422, 'Unprocessable Entity', `The payment is ${payment.status} and cannot be refunded`);
          if (!given) return problem(422, 'Unprocessable Entity', 'The amount is required', 'amount');
          if (given.amount > payment.captured - payment.refunded)
            return problem(422, 'Unprocessable Entity', 'The refund amount is higher than the remaining amount', 'amount.value');
          payment.refunded += given.amount;
          changed(payment);
          return {
            status: 201,
            contentType: 'application/hal+json',
            body: {
              resource: 'refund',
              id: `re_${randomId(10)}`,
              mode: 'test',
              amount: money(given.amount, payment.currency),
              status: 'pending',
              paymentId: payment.id,
              description: str(body, 'description') ?? '',
              metadata: body.metadata ?? null,
              createdAt: new Date().toISOString(),
            },
          };
        },
        conflict,
      );
    }
    return problem(404, 'Not Found', `no route ${request.method} ${request.path}`);
  }

  await core.start();
  return sandboxHandle(core);
}
