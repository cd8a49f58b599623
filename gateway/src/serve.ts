/**
 * The gateway process itself (index.ts runs it: a single process, or each cluster worker under GATEWAY_WORKERS>1).
 * Its own entry (gateway/dist/serve.js when compiled), so a cluster primary never loads it.
 */
import cluster from 'node:cluster';
import { mkdirSync, readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { createLogger, onShutdown, openEventBus, servicePort, type DatabaseTarget, type EventBus } from '@ipay/platform';
import { createGateway } from './server.ts';

// Worker log lines carry the worker's index and pid (the access log included): they tell which process served what.
const baseLogger = createLogger('gateway');
const logger = cluster.isWorker ? baseLogger.child({ worker: Number(process.env.GATEWAY_WORKER_INDEX), pid: process.pid }) : baseLogger;

export async function serve() {
  // Subscriptions read the event bus: NATS when NATS_URL is set, else the SQL log on DATABASE_URL.
  let bus: EventBus | undefined;
  if (process.env.NATS_URL || process.env.DATABASE_URL) bus = await openEventBus({ kind: 'postgres', url: process.env.DATABASE_URL ?? '' }, logger);
  else logger.warn('no NATS_URL or DATABASE_URL: the gateway serves no subscriptions');
  // REST idempotency keys live in the gateway's own schema: PostgreSQL, or an embedded database under DATA_DIR,
  // opened only when the REST facade runs (GATEWAY_REST=false, or a supergraph it does not fit, needs none).
  let pglite: PGlite | undefined;
  const database = (): DatabaseTarget => {
    if (process.env.DATABASE_URL) return { kind: 'postgres', url: process.env.DATABASE_URL };
    // An embedded database belongs to one process: workers keeping keys apart would replay a retried payment.
    if (cluster.isWorker) throw new Error('GATEWAY_WORKERS>1 with the REST facade needs DATABASE_URL (its idempotency keys are shared), or GATEWAY_REST=false');
    const dir = `${process.env.DATA_DIR ?? '.data'}/gateway`;
    mkdirSync(dir, { recursive: true });
    pglite = new PGlite(dir);
    return { kind: 'pglite', client: pglite };
  };
  // GATEWAY_SUPERGRAPH: a supergraph file (any composed supergraph; default schema/supergraph.graphql), or `introspect`.
  const source = process.env.GATEWAY_SUPERGRAPH;
  const introspectAndCompose = source === 'introspect';
  const supergraphSdl = source && !introspectAndCompose ? readFileSync(source, 'utf8') : undefined;
  const gateway = await createGateway({ logger, bus, database, supergraphSdl, introspectAndCompose });
  const port = await gateway.listen(servicePort('gateway'), process.env.HOST);
  logger.info({ port, url: `http://localhost:${port}/graphql` }, 'gateway listening');
  onShutdown(logger, async () => {
    await gateway.stop();
    await bus?.close();
    await pglite?.close();
  });
}
