import { internalTokenSecret, type Database, type JobQueue, type Logger, type Subscription, type SubgraphOptions } from '@ipay/platform';
import { DEFAULT_LINK_TTL_SECONDS, type DownloadKeys } from './downloads.ts';
import { priceQuoteFee } from './quotes.ts';
import type * as schema from '../db/schema.ts';
import { countKpiEvent } from './kpis.ts';
import { datevOptionsFromEnv } from './documents.ts';
import { handleSettlementEvent } from './engine.ts';
import { closeDueSettlements } from './settlements.ts';
import type { DatevOptions } from '../adapters/datev.ts';
import { startReconciliationServices, type ReconciliationServices } from './reconciliation-services.ts';

export interface FinanceConfig {
  /** Consume events (KPI counters and the settlement engine); default true. */
  consumeEvents?: boolean;
  /** How often the scheduled close runs (SETTLEMENT_CLOSE_INTERVAL_MS, default hourly; 0 turns it off). */
  settlementCloseIntervalMs?: number;
  /** How long after its period ended a settlement is closed (SETTLEMENT_CLOSE_GRACE_MS, default 6 hours). */
  settlementCloseGraceMs?: number;
  datev?: DatevOptions;
  /** How long an export download link may be started (FINANCE_EXPORT_LINK_TTL_SECONDS, default 300). */
  exportLinkTtlSeconds?: number;
}

export interface FinanceServices {
  datev: DatevOptions;
  /** Signs and verifies export download links (src/app/downloads.ts). */
  downloads: DownloadKeys;
  /** Carrier invoice reconciliation, statements, controls and mail (src/app/reconciliation-services.ts). */
  reconciliation: ReconciliationServices;
  /** Runs the scheduled close now (tests, operators). */
  closeDue(now?: Date): Promise<string[]>;
  close(): Promise<void>;
}

export function financeConfigFromEnv(env = process.env): FinanceConfig {
  return {
    settlementCloseIntervalMs: env.SETTLEMENT_CLOSE_INTERVAL_MS !== undefined ? Number(env.SETTLEMENT_CLOSE_INTERVAL_MS) : undefined,
    settlementCloseGraceMs: env.SETTLEMENT_CLOSE_GRACE_MS !== undefined ? Number(env.SETTLEMENT_CLOSE_GRACE_MS) : undefined,
    datev: datevOptionsFromEnv(env),
    exportLinkTtlSeconds: env.FINANCE_EXPORT_LINK_TTL_SECONDS !== undefined ? Number(env.FINANCE_EXPORT_LINK_TTL_SECONDS) : undefined,
  };
}

/**
 * Finance consumes the bus (durable, at least once) twice: every event for the dashboard counters, and payments'
 * order.payment_state_changed / refund.created for the settlement engine. A job closes settlements whose period ended.
 */
export async function createServices(
  db: Database<typeof schema>,
  options: SubgraphOptions,
  logger: Logger,
  platform?: { jobs: JobQueue },
): Promise<FinanceServices> {
  const config: FinanceConfig = { ...financeConfigFromEnv(), ...(options.config as FinanceConfig | undefined) };
  const consumers: Subscription[] = [];
  if (options.bus && config.consumeEvents !== false) {
    consumers.push(await options.bus.consume('finance-kpis', async (event) => void (await countKpiEvent(db, event))));
    consumers.push(await options.bus.consume('finance-settlements', async (event) => void (await handleSettlementEvent(db, event, logger))));
    consumers.push(await options.bus.consume('finance-quotes', async (event) => void (await priceQuoteFee(db, event, logger))));
  } else logger.warn('no event bus: KPI counters and settlements are not kept');
  const graceMs = config.settlementCloseGraceMs ?? 6 * 3_600_000;
  const closeDue = (now = new Date()) => closeDueSettlements(db, now, graceMs);
  const intervalMs = config.settlementCloseIntervalMs ?? 3_600_000;
  platform?.jobs.define({
    name: 'settlement-close',
    schedule: { everyMs: intervalMs },
    retry: { limit: 2, delaySeconds: 60, backoff: true },
    handler: async () => void (await closeDue()),
  });
  const reconciliation = await startReconciliationServices(db, options, logger, platform?.jobs);
  return {
    datev: config.datev ?? datevOptionsFromEnv(),
    downloads: { secret: options.internalSecret ?? internalTokenSecret(), ttlSeconds: config.exportLinkTtlSeconds ?? DEFAULT_LINK_TTL_SECONDS },
    reconciliation,
    closeDue,
    close: async () => {
      await Promise.all(consumers.map((c) => c.close()));
      await reconciliation.close();
    },
  };
}
