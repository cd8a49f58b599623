import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { parse, type DocumentNode } from 'graphql';
import { internalTokenSecret, isProduction, type SubgraphName } from './config.ts';
import { openDatabase, type Database, type DatabaseHandle, type DatabaseTarget, type QueryCounter } from './db.ts';
import { closeServer, createHttpServer, executeGraphQL, listen, sendJson } from './http.ts';
import { INTERNAL_TOKEN_HEADER, InternalTokenError, verifyInternalToken } from './internal-token.ts';
import { createLogger, type Logger } from './logger.ts';

/** What every resolver of every subgraph receives. */
export interface SubgraphContext<TSchema extends Record<string, unknown>, TLoaders> {
  requestId: string;
  logger: Logger;
  db: Database<TSchema>;
  /** Per-request DataLoaders: every entity hop is batched, so SQL counts do not grow with list length. */
  loaders: TLoaders;
}

/** A subgraph is data: its SDL, its drizzle schema and migrations, its resolvers and loaders. */
export interface SubgraphDefinition<TSchema extends Record<string, unknown>, TLoaders> {
  name: SubgraphName;
  typeDefs: DocumentNode;
  dbSchema: TSchema;
  migrationsFolder: string;
  // The generated resolver types are stricter than Apollo's map; each subgraph checks them against its codegen types.
  resolvers: object;
  createLoaders(db: Database<TSchema>): TLoaders;
  /** Sandbox data; must be idempotent (runs on every embedded start). */
  seed?(db: Database<TSchema>): Promise<void>;
}

/**
 * Declares a subgraph from its module URL: the SDL is read from `schema.graphql` and the migrations from
 * `drizzle/` next to the package's `src/`, so every subgraph has the same shape.
 */
export function defineSubgraph<TSchema extends Record<string, unknown>, TLoaders>(
  serverModuleUrl: string,
  definition: Omit<SubgraphDefinition<TSchema, TLoaders>, 'typeDefs' | 'migrationsFolder'>,
): SubgraphDefinition<TSchema, TLoaders> {
  return {
    ...definition,
    typeDefs: parse(readFileSync(new URL('../schema.graphql', serverModuleUrl), 'utf8')),
    migrationsFolder: fileURLToPath(new URL('../drizzle', serverModuleUrl)),
  };
}

export interface SubgraphOptions {
  database: DatabaseTarget;
  internalSecret?: string;
  logger?: Logger;
  counter?: QueryCounter;
  /** Apply migrations before serving (default true). */
  migrate?: boolean;
  /** Load sandbox data (default false). */
  seed?: boolean;
}

export interface SubgraphServer<TSchema extends Record<string, unknown>> {
  name: SubgraphName;
  httpServer: Server;
  database: DatabaseHandle<TSchema>;
  logger: Logger;
  listen(port: number, host?: string): Promise<number>;
  stop(): Promise<void>;
}

export async function createSubgraphServer<TSchema extends Record<string, unknown>, TLoaders>(
  definition: SubgraphDefinition<TSchema, TLoaders>,
  options: SubgraphOptions,
): Promise<SubgraphServer<TSchema>> {
  const { name } = definition;
  const logger = options.logger ?? createLogger(name);
  const secret = options.internalSecret ?? internalTokenSecret();
  const database = openDatabase(options.database, { schema: definition.dbSchema, counter: options.counter });
  if (options.migrate !== false) await database.migrate(name, definition.migrationsFolder);
  if (options.seed) await definition.seed?.(database.db);

  type Context = SubgraphContext<TSchema, TLoaders>;
  const apollo = new ApolloServer<Context>({
    schema: buildSubgraphSchema([{ typeDefs: definition.typeDefs, resolvers: definition.resolvers as GraphQLResolverMap<Context> }]),
    introspection: !isProduction(),
    includeStacktraceInErrorResponses: !isProduction(),
    logger,
    // No Apollo Studio here: per-request traces would be overhead nobody reads.
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  await apollo.start();

  const httpServer = createHttpServer(logger, {
    '/graphql': async (info) => {
      const header = info.req.headers[INTERNAL_TOKEN_HEADER];
      try {
        await verifyInternalToken(secret, typeof header === 'string' ? header : undefined);
      } catch (error) {
        if (!(error instanceof InternalTokenError)) throw error;
        info.logger.warn({ reason: error.message }, 'refused a request that did not come through the gateway');
        sendJson(info.res, 401, { errors: [{ message: error.message, extensions: { code: 'UNAUTHENTICATED' } }] });
        return;
      }
      await executeGraphQL(apollo, info, async () => ({
        requestId: info.requestId,
        logger: info.logger,
        db: database.db,
        loaders: definition.createLoaders(database.db),
      }));
    },
    '/healthz': ({ res }) => sendJson(res, 200, { status: 'ok', service: name }),
    '/readyz': async ({ res }) => {
      try {
        await database.ping();
        sendJson(res, 200, { status: 'ready', service: name });
      } catch (error) {
        sendJson(res, 503, { status: 'unavailable', service: name, reason: (error as Error).message });
      }
    },
  });

  return {
    name,
    httpServer,
    database,
    logger,
    listen: (port, host) => listen(httpServer, port, name, `${name.toUpperCase()}_PORT`, host),
    stop: async () => {
      await closeServer(httpServer);
      await apollo.stop();
      await database.close();
    },
  };
}
