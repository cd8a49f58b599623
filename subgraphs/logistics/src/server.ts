import { createSubgraphServer, defineSubgraph, type SubgraphOptions } from '@ipay/platform';
import * as dbSchema from './db/schema.ts';
import { createLoaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';
import { seed } from './seed.ts';
import { createServices } from './services.ts';
import { carrierWebhookRoute } from './app/scans.ts';

export const logistics = defineSubgraph(import.meta.url, {
  name: 'logistics',
  dbSchema,
  resolvers,
  createLoaders,
  createServices,
  // Public: each carrier's request is authenticated by its signature or shared secret.
  routes: ({ db, services }) => ({ '/webhooks/carriers/*': carrierWebhookRoute(db, services) }),
  // The sandbox simulator posts to this server's own webhook routes, unless a public base URL is configured.
  onListening: (services, baseUrl) => {
    if (!services.webhookBaseUrlConfigured) services.webhookBaseUrl = baseUrl;
  },
  seed,
});

/** Builds the logistics subgraph server without listening. */
export const createLogisticsServer = (options: SubgraphOptions) => createSubgraphServer(logistics, options);
