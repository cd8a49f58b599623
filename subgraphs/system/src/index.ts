import { PGlite } from '@electric-sql/pglite';
import { commerce } from '@ipay/commerce';
import { finance } from '@ipay/finance';
import { createGateway, type GatewayServer } from '@ipay/gateway';
import type { SubscriptionLimits } from '@ipay/gateway/src/subscriptions.ts';
import type { OperationLimits } from '@ipay/gateway/src/limits.ts';
import type { RateLimits } from '@ipay/gateway/src/rate-limit.ts';
import { identity } from '@ipay/identity';
import { logistics } from '@ipay/logistics';
import { payments } from '@ipay/payments';
import {
  QueryCounter,
  SUBGRAPH_NAMES,
  createLogger,
  createSubgraphServer,
  servicePort,
  openEventBus,
  type DatabaseTarget,
  type EventBus,
  type IpayEnvironment,
  type Logger,
  type SubgraphName,
  type SubgraphServer,
} from '@ipay/platform';

export { addPaidShippedOrders, type PaidOrdersOptions } from './paid-orders.ts';

export const SUBGRAPHS = { identity, commerce, payments, logistics, finance } as const;

export interface SystemOptions {
  /** A PostgreSQL URL, or an embedded PGlite shared by all subgraphs (a data directory, or memory when omitted). */
  databaseUrl?: string;
  pgliteDataDir?: string;
  /** An embedded database created by the caller (who then closes it). */
  pglite?: PGlite;
  /** Ephemeral ports (tests) or the configured ones (start). */
  ephemeralPorts?: boolean;
  host?: string;
  seed?: boolean;
  logger?: Logger;
  /** Per-subgraph settings passed to its factory (e.g. identity's signing key in tests). */
  subgraphConfig?: Partial<Record<SubgraphName, Record<string, unknown>>>;
  authCacheTtlMs?: number;
  /** An event bus shared with other systems (e.g. two gateways on one NATS stream in tests). */
  bus?: EventBus;
  subscriptionLimits?: Partial<SubscriptionLimits>;
  /** The gateway's rate limits (default: from env). */
  rateLimits?: Partial<RateLimits>;
  /** How the gateway and subgraphs serve errors, introspection and suggestions (default: IPAY_ENV). */
  environment?: IpayEnvironment;
  /** The gateway's operation limits for ad-hoc documents (default: the production defaults). */
  operationLimits?: Partial<OperationLimits>;
}

export interface RunningSystem {
  gatewayUrl: string;
  subgraphUrls: Record<SubgraphName, string>;
  subgraphs: Record<SubgraphName, SubgraphServer<Record<string, unknown>>>;
  gateway: GatewayServer;
  bus: EventBus;
  /** SQL statements each subgraph has sent, for tests that prove batching. */
  counters: Record<SubgraphName, QueryCounter>;
  pglite?: PGlite;
  stop(): Promise<void>;
}

/**
 * Runs the five subgraphs and the gateway in this process, each on its own HTTP server; the gateway still
 * calls the subgraphs over HTTP. This is how the embedded start works (PGlite lives in one process) and how
 * the end-to-end tests run; with PostgreSQL each subgraph still gets its own connection pool.
 */
export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const logger = options.logger ?? createLogger('system');
  const ownPglite = options.databaseUrl || options.pglite ? undefined : new PGlite(options.pgliteDataDir);
  const pglite = options.pglite ?? ownPglite;
  const target: DatabaseTarget = options.databaseUrl ? { kind: 'postgres', url: options.databaseUrl } : { kind: 'pglite', client: pglite! };
  // One bus per process: every subgraph's relay publishes to it and the gateway's subscriptions read it.
  const bus = options.bus ?? (await openEventBus(target, logger));
  const counters = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, new QueryCounter()])) as Record<SubgraphName, QueryCounter>;
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const server of started.reverse()) await server.stop();
    if (!options.bus) await bus.close();
    await ownPglite?.close();
  };

  try {
    const subgraphs = {} as Record<SubgraphName, SubgraphServer<Record<string, unknown>>>;
    const subgraphUrls = {} as Record<SubgraphName, string>;
    const host = options.host ?? '127.0.0.1';
    for (const name of SUBGRAPH_NAMES) {
      // Sequential: the subgraphs share one embedded database, and migrations are clearer one at a time.
      const server = await createSubgraphServer(SUBGRAPHS[name] as never, {
        database: target,
        logger: logger.child({ service: name }),
        counter: counters[name],
        seed: options.seed,
        config: options.subgraphConfig?.[name],
        bus,
        environment: options.environment,
      });
      started.push(server);
      const port = await server.listen(options.ephemeralPorts ? 0 : servicePort(name), host);
      subgraphs[name] = server as SubgraphServer<Record<string, unknown>>;
      subgraphUrls[name] = `http://${host}:${port}/graphql`;
    }
    // Outside production without SMTP_URL, consumer mail (identity) goes to the sandbox SMTP capture server (finance's).
    const capture = (subgraphs.finance.services as { reconciliation?: { mailCapture: { url: string } | null } }).reconciliation?.mailCapture;
    if (capture) (subgraphs.identity.services as { consumerMail?: { useSandboxSmtp(url: string): void } }).consumerMail?.useSandboxSmtp(capture.url);
    const gateway = await createGateway({
      subgraphUrls,
      logger: logger.child({ service: 'gateway' }),
      authCacheTtlMs: options.authCacheTtlMs,
      bus,
      subscriptionLimits: options.subscriptionLimits,
      operationLimits: options.operationLimits,
      rateLimits: options.rateLimits,
      environment: options.environment,
      database: target,
    });
    started.push(gateway);
    const gatewayPort = await gateway.listen(options.ephemeralPorts ? 0 : servicePort('gateway'), host);
    return { gatewayUrl: `http://${host}:${gatewayPort}/graphql`, subgraphUrls, subgraphs, gateway, counters, pglite, bus, stop: stopAll };
  } catch (error) {
    await stopAll().catch(() => {});
    throw error;
  }
}
