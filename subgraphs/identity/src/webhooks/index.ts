import { isProduction, type Database, type EventBus, type Logger } from '@ipay/platform';
import type * as schema from '../db/schema.ts';
import { WebhookDispatcher, type DispatcherOptions } from './dispatcher.ts';
import { webhookEncryptionKey } from './signing.ts';
import { systemResolver, type HostResolver } from './ssrf.ts';

export { WebhookDispatcher } from './dispatcher.ts';

/** Webhook settings of identity's config (tests pass them directly; env vars otherwise). */
export interface WebhookConfig {
  /** WEBHOOK_SECRET_ENCRYPTION_KEY: 32 bytes, base64 or hex. */
  webhookSecretEncryptionKey?: string;
  /** How often the worker looks for due retries (WEBHOOK_WORKER_INTERVAL_MS); 0 turns the loop and its kicks off (tests call runOnce). */
  webhookWorkerIntervalMs?: number;
  /** WEBHOOK_TIMEOUT_MS: one HTTP attempt longer than this fails. */
  webhookTimeoutMs?: number;
  /** How long a claimed delivery stays reserved for its worker. */
  webhookLeaseMs?: number;
  /** WEBHOOK_DISABLE_AFTER_MS: continuous failure after which an endpoint is disabled (default 3 days). */
  webhookDisableAfterMs?: number;
  /** Tests: the clock (retries and disabling over days) and the DNS resolver (rebinding). */
  webhookClock?: () => Date;
  webhookResolver?: HostResolver;
}

export function webhookConfigFromEnv(env = process.env): WebhookConfig {
  const num = (value: string | undefined) => (value ? Number(value) : undefined);
  return {
    webhookSecretEncryptionKey: env.WEBHOOK_SECRET_ENCRYPTION_KEY,
    webhookWorkerIntervalMs: num(env.WEBHOOK_WORKER_INTERVAL_MS),
    webhookTimeoutMs: num(env.WEBHOOK_TIMEOUT_MS),
    webhookDisableAfterMs: num(env.WEBHOOK_DISABLE_AFTER_MS),
  };
}

export function dispatcherOptions(config: WebhookConfig): DispatcherOptions {
  const timeoutMs = config.webhookTimeoutMs ?? 10_000;
  return {
    encryptionKey: webhookEncryptionKey(config.webhookSecretEncryptionKey, isProduction()),
    resolve: config.webhookResolver ?? systemResolver,
    clock: config.webhookClock ?? (() => new Date()),
    timeoutMs,
    // Longer than any attempt can take, so a live worker never loses its claim.
    leaseMs: config.webhookLeaseMs ?? Math.max(60_000, timeoutMs * 3),
    intervalMs: config.webhookWorkerIntervalMs ?? 5_000,
    disableAfterMs: config.webhookDisableAfterMs ?? 3 * 86_400_000,
    batch: 20,
  };
}

/** Builds and starts the dispatcher: the `webhooks-fanout` bus consumer and the delivery worker. */
export async function startWebhooks(db: Database<typeof schema>, bus: EventBus | undefined, config: WebhookConfig, logger: Logger): Promise<WebhookDispatcher> {
  const dispatcher = new WebhookDispatcher(db, logger.child({ component: 'webhooks' }), dispatcherOptions(config));
  await dispatcher.start(bus);
  return dispatcher;
}
