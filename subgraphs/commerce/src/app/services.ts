import { eq } from 'drizzle-orm';
import {
  isIsoCountry,
  isIsoCurrency,
  runMutation,
  systemActor,
  type BusEvent,
  type Database,
  type JobQueue,
  type Logger,
  type Subscription,
  type SubgraphOptions,
} from '@ipay/platform';
import { auditHead, auditLog, merchants, orders, outbox } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { integrationKey } from '../domain/crypto.ts';
import { statusForEvent, transitionForEvent, type OrderStatus } from '../domain/order-status.ts';
import type { OurStatus } from '../adapters/shops/index.ts';
import { DEFAULT_SCHEDULER, IntegrationService, type SchedulerConfig } from './integrations.ts';
import { transitionOrder } from './orders.ts';
import { consumeQuoteEvents } from './quotes.ts';
import { consumeReturnEvents } from './return-events.ts';

type Schema = typeof schema;

export interface CommerceConfig {
  /** 32-byte key (base64/hex) sealing integration credentials; INTEGRATION_ENCRYPTION_KEY. */
  encryptionKey?: string;
  /** Scheduler settings; `scheduler.tickMs: 0` turns the background loop off (tests drive it). */
  scheduler?: Partial<SchedulerConfig>;
  /** Consume payments/logistics events and push status to shops (default true). */
  consumeEvents?: boolean;
}

export interface CommerceServices {
  integrations: IntegrationService;
  /** Wires the server's outbox relay so system mutations publish without waiting for its poll. */
  setKick(kick: () => void): void;
  kick(): void;
  close(): Promise<void>;
}

export function commerceConfigFromEnv(env = process.env): CommerceConfig {
  return {
    encryptionKey: env.INTEGRATION_ENCRYPTION_KEY,
    scheduler: {
      ...(env.INTEGRATION_SYNC_TICK_MS ? { tickMs: Number(env.INTEGRATION_SYNC_TICK_MS) } : {}),
      ...(env.INTEGRATION_SYNC_INTERVAL_SECONDS ? { intervalSeconds: Number(env.INTEGRATION_SYNC_INTERVAL_SECONDS) } : {}),
    },
  };
}

export async function createServices(db: Database<Schema>, options: SubgraphOptions, logger: Logger, platform?: { jobs: JobQueue }): Promise<CommerceServices> {
  const fromOptions = (options.config ?? {}) as CommerceConfig;
  const env = commerceConfigFromEnv();
  const config: CommerceConfig = { ...env, ...fromOptions, scheduler: { ...env.scheduler, ...fromOptions.scheduler } };
  let kick = () => {};
  const integrations = new IntegrationService(
    db,
    integrationKey(config.encryptionKey),
    { ...DEFAULT_SCHEDULER, ...config.scheduler },
    logger.child({ component: 'integration-sync' }),
  );
  const subscriptions: Subscription[] = [];
  if (config.consumeEvents !== false && options.bus) {
    const system = <T>(component: string, livemode: boolean, work: Parameters<typeof runMutation<Schema, T>>[3]) =>
      runMutation(db, { audit: { auditLog, auditHead }, outbox, afterEvents: () => kick() }, systemActor(component, livemode), work);
    subscriptions.push(await options.bus.consume('commerce-order-flow', (event) => applyFlowEvent(db, system, event, logger)));
    subscriptions.push(await consumeReturnEvents(db, options.bus, logger.child({ component: 'returns' }), () => kick()));
    subscriptions.push(await consumeQuoteEvents(db, options.bus, logger.child({ component: 'quotes' }), () => kick()));
    subscriptions.push(
      await options.bus.consume('commerce-status-push', async (event) => {
        if (event.type !== 'order.status_changed' || event.source !== 'commerce') return;
        // A shop that is down must not hold back the consumer: the failure is logged and the push not retried.
        await integrations
          .pushStatus(event.subjectId, event.payload.to as OurStatus)
          .catch((err) => logger.warn({ err, orderId: event.subjectId }, 'status push to the shop failed'));
      }),
    );
  }
  // The scheduler tick is a job on the platform queue; each integration's own backoff and ERROR state stay on its row.
  platform?.jobs.define({
    name: 'integration-sync',
    schedule: { everyMs: integrations.config.tickMs },
    handler: async () => void (await integrations.runDue()),
  });
  return {
    integrations,
    setKick(fn) {
      kick = fn;
      integrations.kick = fn;
    },
    kick: () => kick(),
    close: async () => {
      for (const s of subscriptions) await s.close();
    },
  };
}

type System = <T>(component: string, livemode: boolean, work: Parameters<typeof runMutation<Schema, T>>[3]) => Promise<T>;

/** Idempotent: redelivered events find the order already moved and change nothing. */
export async function applyFlowEvent(db: Database<Schema>, system: System, event: BusEvent, logger: Logger): Promise<void> {
  if (event.type === 'merchant.created') return projectMerchant(db, event, logger);
  const to = statusForEvent(event.type, event.payload);
  if (!to) return;
  const orderId = typeof event.payload.order_id === 'string' ? event.payload.order_id : null;
  if (!orderId) return;
  const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
  if (!order || order.livemode !== event.livemode) {
    logger.warn({ eventId: event.id, type: event.type, orderId }, 'event for an order commerce does not have');
    return;
  }
  const decision = transitionForEvent(order.status, to);
  if (decision.kind === 'ignore') {
    logger.info({ eventId: event.id, type: event.type, orderId, status: order.status, reason: decision.reason }, 'event does not move the order');
    return;
  }
  const [merchant] = await db.select({ slug: merchants.slug }).from(merchants).where(eq(merchants.id, order.merchantId));
  try {
    await system(`events:${event.type}`, event.livemode, (uow) =>
      transitionOrder(uow, orderId, decision.to as OrderStatus, {
        action: `order.${decision.to.toLowerCase()}`,
        merchantSlug: merchant?.slug ?? order.merchantId,
        cause: event.id,
      }),
    );
  } catch (error) {
    // Moved concurrently (e.g. cancelled meanwhile): the event no longer applies; anything else is retried.
    if ((error as { extensions?: { code?: string } }).extensions?.code === 'ILLEGAL_TRANSITION') {
      logger.info({ eventId: event.id, orderId, reason: (error as Error).message }, 'event no longer applies to the order');
      return;
    }
    throw error;
  }
}

async function projectMerchant(db: Database<Schema>, event: BusEvent, logger: Logger): Promise<void> {
  const { merchant_id: id, merchant: slug, name, country, currency } = event.payload as Record<string, string | undefined>;
  // Identity validates all of these; an event without them is not guessed at (no made-up country or currency).
  if (!id || !slug || !name || !isIsoCountry(country ?? '') || !isIsoCurrency(currency ?? '')) {
    logger.error({ eventId: event.id, payload: event.payload }, 'merchant.created without a valid merchant; not projected');
    return;
  }
  const row = { id, slug, name, country: country!, currency: currency!, updatedAt: new Date() };
  await db
    .insert(merchants)
    .values(row)
    .onConflictDoUpdate({
      target: merchants.id,
      set: { slug: row.slug, name: row.name, country: row.country, currency: row.currency, updatedAt: row.updatedAt },
    });
}
