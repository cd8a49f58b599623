import type { Database, Logger, Subscription, SubgraphOptions } from '@ipay/platform';
import { priceQuoteFee } from './app/quotes.ts';
import type * as schema from './db/schema.ts';
import { countKpiEvent } from './domain/kpis.ts';
import { datevOptionsFromEnv } from './app/documents.ts';
import { handleSettlementEvent } from './app/engine.ts';
import { closeDueSettlements } from './app/settlements.ts';
import type { DatevOptions } from './adapters/datev.ts';
import { startReconciliationServices, type ReconciliationServices } from './app/reconciliation-services.ts';

export interface FinanceConfig {
  /** Consume events (KPI counters and the settlement engine); default true. */
  consumeEvents?: boolean;
  /** How often the scheduled close runs (SETTLEMENT_CLOSE_INTERVAL_MS, default hourly; 0 turns it off). */
  settlementCloseIntervalMs?: number;
  /** How long after its period ended a settlement is closed (SETTLEMENT_CLOSE_GRACE_MS, default 6 hours). */
  settlementCloseGraceMs?: number;
  datev?: DatevOptions;
}

export interface FinanceServices {
  datev: DatevOptions;
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
  };
}

/**
 * Finance consumes the bus (durable, at least once) twice: every event for the dashboard counters, and payments'
 * order.payment_state_changed / refund.created for the settlement engine. A job closes settlements whose period ended.
 */
export async function createServices(db: Database<typeof schema>, options: SubgraphOptions, logger: Logger): Promise<FinanceServices> {
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
  let running: Promise<unknown> = Promise.resolve();
  const timer =
    intervalMs > 0
      ? setInterval(() => {
          running = closeDue().catch((error) => logger.error({ err: error }, 'scheduled settlement close failed'));
        }, intervalMs)
      : undefined;
  timer?.unref();
  const reconciliation = await startReconciliationServices(db, options, logger);
  return {
    datev: config.datev ?? datevOptionsFromEnv(),
    reconciliation,
    closeDue,
    close: async () => {
      if (timer) clearInterval(timer);
      await running;
      await Promise.all(consumers.map((c) => c.close()));
      await reconciliation.close();
    },
  };
}
