import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { parse, type DocumentNode } from 'graphql';
import { internalTokenSecret, ipayEnvironment, isProduction, type IpayEnvironment, type SubgraphName } from './config.ts';
import { apolloEnvironmentOptions } from './masking.ts';
import { openDatabase, type AnyDatabase, type Database, type DatabaseHandle, type DatabaseTarget, type QueryCounter } from './db.ts';
import { closeServer, createHttpServer, executeGraphQL, listen, sendJson, type RequestInfo, type RouteHandler } from './http.ts';
import { INTERNAL_TOKEN_HEADER, InternalTokenError, REQUEST_WROTE_HEADER, verifyInternalToken, type InternalClaims } from './internal-token.ts';
import { Authorization } from './auth/guard.ts';
import { loadAuditKeyring, verifyAuditChain, type AuditActor, type AuditTables, type ChainVerification } from './audit.ts';
import { actorOf, runMutation, systemActor, type UnitOfWork } from './mutation.ts';
import type { EventBus } from './events/bus.ts';
import { openEventBus } from './events/open.ts';
import type { OutboxTable } from './events/outbox.ts';
import { OutboxRelay } from './events/relay.ts';
import { createLogger, type Logger } from './logger.ts';
import { JobQueue } from './jobs/index.ts';

/** What every resolver of every subgraph receives. */
export interface SubgraphContext<TSchema extends Record<string, unknown>, TLoaders, TServices = undefined> {
  requestId: string;
  logger: Logger;
  db: Database<TSchema>;
  /** The verified caller (from the gateway's signed token) and what it may do. */
  auth: Authorization;
  sourceIp: string | null;
  /** The client's Accept-Language as the gateway forwards it (consumer texts pick their locale from it). */
  acceptLanguage: string | null;
  /** Per-request DataLoaders: every entity hop is batched, so SQL counts do not grow with list length. */
  loaders: TLoaders;
  /** Long-lived collaborators of the subgraph (signing keys, adapters), built once at start. */
  services: TServices;
  /** Runs a mutation in one transaction with its audit records and outbox events. */
  mutate<T>(work: (uow: UnitOfWork<TSchema>) => Promise<T>): Promise<T>;
  /** The same, for a caller that is not (yet) the principal, e.g. a key being exchanged for a token. */
  mutateAs<T>(actor: AuditActor, work: (uow: UnitOfWork<TSchema>) => Promise<T>): Promise<T>;
}

/** A subgraph is data: its SDL, its drizzle schema and migrations, its resolvers and loaders. */
export interface SubgraphDefinition<TSchema extends Record<string, unknown>, TLoaders, TServices = undefined> {
  name: SubgraphName;
  typeDefs: DocumentNode;
  dbSchema: TSchema;
  /** The subgraph's own audit trail tables (from `auditTables(itsPgSchema)`). */
  audit: AuditTables;
  /** The subgraph's outbox (from `outboxTable(itsPgSchema)`). */
  outbox: OutboxTable;
  migrationsFolder: string;
  // The generated resolver types are stricter than Apollo's map; each subgraph checks them against its codegen types.
  resolvers: object;
  /** Loaders are per request and may bake the caller's data scope into their queries. */
  createLoaders(db: Database<TSchema>, auth: Authorization): TLoaders;
  /**
   * Builds the subgraph's services once, from its options (e.g. identity's token signing keys). Background work is
   * defined on `platform.jobs` here; the queue starts once services (and sandbox seeding) are ready.
   */
  createServices?(db: Database<TSchema>, options: SubgraphOptions, logger: Logger, platform: { jobs: JobQueue }): Promise<TServices> | TServices;
  /**
   * Extra HTTP routes. Paths under `/internal/` only accept the gateway's signed token; others are public
   * and must authenticate callers themselves (e.g. a PSP webhook verifying its HMAC signature).
   */
  routes?(deps: { db: Database<TSchema>; services: TServices; logger: Logger }): Record<string, RouteHandler>;
  /** Told where the server listens once it does (services that call their own routes, e.g. sandbox simulators). */
  onListening?(services: TServices, baseUrl: string): void;
  /** Sandbox data; must be idempotent (runs on every embedded start). */
  seed?(db: Database<TSchema>, services: TServices): Promise<void>;
}

