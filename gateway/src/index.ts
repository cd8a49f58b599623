import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { createLogger, onShutdown, openEventBus, servicePort, type DatabaseTarget, type EventBus } from '@ipay/platform';
import { createGateway } from './server.ts';

const logger = createLogger('gateway');
try {
  // Subscriptions read the event bus: NATS when NATS_URL is set, else the SQL log on DATABASE_URL.
  let bus: EventBus | undefined;
  if (process.env.NATS_URL || process.env.DATABASE_URL) bus = await openEventBus({ kind: 'postgres', url: process.env.DATABASE_URL ?? '' }, logger);
  else logger.warn('no NATS_URL or DATABASE_URL: the gateway serves no subscriptions');
  // REST idempotency keys live in the gateway's own schema: PostgreSQL, or an embedded database under DATA_DIR.
  let database: DatabaseTarget;
  if (process.env.DATABASE_URL) database = { kind: 'postgres', url: process.env.DATABASE_URL };
  else {
    const dir = `${process.env.DATA_DIR ?? '.data'}/gateway`;
    mkdirSync(dir, { recursive: true });
    database = { kind: 'pglite', client: new PGlite(dir) };
  }
  const gateway = await createGateway({ logger, bus, database, introspectAndCompose: process.env.GATEWAY_SUPERGRAPH === 'introspect' });
  const port = await gateway.listen(servicePort('gateway'), process.env.HOST);
  logger.info({ port, url: `http://localhost:${port}/graphql` }, 'gateway listening');
  onShutdown(logger, async () => {
    await gateway.stop();
    await bus?.close();
  });
} catch (error) {
  logger.fatal({ err: error }, (error as Error).message);
  process.exit(1);
}
