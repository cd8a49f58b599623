import { createSubgraphServer, defineSubgraph, type SubgraphOptions } from '@ipay/platform';
import * as dbSchema from './db/schema.ts';
import { createLoaders } from './db/loaders.ts';
import { resolvers } from './resolvers/index.ts';
import { routes } from './adapters/routes.ts';
import { createServices } from './app/services.ts';

export const identity = defineSubgraph(import.meta.url, {
  name: 'identity',
  dbSchema,
  resolvers,
  createLoaders,
  createServices,
  routes,
  // Sandbox data: loaded only when seeding (never in production), so live mode never loads src/sandbox/.
  seed: async (db, services) => (await import('./sandbox/index.ts')).seed(db, services),
});

/** Builds the identity subgraph server without listening. */
export const createIdentityServer = (options: SubgraphOptions) => createSubgraphServer(identity, options);
