import type { Database, Logger, Subscription, SubgraphOptions } from '@ipay/platform';
import type * as schema from './db/schema.ts';
import { countKpiEvent } from './domain/kpis.ts';

export interface FinanceServices {
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
  return { close: async () => consumer?.close() };
}
