import cluster from 'node:cluster';
import { pino } from 'pino';
import { gatewayWorkers, runPrimary } from './cluster.ts';

// Under GATEWAY_WORKERS>1 (cluster.ts) the primary only supervises; each worker is the gateway (serve.ts). The
// primary loads neither serve.ts nor @ipay/platform (≈ 100 MB RSS of modules it would never run): its logger is
// pino with createLogger's settings, and the gateway is imported only where it runs.
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'gateway' }, timestamp: pino.stdTimeFunctions.isoTime });
try {
  const workers = cluster.isPrimary ? gatewayWorkers() : 1;
  if (workers > 1) runPrimary({ workers, logger });
  else {
    // Compiled (scripts/build.ts), import.meta.url names this source file, so the compiled serve.js is ../dist/.
    const entry = new URL(process.env.IPAY_COMPILED === 'true' ? '../dist/serve.js' : './serve.ts', import.meta.url).href;
    const { serve } = (await import(entry)) as typeof import('./serve.ts');
    await serve();
  }
} catch (error) {
  logger.fatal({ err: error }, (error as Error).message);
  process.exit(1);
}
