import { createSubgraphServer, defineSubgraph, type SubgraphOptions } from '@ipay/platform';
import * as dbSchema from './db/schema.ts';
import { createLoaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';
import { seed } from './seed.ts';

export const logistics = defineSubgraph(import.meta.url, {
  name: 'logistics',
  dbSchema,
  audit: { auditLog: dbSchema.auditLog, auditHead: dbSchema.auditHead },
  outbox: dbSchema.outbox,
  resolvers,
  createLoaders,
  seed,
});

/** Builds the logistics subgraph server without listening. */
export const createLogisticsServer = (options: SubgraphOptions) => createSubgraphServer(logistics, options);
