import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { ApolloGateway, IntrospectAndCompose, type GraphQLDataSourceProcessOptions, type SupergraphManager } from '@apollo/gateway';
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
  signInternalTokenSync,
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
import { SubgraphDataSource, subgraphAgent } from './data-source.ts';
import { BodyMemoryBudget, DEFAULT_BODY_MEMORY_BYTES, DEFAULT_BULK_BODY_BYTES, DEFAULT_GRAPHQL_BODY_BYTES, graphqlEndpoint } from './http-graphql.ts';
import {
  DEFAULT_OPERATION_LIMITS,
  OperationGuard,
  OperationRefused,
  PERSISTED_OPERATION_LIMITS,
  apiSchemaOf,
  operationLimitsFromEnv,
  type OperationLimits,
} from './limits.ts';
import { DrizzleIdempotencyStore, createRestFacade, openGatewayDatabase, readRestArtifacts } from './rest/index.ts';
import {
  DEFAULT_RATE_LIMITS,
  InFlightLimiter,
  RateLimiter,
  admission,
  openRateCounterStore,
  rateLimitsFromEnv,
  type RateCounterStore,
  type RateLimits,
} from './rate-limit.ts';
import { SubgraphCircuits, circuitOptionsFromEnv, type CircuitOptions } from './resilience.ts';
import { SubscriptionEngine, type SubscriptionLimits } from './subscriptions.ts';
import { SSE_PATH, sseRoute } from './sse.ts';
import { probeSubgraphs } from './readiness.ts';
import { manifestMismatch, resolveGraphUrls, supergraphGraphs } from './supergraph-graphs.ts';
import { dashboardRoutes } from './dashboard.ts';
import { DOWNLOAD_ROUTES, downloadRoute } from './downloads.ts';

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
  /** Where each subgraph is; defaults to `<NAME>_URL`, localhost on `<NAME>_PORT` (ours), or the supergraph's URL. */
  subgraphUrls?: Partial<Record<SubgraphName, string>> & Record<string, string | undefined>;
  internalSecret?: string;
  /** A subgraph call that takes longer fails instead of hanging the request (default 10 s). */
  subgraphTimeoutMs?: number;
  /** How long a verified principal is reused (see Authenticator). */
  authCacheTtlMs?: number;
  /** Where subscription events come from; without one the gateway serves no subscriptions. */
  bus?: EventBus;
  /** The gateway's own database (REST idempotency keys); PostgreSQL or the shared PGlite; a function opens it only when needed. */
  database?: DatabaseTarget | (() => DatabaseTarget);
  /**
   * The REST facade over the persisted operations (it needs `database` for Idempotency-Keys). Default: on when its
   * operations validate against the supergraph and there is a database; true insists (start-up fails otherwise).
   */
  rest?: boolean;
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
  /**
   * Identical subgraph fetches of queries in flight at once share one request when they come from the same principal
   * with the same headers (never for mutations or subscriptions). Default on; `GATEWAY_SHARE_INFLIGHT=false` turns it off.
   */
  shareInFlight?: boolean;
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
  // The subgraphs are the supergraph's (any composed supergraph runs); introspection composes ours.
  const supergraphSdl = options.introspectAndCompose ? undefined : (options.supergraphSdl ?? readFileSync(SUPERGRAPH_FILE, 'utf8'));
  const urls: Record<string, string> = resolveGraphUrls(
    supergraphSdl ? supergraphGraphs(supergraphSdl) : SUBGRAPH_NAMES.map((name) => ({ name, url: '' })),
    options.subgraphUrls,
  );
  const supergraph: string | SupergraphManager =
    supergraphSdl ?? new IntrospectAndCompose({ subgraphs: Object.entries(urls).map(([name, url]) => ({ name, url })) });

  const circuits = new SubgraphCircuits(Object.keys(urls) as SubgraphName[], { ...circuitOptionsFromEnv(), ...options.circuit }, logger);
  // One token per incoming request (signed synchronously, reused by every subgraph call of that request); a
  // long-lived context re-signs before the token's 60 s lifetime runs out.
  const tokens = new WeakMap<object, { token: string; signedAt: number }>();
  const internalTokenFor = (context: Partial<GatewayContext>, requestId: string) => {
    const now = Date.now();
    let entry = tokens.get(context);
    if (!entry || now - entry.signedAt > 30_000) {
      entry = { token: signInternalTokenSync(secret, { requestId, principal: context.principal ?? null, sourceIp: context.sourceIp ?? null }), signedAt: now };
      tokens.set(context, entry);
    }
    return entry.token;
  };
  const agent = subgraphAgent();
  const shareInFlight = options.shareInFlight ?? process.env.GATEWAY_SHARE_INFLIGHT !== 'false';
  const dataSource = (name: string, url?: string) =>
    new SubgraphDataSource<GatewayContext>({
      name,
      // The supergraph names the default URLs; the deployment decides the real ones.
      url: (urls[name] ?? url)!,
      agent,
      circuits,
      timeoutMs,
      headers(processOptions) {
        const context = processOptions.context as Partial<GatewayContext>;
        // Introspection during development composition runs without a request context.
        const requestId = context.requestId ?? crypto.randomUUID();
        const headers: Record<string, string> = { [REQUEST_ID_HEADER]: requestId, [INTERNAL_TOKEN_HEADER]: internalTokenFor(context, requestId) };
        // Consumer texts follow the client's Accept-Language (subgraphs see it as SubgraphContext.acceptLanguage).
        const acceptLanguage =
          'incomingRequestContext' in processOptions ? processOptions.incomingRequestContext.request.http?.headers.get('accept-language') : undefined;
        if (acceptLanguage) headers['accept-language'] = acceptLanguage.slice(0, 256);
        return headers;
      },
      sharingKey: shareInFlight ? inFlightSharingKey : undefined,
    });

  const gateway = new ApolloGateway({ supergraphSdl: supergraph, logger, buildService: ({ name, url }) => dataSource(name, url) });

  const restArtifacts = readRestArtifacts();
  const apiSchema = typeof supergraph === 'string' ? apiSchemaOf(supergraph) : undefined;
  // The persisted operations (and the REST facade over them) are this graph's: another supergraph serves GraphQL only.
  // The committed supergraph needs no check at start-up: `pnpm rest:check` keeps the manifest valid against it.
  const committed = !options.supergraphSdl || options.supergraphSdl === readFileSync(SUPERGRAPH_FILE, 'utf8');
  const mismatch = apiSchema && !committed ? manifestMismatch(apiSchema, restArtifacts.manifest) : undefined;
  const wantsRest = options.rest ?? (process.env.GATEWAY_REST === 'false' ? false : undefined);
  if (wantsRest === true && mismatch) throw new Error(`the REST facade cannot run on this supergraph: ${mismatch}`);
  const restOn = wantsRest ?? (!mismatch && options.database !== undefined);
  if (!restOn)
    logger.info(
      {
        reason:
          wantsRest === false
            ? 'off (GATEWAY_REST=false)'
            : mismatch
              ? `persisted operations do not fit the supergraph (${mismatch})`
              : 'no database for Idempotency-Keys',
      },
      'the REST facade is off: GraphQL only',
    );
  const persistedOnly = options.persistedOnly ?? process.env.PERSISTED_OPERATIONS_ONLY === 'true';
  // Manifest documents can be sent by id (the persisted-query extension); with persistedOnly nothing else runs.
  // The guard checks ids, persisted-only and the operation limits before Apollo sees a request.
  const guard = new OperationGuard(
    mismatch ? {} : Object.fromEntries(Object.entries(restArtifacts.manifest.operations).map(([id, operation]) => [id, operation.document])),
    { ...operationLimitsFromEnv('GRAPHQL', DEFAULT_OPERATION_LIMITS), ...options.operationLimits },
    { ...operationLimitsFromEnv('PERSISTED', PERSISTED_OPERATION_LIMITS), ...options.persistedOperationLimits },
    persistedOnly,
    apiSchema,
  );
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    ...apolloEnvironmentOptions(environment, logger),
    introspection: environment !== 'production' && !persistedOnly,
    logger,
    // Persisted ids are resolved by the guard; Apollo registers nothing at run time.
    persistedQueries: false,
    plugins: [accessLog()],
    // The process's own shutdown (onShutdown → stop(): drain, 1012 to subscribers, exit 0) handles SIGTERM. Apollo's
    // handler (on whenever NODE_ENV is not `test`) stopped Apollo at once and re-raised the signal: in-flight died.
    stopOnTerminationSignals: false,
  });
  await apollo.start();

  const limiter = new RateLimiter(
    { ...DEFAULT_RATE_LIMITS, ...rateLimitsFromEnv(), ...options.rateLimits },
    options.rateLimitStore ?? openRateCounterStore(process.env.REDIS_URL || undefined, logger),
    logger,
  );
  // A supergraph without our identity subgraph still has anonymous requests; credentials then find no identity.
  const authenticator = new Authenticator({
    identityUrl: urls.identity ?? subgraphUrl('identity'),
    internalSecret: secret,
    cacheTtlMs: options.authCacheTtlMs,
    logger,
  });
  const trustProxy = process.env.TRUST_PROXY === 'true';
  const clientIp = (req: RequestInfo['req']) => {
    const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
    return (typeof forwarded === 'string' ? forwarded.split(',')[0]!.trim() : req.socket.remoteAddress) ?? 'unknown';
  };
  /** Rate budgets per IP and per credential, then the in-flight caps, before anything is read (see rate-limit.ts). */
  const rateLimited = admission({ limiter, inFlight: new InFlightLimiter(limiter.limits.inFlight), clientIp, logger });
  /** login and issueToken check a secret: a budget of their own per IP, after the document is known. */
  const authOperationLimit = async (info: RequestInfo, _checked: unknown, rootFields: string[]) => {
    if (!rootFields.some((field) => field === 'login' || field === 'issueToken')) return;
    const decision = await limiter.check([{ policy: 'auth', id: clientIp(info.req) }]);
    for (const [name, value] of Object.entries(decision.headers)) info.res.setHeader(name, value);
    if (!decision.allowed) {
      throw new OperationRefused(
        429,
        'RATE_LIMITED',
        `rate limit exceeded (auth); retry after ${decision.retryAfterSeconds} s`,
        { policy: 'auth', retryAfterSeconds: decision.retryAfterSeconds },
        decision.headers,
      );
    }
  };

  /** One context for every way in (GraphQL over HTTP, the REST facade): same authentication, same logs. */
  const contextFor = async (
    headers: Record<string, string | string[] | undefined>,
    remoteAddress: string | undefined,
    requestId: string,
    requestLogger: Logger,
  ): Promise<GatewayContext> => {
    const forwarded = trustProxy ? headers['x-forwarded-for'] : undefined;
    const sourceIp = (typeof forwarded === 'string' ? forwarded.split(',')[0]!.trim() : remoteAddress) ?? null;
    const authorization = headers.authorization;
    const principal = await authenticator.authenticate(typeof authorization === 'string' ? authorization : undefined, requestId);
    // The principal's child logger only when something logs (building one per request cost more than the log lines).
    let logger: Logger | undefined;
    return {
      requestId,
      get logger() {
        return (logger ??= principal ? requestLogger.child({ principal: principal.id }) : requestLogger);
      },
      principal,
      sourceIp,
    };
  };

  // The REST facade runs persisted operations through this same Apollo server, in process.
  const gatewayDatabase =
    restOn && options.database ? await openGatewayDatabase(typeof options.database === 'function' ? options.database() : options.database) : undefined;
  const rest = !restOn
    ? { routes: {} }
    : createRestFacade({
        ...restArtifacts,
        logger,
        idempotencyStore: gatewayDatabase ? new DrizzleIdempotencyStore(gatewayDatabase.db) : undefined,
        execute: async (request, ctx) => {
          // Persisted documents, so the persisted budget; still checked, so a bad manifest cannot bypass the limits.
          try {
            guard.check({ query: request.query, variables: request.variables, operationName: request.operationName });
          } catch (error) {
            if (!(error instanceof OperationRefused)) throw error;
            const body = JSON.stringify({
              errors: [{ message: error.message, extensions: { code: error.code, ...error.extensions, requestId: ctx.requestId } }],
            });
            return { status: error.status, body, headers: { 'content-type': 'application/json', ...error.headers } };
          }
          const headers = new HeaderMap([['content-type', 'application/json']]);
          for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers.set(name, value);
          const forwarded = request.headers['x-forwarded-for'];
          const remoteAddress = typeof forwarded === 'string' ? forwarded.split(',').at(-1)!.trim() : undefined;
          const response = await apollo.executeHTTPGraphQLRequest({
            httpGraphQLRequest: {
              method: 'POST',
              headers,
              search: '',
              body: { query: request.query, variables: request.variables, operationName: request.operationName },
            },
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
    // Streamed file downloads (not GraphQL: a file of any size), authenticated like every other way in.
    ...Object.fromEntries(
      Object.entries(DOWNLOAD_ROUTES)
        .filter(([, route]) => urls[route.subgraph])
        .map(([publicPath, route]) => [
          `${publicPath}*`,
          rateLimited(
            downloadRoute({
              subgraphUrl: urls[route.subgraph]!,
              internalPath: route.internalPath,
              publicPath,
              secret,
              timeoutMs,
              authenticate: async (info) => {
                const context = await graphqlContext(info);
                return { principal: context.principal, sourceIp: context.sourceIp };
              },
            }),
            'rest',
          ),
        ]),
    ),
    // GraphQL over SSE: the same subscriptions as graphql-ws on /graphql (see sse.ts).
    [SSE_PATH]: rateLimited(
      (info) => (sse ? sse(info) : sendJson(info.res, 404, { error: 'this gateway serves no subscriptions (no event bus)', requestId: info.requestId })),
      'graphql',
      { inFlight: false },
    ),
    '/graphql': rateLimited(graphqlEndpoint({ apollo, guard, memory, maxBodyBytes, beforeExecute: authOperationLimit, context: graphqlContext }), 'graphql'),
    // Bulk imports have their own route and body budget, so /graphql stays small.
    '/graphql/bulk': rateLimited(
      graphqlEndpoint({ apollo, guard, memory, maxBodyBytes: maxBulkBodyBytes, bulk: true, beforeExecute: authOperationLimit, context: graphqlContext }),
      'graphql',
    ),
    '/healthz': ({ res }) => sendJson(res, 200, { status: 'ok', service: 'gateway' }),
    '/readyz': async ({ res }) => {
      if (draining) return sendJson(res, 503, { status: 'draining' });
      const { ready, subgraphs } = await probeSubgraphs(urls, timeoutMs);
      // The bus is reported, not required: queries still answer while it reconnects (subscriptions resume after).
      const bus = options.bus ? ((await options.bus.health?.().catch((error: Error) => `unreachable (${error.message})`)) ?? 'ok') : 'none';
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', subgraphs, circuits: circuits.states(), bus });
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
      ? new SubscriptionEngine({
          supergraphSdl: supergraph,
          dataSource: (name) => dataSource(name),
          bus: options.bus,
          authenticator,
          logger,
          limits: options.subscriptionLimits,
          environment,
        })
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
      await agent.close();
    },
  };
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

/**
 * The key under which identical subgraph fetches in flight share one request, or undefined when this one must go alone:
 * only fetches of an incoming query (a mutation's later fetches read what it wrote), and everything the subgraph
 * answers from is in the key: the principal (credential, merchant scope, mode), the source address (in the internal
 * token), the client's Accept-Language, every header set on the fetch, the body. The request id is not: one subgraph
 * request then serves several gateway requests of the same caller.
 */
function inFlightSharingKey(processOptions: GraphQLDataSourceProcessOptions<GatewayContext>, body: string): string | undefined {
  if (!('incomingRequestContext' in processOptions)) return undefined;
  const incoming = processOptions.incomingRequestContext;
  if (incoming.operation?.operation !== 'query') return undefined;
  const context = processOptions.context as Partial<GatewayContext>;
  if (!context.principal) return undefined;
  const fetchHeaders = processOptions.request.http ? [...processOptions.request.http.headers] : [];
  return JSON.stringify([context.principal, context.sourceIp ?? null, incoming.request.http?.headers.get('accept-language') ?? null, fetchHeaders, body]);
}