/** What every subgraph's drizzle schema module exports besides its own tables. */
export interface SubgraphTables extends Record<string, unknown> {
  auditLog: AuditTables['auditLog'];
  auditHead: AuditTables['auditHead'];
  outbox: OutboxTable;
}

/** Types every subgraph serves the same way (the audit trail), kept once instead of in five SDL files. */
export const SHARED_SDL_FILE = fileURLToPath(new URL('../audit.graphql', import.meta.url));

/** A subgraph's SDL as it is served, composed and code-generated: its schema.graphql plus the shared types. */
export function subgraphSdl(schemaFile: string): string {
  return `${readFileSync(schemaFile, 'utf8')}\n${readFileSync(SHARED_SDL_FILE, 'utf8')}`;
}

/**
 * Declares a subgraph from its module URL: the SDL is read from `schema.graphql` and the migrations from
 * `drizzle/` next to the package's `src/`, so every subgraph has the same shape.
 */
export function defineSubgraph<TSchema extends SubgraphTables, TLoaders, TServices = undefined>(
  serverModuleUrl: string,
  definition: Omit<SubgraphDefinition<TSchema, TLoaders, TServices>, 'typeDefs' | 'migrationsFolder' | 'audit' | 'outbox'>,
): SubgraphDefinition<TSchema, TLoaders, TServices> {
  return {
    ...definition,
    // By convention every subgraph's drizzle schema exports its audit and outbox tables under these names.
    audit: { auditLog: definition.dbSchema.auditLog, auditHead: definition.dbSchema.auditHead },
    outbox: definition.dbSchema.outbox,
    typeDefs: parse(subgraphSdl(fileURLToPath(new URL('../schema.graphql', serverModuleUrl)))),
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
  /** Subgraph-specific settings that tests pass directly instead of through env vars. */
  config?: Record<string, unknown>;
  /** How errors, introspection and suggestions are served (default: IPAY_ENV). */
  environment?: IpayEnvironment;
  /** The event bus the outbox relay publishes to; without one the subgraph opens its own from env. */
  bus?: EventBus;
}

export interface SubgraphServer<TSchema extends Record<string, unknown>, TServices = unknown> {
  name: SubgraphName;
  services: TServices;
  /** Publishes committed outbox events now (tests; normally woken by each commit). */
  relay: OutboxRelay;
  /** The subgraph's background jobs (pg-boss in `<name>_jobs`): failed jobs, job states. */
  jobs: JobQueue;
  /**
   * Re-verifies this subgraph's audit chain and publishes the result as `audit.chain_verified` (finance's audit-chain
   * control reads it). Runs as the `audit-attestation` job (AUDIT_ATTESTATION_INTERVAL_MS) and on call.
   */
  attestAuditChain(): Promise<ChainVerification>;
  /** Runs a mutation as a system component (jobs, provider callbacks), with audit and outbox. */
  runAsSystem<T>(component: string, livemode: boolean, work: (uow: UnitOfWork<TSchema>) => Promise<T>): Promise<T>;
  httpServer: Server;
  database: DatabaseHandle<TSchema>;
  logger: Logger;
  listen(port: number, host?: string): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A request context whose `logger` (the principal's child logger) is made on first use: most requests log nothing, and
 * one child per request cost more than their log lines. The getter is on the prototype because Apollo copies the
 * context's own properties for each operation, which would call an own getter at once.
 */
const lazyLoggerPrototype = {
  get logger(): Logger {
    const self = this as unknown as { madeLogger?: Logger; makeLogger(): Logger };
    return (self.madeLogger ??= self.makeLogger());
  },
};
function withLazyLogger<T extends { logger: Logger }>(makeLogger: () => Logger, fields: Omit<T, 'logger'>): T {
  return Object.assign(Object.create(lazyLoggerPrototype) as object, fields, { makeLogger }) as unknown as T;
}

export async function createSubgraphServer<TSchema extends Record<string, unknown>, TLoaders, TServices>(
  definition: SubgraphDefinition<TSchema, TLoaders, TServices>,
  options: SubgraphOptions,
): Promise<SubgraphServer<TSchema, TServices>> {
  const { name } = definition;
  const logger = options.logger ?? createLogger(name);
  const secret = options.internalSecret ?? internalTokenSecret();
  loadAuditKeyring();
  const database = openDatabase(options.database, { schema: definition.dbSchema, counter: options.counter });
  if (options.migrate !== false) await database.migrate(name, definition.migrationsFolder);

  // The bus the relay publishes to: given (one per process), or NATS_URL, or the SQL log in this database.
  const ownBus = options.bus ? undefined : await openEventBus(options.database, logger);
  const bus = options.bus ?? ownBus!;
  // Background and infrastructure work (the relay's polling, services' consumers and jobs, webhook and internal
  // routes) has its own connections, so GraphQL request SQL counts and request pools are not disturbed by it.
  const relayDatabase = openDatabase(options.database, { schema: definition.dbSchema, maxConnections: 4 });
  const relay = new OutboxRelay(relayDatabase.db, definition.outbox, bus, name, logger);
  relay.start();
  const mutationTables = { audit: definition.audit, outbox: definition.outbox, afterEvents: () => void relay.kick() };
  const jobs = new JobQueue(relayDatabase.db, name, logger);
  const services = (await definition.createServices?.(relayDatabase.db, { ...options, bus }, logger, { jobs })) as TServices;
  if (options.seed) {
    // Sandbox data holds well-known credentials: never in production.
    if (isProduction()) throw new Error('sandbox seeding is refused in production (IPAY_ENV)');
    await definition.seed?.(database.db, services);
  }
  type Context = SubgraphContext<TSchema, TLoaders, TServices>;
  const apollo = new ApolloServer<Context>({
    schema: buildSubgraphSchema([{ typeDefs: definition.typeDefs, resolvers: definition.resolvers as GraphQLResolverMap<Context> }]),
    ...apolloEnvironmentOptions(options.environment ?? ipayEnvironment(), logger),
    logger,
    // No Apollo Studio here: per-request traces would be overhead nobody reads. No cache control either: no type or
    // field has a cache hint, so every answer was `no-store` (said below), and its hook wrapped every resolver call.
    plugins: [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled()],
    // SIGTERM is the process's (onShutdown → stop()), never Apollo's own handler, which re-raises the signal.
    stopOnTerminationSignals: false,
  });
  await apollo.start();

  /** Verifies the gateway's token, or answers 401 and returns null. */
  const throughGateway = async (info: RequestInfo): Promise<InternalClaims | null> => {
    const header = info.req.headers[INTERNAL_TOKEN_HEADER];
    try {
      return await verifyInternalToken(secret, typeof header === 'string' ? header : undefined);
    } catch (error) {
      if (!(error instanceof InternalTokenError)) throw error;
      info.logger.warn({ reason: error.message }, 'refused a request that did not come through the gateway');
      sendJson(info.res, 401, { errors: [{ message: error.message, extensions: { code: 'UNAUTHENTICATED' } }] });
      return null;
    }
  };
  const extraRoutes = Object.fromEntries(
    Object.entries(definition.routes?.({ db: relayDatabase.db, services, logger }) ?? {}).map(([path, handler]): [string, RouteHandler] => [
      path,
      path.startsWith('/internal/')
        ? async (info) => {
            const claims = await throughGateway(info);
            return claims ? handler({ ...info, internal: claims }) : undefined;
          }
        : handler,
    ]),
  );

  const httpServer = createHttpServer(logger, {
    ...extraRoutes,
    '/graphql': async (info) => {
      const claims = await throughGateway(info);
      if (!claims) return;
      info.res.setHeader('cache-control', 'no-store');
      const auth = new Authorization(claims.principal);
      // Said before the reply is written (execution ends before it is), so the gateway never shares this reply.
      const wrote = () => void (info.res.headersSent || info.res.setHeader(REQUEST_WROTE_HEADER, '1'));
      await executeGraphQL(apollo, info, async () =>
        withLazyLogger<Context>(() => (claims.principal ? info.logger.child({ principal: claims.principal.id }) : info.logger), {
          requestId: info.requestId,
          db: database.db,
          auth,
          sourceIp: claims.sourceIp,
          acceptLanguage: typeof info.req.headers['accept-language'] === 'string' ? info.req.headers['accept-language'] : null,
          loaders: definition.createLoaders(database.db, auth),
          services,
          mutate: (work) => {
            wrote();
            return runMutation(database.db, mutationTables, actorOf(auth, info.requestId, claims.sourceIp), work);
          },
          mutateAs: (actor, work) => {
            wrote();
            return runMutation(database.db, mutationTables, actor, work);
          },
        }),
      );
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

  // Audit attestation: verify the chain in one snapshot (appends committing meanwhile are not half-seen), then record it.
  const attestAuditChain = async (): Promise<ChainVerification> => {
    const verification = await database.db.transaction((tx) => verifyAuditChain(tx as unknown as AnyDatabase, definition.audit), {
      isolationLevel: 'repeatable read',
      accessMode: 'read only',
    });
    const verifiedAt = new Date().toISOString();
    await runMutation(database.db, mutationTables, systemActor('system:audit-attestation', isProduction()), async (uow) => {
      uow.audit({ action: 'audit.attest', entityType: 'AuditChain', entityId: name, merchantId: null, after: { ...verification, verifiedAt } });
      uow.emit({
        type: 'audit.chain_verified',
        subjectId: name,
        merchantId: null,
        livemode: isProduction(),
        payload: {
          subgraph: name,
          valid: verification.valid,
          checked_records: verification.checkedRecords,
          broken_at_position: verification.brokenAtPosition,
          reason: verification.reason,
          verified_at: verifiedAt,
        },
      });
    });
    return verification;
  };
  const attestEveryMs = Number(process.env.AUDIT_ATTESTATION_INTERVAL_MS ?? 6 * 3_600_000);
  jobs.define({
    name: 'audit-attestation',
    schedule: { everyMs: attestEveryMs },
    retry: { limit: 3, delaySeconds: 60, backoff: true },
    handler: async () => void (await attestAuditChain()),
  });
  await jobs.start();
  // A first attestation soon after start (then on the schedule); one across replicas.
  if (attestEveryMs > 0) await jobs.send('audit-attestation', {}, { startAfter: 5_000, singleton: { key: 'start', seconds: 60 } });

  return {
    name,
    services,
    relay,
    jobs,
    attestAuditChain,
    runAsSystem: (component, livemode, work) => runMutation(database.db, mutationTables, systemActor(`system:${component}`, livemode), work),
    httpServer,
    database,
    logger,
    listen: async (port, host) => {
      const bound = await listen(httpServer, port, name, `${name.toUpperCase()}_PORT`, host);
      definition.onListening?.(services, `http://${host && host !== '0.0.0.0' ? host : '127.0.0.1'}:${bound}`);
      return bound;
    },
    stop: async () => {
      await closeServer(httpServer);
      await apollo.stop();
      // Running jobs finish (they use services and the database) before either closes.
      await jobs.stop();
      await (services as { close?: () => Promise<void> } | undefined)?.close?.();
      await relay.stop();
      await relayDatabase.close();
      await ownBus?.close();
      await database.close();
    },
  };
}
