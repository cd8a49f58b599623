import { createSubgraphServer, defineSubgraph, type SubgraphOptions } from '@ipay/platform';
import * as dbSchema from './db/schema.ts';
import { createLoaders } from './db/loaders.ts';
import { resolvers } from './resolvers/index.ts';
import { createServices } from './app/services.ts';
import { webhookRoutes } from './adapters/webhook-routes.ts';

export const payments = defineSubgraph(import.meta.url, {
  name: 'payments',
  dbSchema,
  resolvers,
  createLoaders,
  createServices,
  // Public: each PSP's webhook verifies its own signature.
  routes: webhookRoutes,
  // The sandbox PSPs post to this server's own webhook routes unless PAYMENTS_PUBLIC_URL says otherwise.
  onListening: (services, baseUrl) => services.useListeningUrl(baseUrl),
  // Sandbox data only (refused in production): loaded through the sandbox's one dynamic entry.
  seed: async (db) => (await import('./sandbox/index.ts')).seed(db),
});

/** Builds the payments subgraph server without listening. */
export const createPaymentsServer = (options: SubgraphOptions) => createSubgraphServer(payments, options);
