import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { isIsoCurrency, type BusEvent, type Database, type Logger, type SubgraphOptions, type Subscription } from '@ipay/platform';
import { resolveConfig, type PaymentsConfig } from './config.ts';
import { orders } from './db/schema.ts';
import type * as schema from './db/schema.ts';
import { PSP_CODES, type PspAdapter, type PspCode } from './psp/adapter.ts';
import { createAdyenAdapter } from './psp/adyen.ts';
import { createMollieAdapter } from './psp/mollie.ts';
import { startAdyenSandbox, startMollieSandbox, startStripeSandbox, type PspSandbox } from './psp/sandbox/index.ts';
import { createStripeAdapter } from './psp/stripe.ts';
import { expireOverdueSessions } from './expiry.ts';
import { applyOrderCancellation } from './app/cancellation.ts';
import { settlePspWork, type AdapterFor } from './app/psp-work.ts';
import { consumeReturnRefunds } from './return-refunds.ts';

export interface PaymentsServices {
  /** Adapters per mode: sandbox (test-mode sessions, the in-process mock PSPs) and live (from env). */
  adapters: { sandbox: Partial<Record<PspCode, PspAdapter>>; live: Partial<Record<PspCode, PspAdapter>> };
  /** The in-process mock PSPs, when sandbox PSPs run. */
  sandboxes: Partial<Record<PspCode, PspSandbox>>;
  returnUrl: string;
  sessionTtlMinutes: number;
  /** This subgraph's public base URL: PAYMENTS_PUBLIC_URL, else where its server listens. */
  publicUrl(): string | null;
  /** Told where the server listens (used when no public URL is configured). */
  useListeningUrl(baseUrl: string): void;
  /** The adapter for a session's PSP and mode, or null when that PSP is not configured for the mode. */
  adapterFor(psp: PspCode, livemode: boolean): PspAdapter | null;
  /** Expires sessions past their expiry now (the background sweep calls it too); returns their ids. */
  expireOverdueSessions(now?: Date): Promise<string[]>;
  /** PSP follow-up of committed changes: cancels superseded sessions at the PSP, submits capture reversals (src/app/psp-work.ts). */
  settlePspWork(options?: { sessionIds?: readonly string[] }): Promise<void>;
  close(): Promise<void>;
}

export const webhookPath = (psp: PspCode) => `/webhooks/psp/${psp}`;

