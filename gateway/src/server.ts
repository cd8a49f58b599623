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
  internalTokenSecret,
  apolloEnvironmentOptions,
  ipayEnvironment,
  type IpayEnvironment,
  listen,
  sendJson,
  signInternalToken,
  subgraphUrl,
  type Logger,
  type RequestInfo,
  type DatabaseTarget,
  type EventBus,
  type Principal,
  type RouteHandler,
  type SubgraphName,
} from '@ipay/platform';
import { Authenticator } from './auth.ts';
import { BodyMemoryBudget, DEFAULT_BODY_MEMORY_BYTES, DEFAULT_BULK_BODY_BYTES, DEFAULT_GRAPHQL_BODY_BYTES, graphqlEndpoint, sendGraphQLError } from './http-graphql.ts';
import { DEFAULT_OPERATION_LIMITS, OperationGuard, OperationRefused, PERSISTED_OPERATION_LIMITS, apiSchemaOf, operationLimitsFromEnv, type OperationLimits } from './limits.ts';
import { DrizzleIdempotencyStore, createRestFacade, openGatewayDatabase, readRestArtifacts } from './rest/index.ts';
import { DEFAULT_RATE_LIMITS, RateLimiter, openRateCounterStore, rateLimitsFromEnv, type RateCounterStore, type RateLimits } from './rate-limit.ts';
import { SubgraphCircuits, circuitOptionsFromEnv, type CircuitOptions } from './resilience.ts';
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
  /** Operation limits of ad-hoc documents (default: Armor's, from `GRAPHQL_MAX_*`) and of persisted ones (`PERSISTED_MAX_*`). */
  operationLimits?: Partial<OperationLimits>;
  persistedOperationLimits?: Partial<OperationLimits>;
  /** Largest GraphQL body (default 2 MB, `MAX_GRAPHQL_BODY_BYTES`) and bulk-route body (16 MiB, `MAX_BULK_BODY_BYTES`). */
  maxBodyBytes?: number;
  maxBulkBodyBytes?: number;
  /** Bytes of bodies held at once over all requests (default 64 MiB, `MAX_BODY_MEMORY_BYTES`). */
  bodyMemoryBytes?: number;
  /** How errors, introspection and suggestions are served (default: IPAY_ENV). */
  environment?: IpayEnvironment;
  /** Rate limits (default from `RATE_LIMIT_*`), counted in `rateLimitStore` (default: Redis on `REDIS_URL`, else memory). */
  rateLimits?: Partial<RateLimits>;
  rateLimitStore?: RateCounterStore;
  /** On stop, how long in-flight requests may finish before their connections are closed (default 10 s, `SHUTDOWN_DRAIN_MS`). */
  drainTimeoutMs?: number;
  /** Circuit breaker per subgraph and query retries (default from `SUBGRAPH_BREAKER_*`, `SUBGRAPH_QUERY_ATTEMPTS`). */
  circuit?: Partial<CircuitOptions>;
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
  const environment = options.environment ?? ipayEnvironment();
  const timeoutMs = options.subgraphTimeoutMs ?? Number(process.env.SUBGRAPH_TIMEOUT_MS ?? 10_000);
  const urls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, options.subgraphUrls?.[name] ?? subgraphUrl(name)])) as Record<SubgraphName, string>;

  const supergraph: string | SupergraphManager = options.introspectAndCompose
    ? new IntrospectAndCompose({ subgraphs: SUBGRAPH_NAMES.map((name) => ({ name, url: urls[name] })) })
    : (options.supergraphSdl ?? readFileSync(SUPERGRAPH_FILE, 'utf8'));

  const circuits = new SubgraphCircuits(SUBGRAPH_NAMES, { ...circuitOptionsFromEnv(), ...options.circuit }, logger);
  const dataSource = (name: string, url?: string) =>
      new RemoteGraphQLDataSource<GatewayContext>({
        // The supergraph names the default URLs; the deployment decides the real ones.
        url: urls[name as SubgraphName] ?? url,
        fetcher: circuits.fetcher(name, timeoutMs),
        async willSendRequest({ request, context, ...rest }) {
          // Introspection during development composition runs without a request context.
          const requestId = context.requestId ?? crypto.randomUUID();
          request.http?.headers.set(REQUEST_ID_HEADER, requestId);
          // Consumer texts follow the client's Accept-Language (subgraphs see it as SubgraphContext.acceptLanguage).
          const acceptLanguage = 'incomingRequestContext' in rest ? rest.incomingRequestContext.request.http?.headers.get('accept-language') : undefined;
          if (acceptLanguage) request.http?.headers.set('accept-language', acceptLanguage.slice(0, 256));
          request.http?.headers.set(
            INTERNAL_TOKEN_HEADER,
            await signInternalToken(secret, { requestId, principal: context.principal ?? null, sourceIp: context.sourceIp ?? null }),
          );
        },
      });

  const gateway = new ApolloGateway({ supergraphSdl: supergraph, logger, buildService: ({ name, url }) => dataSource(name, url) });

  const restArtifacts = readRestArtifacts();
  const persistedOnly = options.persistedOnly ?? process.env.PERSISTED_OPERATIONS_ONLY === 'true';
  // Manifest documents can be sent by id (the persisted-query extension); with persistedOnly nothing else runs.
  // The guard checks ids, persisted-only and the operation limits before Apollo sees a request.
  const guard = new OperationGuard(
    Object.fromEntries(Object.entries(restArtifacts.manifest.operations).map(([id, operation]) => [id, operation.document])),
    { ...operationLimitsFromEnv('GRAPHQL', DEFAULT_OPERATION_LIMITS), ...options.operationLimits },
    { ...operationLimitsFromEnv('PERSISTED', PERSISTED_OPERATION_LIMITS), ...options.persistedOperationLimits },
    persistedOnly,
    typeof supergraph === 'string' ? apiSchemaOf(supergraph) : undefined,
  );
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    ...apolloEnvironmentOptions(environment, logger),
    introspection: environment !== 'production' && !persistedOnly,
    logger,
    // Persisted ids are resolved by the guard; Apollo registers nothing at run time.
    persistedQueries: false,
    plugins: [accessLog()],
  });
  await apollo.start();

  const limiter = new RateLimiter(
    { ...DEFAULT_RATE_LIMITS, ...rateLimitsFromEnv(), ...options.rateLimits },
    options.rateLimitStore ?? openRateCounterStore(process.env.REDIS_URL || undefined, logger),
    logger,
  );
  const authenticator = new Authenticator({ identityUrl: urls.identity, internalSecret: secret, cacheTtlMs: options.authCacheTtlMs, logger });
  const trustProxy = process.env.TRUST_PROXY === 'true';
  const clientIp = (req: RequestInfo['req']) => {
    const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
    return (typeof forwarded === 'string' ? forwarded.split(',')[0]!.trim() : req.socket.remoteAddress) ?? 'unknown';
  };
  /** Per IP and per credential before anything is read; the stricter auth budget on routes that check a secret. */
  const rateLimited = (handler: RouteHandler, kind: 'graphql' | 'rest'): RouteHandler => async (info) => {
    const ip = clientIp(info.req);
    const credential = RateLimiter.credentialOf(info.req);
    const path = new URL(info.req.url ?? '/', 'http://localhost').pathname;
    const decision = await limiter.check([
      { policy: 'ip', id: ip },
      ...(credential ? [{ policy: 'key' as const, id: credential }] : []),
      ...(kind === 'rest' && path.startsWith('/v1/auth/') ? [{ policy: 'auth' as const, id: ip }] : []),
    ]);
    for (const [name, value] of Object.entries(decision.headers)) info.res.setHeader(name, value);
    if (decision.allowed) return handler(info);
    const message = `rate limit exceeded (${decision.policy}); retry after ${decision.retryAfterSeconds} s`;
    info.logger.warn({ policy: decision.policy, ip }, 'rate limited');
    if (kind === 'graphql') {
      sendGraphQLError(info.res, info.requestId, new OperationRefused(429, 'RATE_LIMITED', message, { policy: decision.policy, retryAfterSeconds: decision.retryAfterSeconds }), decision.headers);
    } else {
      sendJson(info.res, 429, { type: 'urn:ipay:problem:rate-limited', title: 'Too Many Requests', status: 429, detail: message, code: 'RATE_LIMITED', requestId: info.requestId }, { ...decision.headers, 'content-type': 'application/problem+json' });
    }
  };
  /** login and issueToken check a secret: a budget of their own per IP, after the document is known. */
  const authOperationLimit = async (info: RequestInfo, _checked: unknown, rootFields: string[]) => {
    if (!rootFields.some((field) => field === 'login' || field === 'issueToken')) return;
    const decision = await limiter.check([{ policy: 'auth', id: clientIp(info.req) }]);
    for (const [name, value] of Object.entries(decision.headers)) info.res.setHeader(name, value);
    if (!decision.allowed) {
      throw new OperationRefused(429, 'RATE_LIMITED', `rate limit exceeded (auth); retry after ${decision.retryAfterSeconds} s`, { policy: 'auth', retryAfterSeconds: decision.retryAfterSeconds }, decision.headers);
    }
  };

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
      // Persisted documents, so the persisted budget; still checked, so a bad manifest cannot bypass the limits.
      try {
        guard.check({ query: request.query, variables: request.variables, operationName: request.operationName });
      } catch (error) {
        if (!(error instanceof OperationRefused)) throw error;
        const body = JSON.stringify({ errors: [{ message: error.message, extensions: { code: error.code, ...error.extensions, requestId: ctx.requestId } }] });
        return { status: error.status, body, headers: { 'content-type': 'application/json', ...error.headers } };
      }
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

  const envBytes = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
  const maxBodyBytes = options.maxBodyBytes ?? envBytes('MAX_GRAPHQL_BODY_BYTES', DEFAULT_GRAPHQL_BODY_BYTES);
  const maxBulkBodyBytes = options.maxBulkBodyBytes ?? envBytes('MAX_BULK_BODY_BYTES', DEFAULT_BULK_BODY_BYTES);
  const memory = new BodyMemoryBudget(options.bodyMemoryBytes ?? envBytes('MAX_BODY_MEMORY_BYTES', DEFAULT_BODY_MEMORY_BYTES));
  const graphqlContext = (info: RequestInfo) => contextFor(info.req.headers, info.req.socket.remoteAddress, info.requestId, info.logger);
  let sse: RouteHandler | undefined;
  const httpServer = createHttpServer(logger, {
    ...Object.fromEntries(Object.entries(rest.routes).map(([path, handler]) => [path, path.startsWith('/v1') ? rateLimited(handler, 'rest') : handler])),
    ...dashboardRoutes(),
    // GraphQL over SSE: the same subscriptions as graphql-ws on /graphql (see sse.ts).
    [SSE_PATH]: rateLimited((info) => (sse ? sse(info) : sendJson(info.res, 404, { error: 'this gateway serves no subscriptions (no event bus)', requestId: info.requestId })), 'graphql'),
    '/graphql': rateLimited(graphqlEndpoint({ apollo, guard, memory, maxBodyBytes, beforeExecute: authOperationLimit, context: graphqlContext }), 'graphql'),
    // Bulk imports have their own route and body budget, so /graphql stays small.
    '/graphql/bulk': rateLimited(graphqlEndpoint({ apollo, guard, memory, maxBodyBytes: maxBulkBodyBytes, bulk: true, beforeExecute: authOperationLimit, context: graphqlContext }), 'graphql'),
    '/healthz': ({ res }) => sendJson(res, 200, { status: 'ok', service: 'gateway' }),
    '/readyz': async ({ res }) => {
      if (draining) return sendJson(res, 503, { status: 'draining' });
      const checks = await Promise.all(SUBGRAPH_NAMES.map(async (name) => [name, await probe(urls[name], timeoutMs)] as const));
      const ready = checks.every(([, check]) => check === 'ready');
      // The bus is reported, not required: queries still answer while it reconnects (subscriptions resume after).
      const bus = options.bus ? ((await options.bus.health?.().catch((error: Error) => `unreachable (${error.message})`)) ?? 'ok') : 'none';
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', subgraphs: Object.fromEntries(checks), circuits: circuits.states(), bus });
    },
  });

  // Graceful shutdown: in-flight requests are counted so stop() can drain them (bounded) before closing sockets.
  let inFlight = 0;
  let draining = false;
  httpServer.prependListener('request', (_req, res) => {
    inFlight += 1;
    if (draining) res.setHeader('connection', 'close');
    res.once('close', () => (inFlight -= 1));
  });
  const drainMs = options.drainTimeoutMs ?? Number(process.env.SHUTDOWN_DRAIN_MS ?? 10_000);

  // Subscriptions need the composed supergraph up front (the planner plans them) and an event bus.
  const subscriptions =
    options.bus && typeof supergraph === 'string'
      ? new SubscriptionEngine({ supergraphSdl: supergraph, dataSource: (name) => dataSource(name), bus: options.bus, authenticator, logger, limits: options.subscriptionLimits, environment })
      : undefined;
  subscriptions?.attach(httpServer);
  if (subscriptions) sse = sseRoute(subscriptions, authenticator, logger);

  return {
    httpServer,
    logger,
    listen: (port, host) => listen(httpServer, port, 'gateway', 'GATEWAY_PORT', host),
    stop: async () => {
      // 1. Not ready any more, no new connections; 2. subscribers told to reconnect elsewhere (1012, resume with
      // lastEventId); 3. in-flight requests finish, for at most drainMs; 4. whatever is left is cut.
      draining = true;
      const closed = closeServer(httpServer);
      await subscriptions?.close();
      const deadline = Date.now() + drainMs;
      while (inFlight > 0 && Date.now() < deadline) {
        httpServer.closeIdleConnections();
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      if (inFlight > 0) logger.warn({ inFlight }, 'drain timeout: closing the remaining connections');
      httpServer.closeAllConnections();
      await closed;
      await apollo.stop();
      await gatewayDatabase?.close();
      await limiter.close();
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
