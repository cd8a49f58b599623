import { createSubgraphServer, defineSubgraph, type SubgraphOptions } from '@ipay/platform';
import * as dbSchema from './db/schema.ts';
import { createLoaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';
import { seed } from './seed.ts';
import { createServices } from './services.ts';

export const finance = defineSubgraph(import.meta.url, {
  name: 'finance',
  dbSchema,
  resolvers,
  createLoaders,
  createServices,
  seed,
});

/** Builds the finance subgraph server without listening. */
export const createFinanceServer = (options: SubgraphOptions) => createSubgraphServer(finance, options);
