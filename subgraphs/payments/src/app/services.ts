import { eq } from 'drizzle-orm';
import { isIsoCurrency, type BusEvent, type Database, type JobQueue, type Logger, type SubgraphOptions, type Subscription } from '@ipay/platform';
import { resolveConfig, type PaymentsConfig } from './config.ts';
import { orders } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import type { PspAdapter, PspCode } from '../adapters/psp/adapter.ts';
import { createAdyenAdapter } from '../adapters/psp/adyen.ts';
import { createMollieAdapter } from '../adapters/psp/mollie.ts';
import { createStripeAdapter } from '../adapters/psp/stripe.ts';
import type { PspSandbox } from './sandbox-port.ts';
import { expireOverdueSessions } from './expiry.ts';
import { applyOrderCancellation } from './cancellation.ts';
import { settlePspWork, type AdapterFor } from './psp-work.ts';
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

export async function createServices(
  db: Database<typeof schema>,
  options: SubgraphOptions,
  logger: Logger,
  platform?: { jobs: JobQueue },
): Promise<PaymentsServices> {
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
  if (mollie)
    live.mollie = createMollieAdapter({
      ...mollie,
      timeoutMs,
      get webhookUrl() {
        return webhookUrl('mollie');
      },
    });

  let sandbox: Partial<Record<PspCode, PspAdapter>> = {};
  let sandboxes: Partial<Record<PspCode, PspSandbox>> = {};
  if (config.sandboxPsps) {
    // The only way into src/sandbox/: live mode (IPAY_ENV=production) never loads the simulators.
    const { startSandboxPsps } = await import('../sandbox/index.ts');
    ({ adapters: sandbox, sandboxes } = await startSandboxPsps({
      scenario: config.sandboxScenario,
      secrets: config.sandboxSecrets,
      timeoutMs,
      webhookUrl,
      logger,
    }));
  }

  const adapterFor = (psp: PspCode, livemode: boolean) => (livemode ? live[psp] : sandbox[psp]) ?? null;
  let consumer: Subscription | undefined;
  if (config.consumeOrderEvents && options.bus) {
    consumer = await options.bus.consume('payments-orders', (event) => projectOrderEvent(db, event, logger, adapterFor));
  }

  const returnRefunds =
    config.consumeOrderEvents && options.bus
      ? await consumeReturnRefunds(db, options.bus, { adapterFor }, logger.child({ component: 'return-refunds' }))
      : undefined;
  const expire = (now?: Date) => expireOverdueSessions(db, adapterFor, logger, now);
  const settle = (opts?: { sessionIds?: readonly string[] }) => settlePspWork(db, adapterFor, logger, opts);
  // Background sweeps are jobs on the platform queue (PAYMENT_EXPIRY_SWEEP_MS; 0 = only when sent, e.g. by tests).
  const sweep = { schedule: { everyMs: config.expirySweepIntervalMs }, retry: { limit: 2, delaySeconds: 5, backoff: true } };
  platform?.jobs.define<{ asOf?: string }>({
    name: 'payment-expiry',
    ...sweep,
    handler: async (data) => void (await expire(data?.asOf ? new Date(data.asOf) : undefined)),
  });
  platform?.jobs.define({ name: 'psp-follow-up', ...sweep, handler: () => settle() });

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
      .values({
        id: p.order_id,
        merchantId: event.merchantId,
        merchant: p.merchant,
        livemode: event.livemode,
        reference: p.reference,
        status: p.status,
        amount,
        currency,
      })
      .onConflictDoNothing();
  } else if (event.type === 'order.status_changed') {
    if (!isString(p.order_id) || !isString(p.to)) {
      logger.error({ eventId: event.id }, 'order.status_changed without order_id or to; skipped');
      return;
    }
    if (p.to === 'CANCELLED') {
      // Cancellation travels: open sessions are voided at the PSP, captures reversed (src/app/cancellation.ts).
      const sessionIds = await applyOrderCancellation(db, p.order_id, new Date(event.occurredAt));
      if (adapterFor)
        await settlePspWork(db, adapterFor, logger, { sessionIds }).catch((err) =>
          logger.error({ err, orderId: p.order_id }, 'PSP follow-up of a cancellation failed; the sweep retries'),
        );
      return;
    }
    await db
      .update(orders)
      .set({ status: p.to, updatedAt: new Date(event.occurredAt) })
      .where(eq(orders.id, p.order_id));
  }
}
