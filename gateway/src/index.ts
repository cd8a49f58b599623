import { createLogger, onShutdown, servicePort } from '@ipay/platform';
import { createGateway } from './server.ts';

const logger = createLogger('gateway');
try {
  const gateway = await createGateway({ logger, introspectAndCompose: process.env.GATEWAY_SUPERGRAPH === 'introspect' });
  const port = await gateway.listen(servicePort('gateway'), process.env.HOST);
  logger.info({ port, url: `http://localhost:${port}/graphql` }, 'gateway listening');
  onShutdown(logger, gateway.stop);
} catch (error) {
  logger.fatal({ err: error }, (error as Error).message);
  process.exit(1);
}
