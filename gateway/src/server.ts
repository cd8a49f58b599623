import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource, type SupergraphManager } from '@apollo/gateway';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import {
  INTERNAL_TOKEN_HEADER,
  REQUEST_ID_HEADER,
  SUBGRAPH_NAMES,
  closeServer,
  createHttpServer,
  createLogger,
  executeGraphQL,
  internalTokenSecret,
  isProduction,
  listen,
  sendJson,
  signInternalToken,
  subgraphUrl,
  type Logger,
  type DatabaseTarget,
  type EventBus,
  type Principal,
  type RouteHandler,
  type SubgraphName,
} from '@ipay/platform';
import { Authenticator } from './auth.ts';
import { persistedOnlyPlugin, trustedDocumentsCache } from './trusted-documents.ts';
import { DrizzleIdempotencyStore, createRestFacade, openGatewayDatabase, readRestArtifacts } from './rest/index.ts';
import { SubscriptionEngine, type SubscriptionLimits } from './subscriptions.ts';
import { SSE_PATH, sseRoute } from './sse.ts';
import { dashboardRoutes } from './dashboard.ts';

// @apollo/gateway otherwise starts an OpenTelemetry exporter to Apollo whose cloud resource detectors probe
// metadata addresses (169.254.169.254 …): a gateway of ours never phones home.
process.env.APOLLO_TELEMETRY_DISABLED = 'true';

export const SUPERGRAPH_FILE = new URL('../../schema/supergraph.graphql', import.meta.url);

export interface GatewayContext {
  requestId: string;
  logger: Logger;
  /** Verified from the Authorization header; null for anonymous requests. */
  principal: Principal | null;
  sourceIp: string | null;
}

export interface GatewayOptions {
  /** The composed supergraph; defaults to the committed schema/supergraph.graphql. */
  supergraphSdl?: string;
  /** Compose at start-up by introspecting the subgraphs instead (development only). */
  introspectAndCompose?: boolean;
  /** Where each subgraph is; defaults to `<NAME>_URL` or localhost on its default port. */
  subgraphUrls?: Partial<Record<SubgraphName, string>>;
  internalSecret?: string;
  /** A subgraph call that takes longer fails instead of hanging the request (default 10 s). */
  subgraphTimeoutMs?: number;
  /** How long a verified principal is reused (see Authenticator). */
  authCacheTtlMs?: number;
  /** Where subscription events come from; without one the gateway serves no subscriptions. */
  bus?: EventBus;
  /** The gateway's own database (REST idempotency keys); PostgreSQL or the shared PGlite. */
  database?: DatabaseTarget;
  /** Accept only documents of the persisted-operation manifest (PERSISTED_OPERATIONS_ONLY=true). */
  persistedOnly?: boolean;
  subscriptionLimits?: Partial<SubscriptionLimits>;
  logger?: Logger;
}

export interface GatewayServer {
  httpServer: Server;
  logger: Logger;
  listen(port: number, host?: string): Promise<number>;
  stop(): Promise<void>;
}

