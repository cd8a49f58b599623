import { createSubgraphServer, defineSubgraph, type SubgraphOptions } from '@ipay/platform';
import * as dbSchema from './db/schema.ts';
import { createLoaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';
import { routes } from './routes.ts';
import { seed } from './seed.ts';
import { createServices } from './services.ts';

export const identity = defineSubgraph(import.meta.url, {
  name: 'identity',
  dbSchema,
  resolvers,
  createLoaders,
  createServices,
  routes,
  seed,
});

/** Builds the identity subgraph server without listening. */
export const createIdentityServer = (options: SubgraphOptions) => createSubgraphServer(identity, options);