export async function createServices(db: Database<typeof schema>, options: SubgraphOptions, logger: Logger): Promise<PaymentsServices> {
  const config = resolveConfig(options.config as PaymentsConfig | undefined);
  let listening: string | null = null;
  const publicUrl = () => config.publicUrl ?? listening;
  const webhookUrl = (psp: PspCode) => {
    const base = publicUrl();
    if (!base) throw new Error('the payments subgraph does not know its public URL yet: set PAYMENTS_PUBLIC_URL');
    return `${base}${webhookPath(psp)}`;
  };
  const timeoutMs = config.pspTimeoutMs;

  const live: Partial<Record<PspCode, PspAdapter>> = {};
  const { adyen, stripe, mollie } = config.live;
  if (adyen) live.adyen = createAdyenAdapter({ ...adyen, live: true, timeoutMs });
  if (stripe) live.stripe = createStripeAdapter({ ...stripe, timeoutMs });
  if (mollie) live.mollie = createMollieAdapter({ ...mollie, timeoutMs, get webhookUrl() { return webhookUrl('mollie'); } });

  const sandbox: Partial<Record<PspCode, PspAdapter>> = {};
  const sandboxes: Partial<Record<PspCode, PspSandbox>> = {};
  if (config.sandboxPsps) {
    // Fresh credentials per start: the mocks and our adapters share them, nobody else needs them.
    const secret = (bytes: number) => randomBytes(bytes).toString('hex');
    // Shoppers wait for simulateSandboxPayment; undelivered notifications are retried like real PSPs do.
    const defaults = { awaitShopper: true, redeliverAfterMs: [200, 1_000, 5_000], ...config.sandboxScenario };
    const adyenKeys = { apiKey: `AQE-sandbox-${secret(8)}`, merchantAccount: 'IpaySandboxECOM', hmacKey: config.sandboxSecrets?.adyenHmacKey ?? secret(32).toUpperCase() };
    const stripeKeys = { secretKey: `sk_test_${secret(12)}`, webhookSecret: config.sandboxSecrets?.stripeWebhookSecret ?? `whsec_${secret(16)}` };
    const mollieKey = `test_${secret(15)}`;
    try {
      sandboxes.adyen = await startAdyenSandbox({ ...adyenKeys, defaults, get webhookUrl() { return webhookUrl('adyen'); } });
      sandboxes.stripe = await startStripeSandbox({ ...stripeKeys, defaults, get webhookUrl() { return webhookUrl('stripe'); } });
      sandboxes.mollie = await startMollieSandbox({ apiKey: mollieKey, defaults });
    } catch (error) {
      await Promise.allSettled(Object.values(sandboxes).map((s) => s.close()));
      throw error;
    }
    sandbox.adyen = createAdyenAdapter({ apiKey: adyenKeys.apiKey, merchantAccount: adyenKeys.merchantAccount, checkoutUrl: `${sandboxes.adyen.url}/v71`, hmacKeys: [adyenKeys.hmacKey], live: false, timeoutMs });
    sandbox.stripe = createStripeAdapter({ secretKey: stripeKeys.secretKey, webhookSecrets: [stripeKeys.webhookSecret], apiUrl: sandboxes.stripe.url, timeoutMs });
    sandbox.mollie = createMollieAdapter({ apiKey: mollieKey, apiUrl: sandboxes.mollie.url, timeoutMs, get webhookUrl() { return webhookUrl('mollie'); } });
    logger.info({ psps: PSP_CODES, urls: Object.fromEntries(Object.entries(sandboxes).map(([psp, s]) => [psp, s.url])) }, 'sandbox PSPs started');
  }

  const adapterFor = (psp: PspCode, livemode: boolean) => (livemode ? live[psp] : sandbox[psp]) ?? null;
  let consumer: Subscription | undefined;
  if (config.consumeOrderEvents && options.bus) {
    consumer = await options.bus.consume('payments-orders', (event) => projectOrderEvent(db, event, logger, adapterFor));
  }

  const returnRefunds = config.consumeOrderEvents && options.bus ? await consumeReturnRefunds(db, options.bus, { adapterFor }, logger.child({ component: 'return-refunds' })) : undefined;
  const expire = (now?: Date) => expireOverdueSessions(db, adapterFor, logger, now);
  const settle = (opts?: { sessionIds?: readonly string[] }) => settlePspWork(db, adapterFor, logger, opts);
  const sweep =
    config.expirySweepIntervalMs > 0
      ? setInterval(() => {
          expire().catch((err) => logger.error({ err }, 'payment expiry sweep failed'));
          settle().catch((err) => logger.error({ err }, 'PSP follow-up sweep failed'));
        }, config.expirySweepIntervalMs)
      : undefined;
  sweep?.unref();

  return {
    adapters: { sandbox, live },
    sandboxes,
    returnUrl: config.returnUrl ?? `${config.publicUrl ?? 'http://localhost:3000'}/payments/return`,
    sessionTtlMinutes: config.sessionTtlMinutes,
    publicUrl,
    useListeningUrl: (baseUrl) => {
      listening = baseUrl;
    },
    adapterFor,
    expireOverdueSessions: expire,
    settlePspWork: settle,
    close: async () => {
      clearInterval(sweep);
      await consumer?.close();
      await returnRefunds?.close();
      await Promise.allSettled(Object.values(sandboxes).map((s) => s.close()));
    },
  };
}

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/**
 * Keeps payments' orders projection in step with commerce. At least once and in order: inserting an order twice
 * keeps the first row, and a status change sets the status it announces.
 */
export async function projectOrderEvent(db: Database<typeof schema>, event: BusEvent, logger: Logger, adapterFor?: AdapterFor): Promise<void> {
  const p = event.payload;
  if (event.type === 'order.created') {
    const total = (p.total ?? {}) as Record<string, unknown>;
    const amount = total.amount_minor;
    const currency = total.currency;
    if (!isString(p.order_id) || !isString(p.merchant) || !isString(p.reference) || !isString(p.status) || !event.merchantId) {
      logger.error({ eventId: event.id }, 'order.created without order_id, merchant, reference, status or merchant id; skipped');
      return;
    }
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0 || typeof currency !== 'string' || !isIsoCurrency(currency)) {
      logger.error({ eventId: event.id }, 'order.created with a total that is not positive minor units of an ISO currency; skipped');
      return;
    }
    await db
      .insert(orders)
      .values({ id: p.order_id, merchantId: event.merchantId, merchant: p.merchant, livemode: event.livemode, reference: p.reference, status: p.status, amount, currency })
      .onConflictDoNothing();
  } else if (event.type === 'order.status_changed') {
    if (!isString(p.order_id) || !isString(p.to)) {
      logger.error({ eventId: event.id }, 'order.status_changed without order_id or to; skipped');
      return;
    }
    if (p.to === 'CANCELLED') {
      // Cancellation travels: open sessions are voided at the PSP, captures reversed (src/app/cancellation.ts).
      const sessionIds = await applyOrderCancellation(db, p.order_id, new Date(event.occurredAt));
      if (adapterFor) await settlePspWork(db, adapterFor, logger, { sessionIds }).catch((err) => logger.error({ err, orderId: p.order_id }, 'PSP follow-up of a cancellation failed; the sweep retries'));
      return;
    }
    await db.update(orders).set({ status: p.to, updatedAt: new Date(event.occurredAt) }).where(eq(orders.id, p.order_id));
  }
}
