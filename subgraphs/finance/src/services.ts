import type { Database, Logger, Subscription, SubgraphOptions } from '@ipay/platform';
import type * as schema from './db/schema.ts';
import { countKpiEvent } from './domain/kpis.ts';
import { startReconciliationServices, type ReconciliationServices } from './app/reconciliation-services.ts';

export interface FinanceServices {
  /** Carrier invoice reconciliation, statements, controls and mail (src/app/reconciliation-services.ts). */
  reconciliation: ReconciliationServices;
  close(): Promise<void>;
}

/** Finance keeps the dashboard counters by consuming every event from the bus (durable, at least once). */
export async function createServices(db: Database<typeof schema>, options: SubgraphOptions, logger: Logger): Promise<FinanceServices> {
  let consumer: Subscription | undefined;
  if (options.bus) {
    consumer = await options.bus.consume('finance-kpis', async (event) => {
      await countKpiEvent(db, event);
    });
  } else logger.warn('no event bus: KPI counters are not kept');
  const reconciliation = await startReconciliationServices(db, options, logger);
  return {
    reconciliation,
    close: async () => {
      await consumer?.close();
      await reconciliation.close();
    },
  };
}
