import { createSubgraphServer, defineSubgraph, type SubgraphOptions } from '@ipay/platform';
import * as dbSchema from './db/schema.ts';
import { createLoaders } from './db/loaders.ts';
import { resolvers } from './resolvers/index.ts';
import { createServices } from './app/services.ts';
import { carrierWebhookRoute, SANDBOX_CARRIER_WEBHOOK_PREFIX } from './app/scans.ts';

export const logistics = defineSubgraph(import.meta.url, {
  name: 'logistics',
  dbSchema,
  resolvers,
  createLoaders,
  createServices,
  // Public: each carrier's request is authenticated by its signature or shared secret.
  // The sandbox route (only while the sandbox runs) takes the simulator's scans, signed with the sandbox's own secrets.
  routes: ({ db, services }) => ({
    '/webhooks/carriers/*': carrierWebhookRoute(db, services),
    ...(services.sandbox
      ? {
          [`${SANDBOX_CARRIER_WEBHOOK_PREFIX}*`]: carrierWebhookRoute(
            db,
            services,
            { secrets: services.sandbox.webhookSecrets, testModeOnly: true },
            SANDBOX_CARRIER_WEBHOOK_PREFIX,
          ),
        }
      : {}),
  }),
  // The sandbox simulator posts to this server's own webhook routes, unless a public base URL is configured.
  onListening: (services, baseUrl) => {
    if (!services.webhookBaseUrlConfigured) services.webhookBaseUrl = baseUrl;
  },
  // Sandbox data: loaded only when seeding (never in production).
  seed: async (db, services) => (await import('./sandbox/index.ts')).seed(db, services),
});

/** Builds the logistics subgraph server without listening. */
export const createLogisticsServer = (options: SubgraphOptions) => createSubgraphServer(logistics, options);
