import { createSubgraphServer, defineSubgraph, type SubgraphOptions } from '@ipay/platform';
import * as dbSchema from './db/schema.ts';
import { createLoaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';
import { seed } from './seed.ts';
import { createServices } from './services/index.ts';

export const commerce = defineSubgraph(import.meta.url, {
  name: 'commerce',
  dbSchema,
  resolvers,
  createLoaders,
  createServices,
  seed,
});

/** Builds the commerce subgraph server without listening. */
export async function createCommerceServer(options: SubgraphOptions) {
  const server = await createSubgraphServer(commerce, options);
  // Jobs (scheduler, event consumers) commit events outside requests: let them wake the relay too.
  server.services.setKick(() => void server.relay.kick());
  return server;
}
