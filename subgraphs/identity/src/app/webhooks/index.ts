import { type Database, type EventBus, type JobQueue, type Logger } from '@ipay/platform';
import type * as schema from '../../db/schema.ts';
import { WebhookDispatcher, type DispatcherOptions } from './dispatcher.ts';
import { webhookEncryptionKey } from '../../adapters/webhooks/signing.ts';
import { systemResolver, type HostResolver } from '../../adapters/webhooks/ssrf.ts';

export { WebhookDispatcher } from './dispatcher.ts';

/** Webhook settings of identity's config (tests pass them directly; env vars otherwise). */
export interface WebhookConfig {
  /** WEBHOOK_SECRET_ENCRYPTION_KEY: 32 bytes, base64 or hex. */
  webhookSecretEncryptionKey?: string;
  /** How often the `webhook-deliveries` job looks for due retries (WEBHOOK_WORKER_INTERVAL_MS); 0 turns it and the kicks off (tests call runOnce). */
  webhookWorkerIntervalMs?: number;
  /** WEBHOOK_TIMEOUT_MS: one HTTP attempt longer than this fails. */
  webhookTimeoutMs?: number;
  /** WEBHOOK_ENDPOINT_CONCURRENCY: attempts in flight per endpoint and process (default 4). */
  webhookEndpointConcurrency?: number;
  /** WEBHOOK_MAX_IN_FLIGHT: attempts in flight per process, all endpoints (default 100). */
  webhookMaxInFlight?: number;
  /** WEBHOOK_LEASE_MS: how long a claimed delivery stays reserved for its worker (a crashed worker's come back after it). */
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
    webhookLeaseMs: num(env.WEBHOOK_LEASE_MS),
    webhookDisableAfterMs: num(env.WEBHOOK_DISABLE_AFTER_MS),
    webhookEndpointConcurrency: num(env.WEBHOOK_ENDPOINT_CONCURRENCY),
    webhookMaxInFlight: num(env.WEBHOOK_MAX_IN_FLIGHT),
  };
}

export function dispatcherOptions(config: WebhookConfig): DispatcherOptions {
  const timeoutMs = config.webhookTimeoutMs ?? 10_000;
  return {
    encryptionKey: webhookEncryptionKey(config.webhookSecretEncryptionKey),
    resolve: config.webhookResolver ?? systemResolver,
    clock: config.webhookClock ?? (() => new Date()),
    timeoutMs,
    // Longer than any attempt can take, so a live worker never loses its claim.
    leaseMs: config.webhookLeaseMs ?? Math.max(60_000, timeoutMs * 3),
    intervalMs: config.webhookWorkerIntervalMs ?? 5_000,
    disableAfterMs: config.webhookDisableAfterMs ?? 3 * 86_400_000,
    batch: 20,
    endpointConcurrency: positive(config.webhookEndpointConcurrency, 4, 'WEBHOOK_ENDPOINT_CONCURRENCY'),
    maxInFlight: positive(config.webhookMaxInFlight, 100, 'WEBHOOK_MAX_IN_FLIGHT'),
  };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Builds and starts the dispatcher: the `webhooks-fanout` bus consumer and the delivery worker. */
export async function startWebhooks(
  db: Database<typeof schema>,
  bus: EventBus | undefined,
  config: WebhookConfig,
  logger: Logger,
  jobs?: JobQueue,
): Promise<WebhookDispatcher> {
  const dispatcher = new WebhookDispatcher(db, logger.child({ component: 'webhooks' }), dispatcherOptions(config));
  // The scan for due retries is a job on the platform queue; each delivery keeps its row (attempt log, schedule, lease),
  // and the dispatcher's in-process worker keeps the per-endpoint and per-process caps.
  jobs?.define({ name: 'webhook-deliveries', schedule: { everyMs: dispatcher.options.intervalMs }, handler: async () => dispatcher.kick() });
  await dispatcher.start(bus);
  return dispatcher;
}