export async function createGateway(options: GatewayOptions = {}): Promise<GatewayServer> {
  const logger = options.logger ?? createLogger('gateway');
  const secret = options.internalSecret ?? internalTokenSecret();
  const timeoutMs = options.subgraphTimeoutMs ?? Number(process.env.SUBGRAPH_TIMEOUT_MS ?? 10_000);
  const urls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, options.subgraphUrls?.[name] ?? subgraphUrl(name)])) as Record<SubgraphName, string>;

  const supergraph: string | SupergraphManager = options.introspectAndCompose
    ? new IntrospectAndCompose({ subgraphs: SUBGRAPH_NAMES.map((name) => ({ name, url: urls[name] })) })
    : (options.supergraphSdl ?? readFileSync(SUPERGRAPH_FILE, 'utf8'));

  const dataSource = (name: string, url?: string) =>
      new RemoteGraphQLDataSource<GatewayContext>({
        // The supergraph names the default URLs; the deployment decides the real ones.
        url: urls[name as SubgraphName] ?? url,
        fetcher: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) }),
        async willSendRequest({ request, context }) {
          // Introspection during development composition runs without a request context.
          const requestId = context.requestId ?? crypto.randomUUID();
          request.http?.headers.set(REQUEST_ID_HEADER, requestId);
          request.http?.headers.set(
            INTERNAL_TOKEN_HEADER,
            await signInternalToken(secret, { requestId, principal: context.principal ?? null, sourceIp: context.sourceIp ?? null }),
          );
        },
      });

  const gateway = new ApolloGateway({ supergraphSdl: supergraph, logger, buildService: ({ name, url }) => dataSource(name, url) });

  const restArtifacts = readRestArtifacts();
  const persistedOnly = options.persistedOnly ?? process.env.PERSISTED_OPERATIONS_ONLY === 'true';
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: !isProduction() && !persistedOnly,
    includeStacktraceInErrorResponses: !isProduction(),
    logger,
    // Manifest documents can be sent by id; with persistedOnly nothing else runs.
    persistedQueries: { cache: trustedDocumentsCache(restArtifacts.manifest) },
    plugins: [accessLog(), ...(persistedOnly ? [persistedOnlyPlugin(restArtifacts.manifest)] : [])],
  });
  await apollo.start();

  const authenticator = new Authenticator({ identityUrl: urls.identity, internalSecret: secret, cacheTtlMs: options.authCacheTtlMs, logger });
  const trustProxy = process.env.TRUST_PROXY === 'true';

  /** One context for every way in (GraphQL over HTTP, the REST facade): same authentication, same logs. */
  const contextFor = async (headers: Record<string, string | string[] | undefined>, remoteAddress: string | undefined, requestId: string, requestLogger: Logger): Promise<GatewayContext> => {
    const forwarded = trustProxy ? headers['x-forwarded-for'] : undefined;
    const sourceIp = (typeof forwarded === 'string' ? forwarded.split(',')[0]!.trim() : remoteAddress) ?? null;
    const authorization = headers.authorization;
    const principal = await authenticator.authenticate(typeof authorization === 'string' ? authorization : undefined, requestId);
    return { requestId, logger: principal ? requestLogger.child({ principal: principal.id }) : requestLogger, principal, sourceIp };
  };

  // The REST facade runs persisted operations through this same Apollo server, in process.
  const gatewayDatabase = options.database ? await openGatewayDatabase(options.database) : undefined;
  const rest = createRestFacade({
    ...restArtifacts,
    logger,
    idempotencyStore: gatewayDatabase ? new DrizzleIdempotencyStore(gatewayDatabase.db) : undefined,
    execute: async (request, ctx) => {
      const headers = new HeaderMap([['content-type', 'application/json']]);
      for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers.set(name, value);
      const forwarded = request.headers['x-forwarded-for'];
      const remoteAddress = typeof forwarded === 'string' ? forwarded.split(',').at(-1)!.trim() : undefined;
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: 'POST', headers, search: '', body: { query: request.query, variables: request.variables, operationName: request.operationName } },
        context: () => contextFor(request.headers, remoteAddress, ctx.requestId, ctx.logger),
      });
      let body = '';
      if (response.body.kind === 'complete') body = response.body.string;
      else for await (const chunk of response.body.asyncIterator) body += chunk;
      return { status: response.status ?? 200, body, headers: Object.fromEntries(response.headers) };
    },
  });

  let sse: RouteHandler | undefined;
  const httpServer = createHttpServer(logger, {
    ...rest.routes,
    ...dashboardRoutes(),
    // GraphQL over SSE: the same subscriptions as graphql-ws on /graphql (see sse.ts).
    [SSE_PATH]: (info) => (sse ? sse(info) : sendJson(info.res, 404, { error: 'this gateway serves no subscriptions (no event bus)', requestId: info.requestId })),
    '/graphql': (info) => executeGraphQL(apollo, info, () => contextFor(info.req.headers, info.req.socket.remoteAddress, info.requestId, info.logger)),
    '/healthz': ({ res }) => sendJson(res, 200, { status: 'ok', service: 'gateway' }),
    '/readyz': async ({ res }) => {
      const checks = await Promise.all(SUBGRAPH_NAMES.map(async (name) => [name, await probe(urls[name], timeoutMs)] as const));
      const ready = checks.every(([, check]) => check === 'ready');
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', subgraphs: Object.fromEntries(checks) });
    },
  });

  // Subscriptions need the composed supergraph up front (the planner plans them) and an event bus.
  const subscriptions =
    options.bus && typeof supergraph === 'string'
      ? new SubscriptionEngine({ supergraphSdl: supergraph, dataSource: (name) => dataSource(name), bus: options.bus, authenticator, logger, limits: options.subscriptionLimits })
      : undefined;
  subscriptions?.attach(httpServer);
  if (subscriptions) sse = sseRoute(subscriptions, authenticator, logger);

  return {
    httpServer,
    logger,
    listen: (port, host) => listen(httpServer, port, 'gateway', 'GATEWAY_PORT', host),
    stop: async () => {
      await subscriptions?.close();
      await closeServer(httpServer);
      await apollo.stop();
      await gatewayDatabase?.close();
    },
  };
}

/** A subgraph is ready when its own /readyz (which checks its database) answers 200. */
async function probe(graphqlUrl: string, timeoutMs: number): Promise<string> {
  try {
    const response = await fetch(new URL('/readyz', graphqlUrl), { signal: AbortSignal.timeout(Math.min(timeoutMs, 3000)) });
    return response.ok ? 'ready' : `unavailable (HTTP ${response.status})`;
  } catch (error) {
    return `unreachable (${(error as Error).message})`;
  }
}

/** One structured line per GraphQL operation, with the request id that subgraph logs carry too. */
function accessLog(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async willSendResponse({ request, response, errors }) {
          const body = response.body.kind === 'single' ? response.body.singleResult : undefined;
          contextValue.logger.info(
            {
              operationName: request.operationName ?? null,
              ms: Math.round(performance.now() - started),
              errors: (errors ?? body?.errors ?? []).map((e) => e.extensions?.code ?? e.message),
            },
            'graphql operation',
          );
        },
      };
    },
  };
}
