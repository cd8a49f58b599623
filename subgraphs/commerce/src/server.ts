import { createSubgraphServer, defineSubgraph, type SubgraphOptions } from '@ipay/platform';
import * as dbSchema from './db/schema.ts';
import { createLoaders } from './db/loaders.ts';
import { resolvers } from './resolvers/index.ts';
import { createServices } from './app/services.ts';

export const commerce = defineSubgraph(import.meta.url, {
  name: 'commerce',
  dbSchema,
  resolvers,
  createLoaders,
  createServices,
  // Sandbox data is the only way into src/sandbox/: loaded on demand, only when the server seeds (never in production).
  seed: async (db) => (await import('./sandbox/index.ts')).seed(db),
});

/** Builds the commerce subgraph server without listening. */
export async function createCommerceServer(options: SubgraphOptions) {
  const server = await createSubgraphServer(commerce, options);
  // Jobs (scheduler, event consumers) commit events outside requests: let them wake the relay too.
  server.services.setKick(() => void server.relay.kick());
  return server;
}
