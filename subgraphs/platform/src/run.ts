import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { servicePort, type SubgraphName } from './config.ts';
import type { DatabaseTarget } from './db.ts';
import { createLogger, type Logger } from './logger.ts';
import { createSubgraphServer, type SubgraphDefinition } from './subgraph.ts';

/** Stops everything on SIGTERM/SIGINT, once, and exits non-zero if stopping fails. */
export function onShutdown(logger: Logger, stop: () => Promise<void>) {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}

/** Without DATABASE_URL a lone subgraph process keeps an embedded database of its own under DATA_DIR. */
export function processDatabase(name: SubgraphName): DatabaseTarget {
  if (process.env.DATABASE_URL) return { kind: 'postgres', url: process.env.DATABASE_URL };
  const dir = `${process.env.DATA_DIR ?? '.data'}/${name}`;
  mkdirSync(dir, { recursive: true });
  return { kind: 'pglite', client: new PGlite(dir) };
}

/** The body of every subgraph's `src/index.ts`: one subgraph, one process, as docker-compose runs it. */
export async function runSubgraphProcess<TSchema extends Record<string, unknown>, TLoaders, TServices>(
  definition: SubgraphDefinition<TSchema, TLoaders, TServices>,
): Promise<void> {
  const logger = createLogger(definition.name);
  try {
    const server = await createSubgraphServer(definition, {
      database: processDatabase(definition.name),
      logger,
      seed: process.env.SEED_SANDBOX === 'true',
    });
    const port = await server.listen(servicePort(definition.name), process.env.HOST);
    logger.info({ port, url: `http://localhost:${port}/graphql` }, `${definition.name} subgraph listening`);
    onShutdown(logger, server.stop);
  } catch (error) {
    logger.fatal({ err: error }, (error as Error).message);
    process.exit(1);
  }
}
