import { createSubgraphServer, defineSubgraph, type SubgraphOptions } from '@ipay/platform';
import { INTERNAL_DOWNLOAD_ROUTE, downloadRoute } from './app/downloads.ts';
import * as dbSchema from './db/schema.ts';
import { createLoaders } from './db/loaders.ts';
import { resolvers } from './resolvers/index.ts';
import { createServices } from './app/services.ts';

export const finance = defineSubgraph(import.meta.url, {
  name: 'finance',
  dbSchema,
  resolvers,
  createLoaders,
  createServices,
  // Sandbox data: loaded only when seeding (never in production).
  seed: async (db) => (await import('./sandbox/index.ts')).seed(db),
  // Streamed export downloads, reached only through the gateway (GET /v1/downloads/settlement-exports/<token>).
  routes: ({ db, services }) => ({ [`${INTERNAL_DOWNLOAD_ROUTE}*`]: downloadRoute(db, services.downloads, () => services.datev) }),
});

/** Builds the finance subgraph server without listening. */
export const createFinanceServer = (options: SubgraphOptions) => createSubgraphServer(finance, options);
