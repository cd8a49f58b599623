/** Service names, ports and URLs: one place so code, start script and docker-compose agree. */
export const SUBGRAPH_NAMES = ['identity', 'commerce', 'payments', 'logistics', 'finance'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];
export type ServiceName = SubgraphName | 'gateway';

export const DEFAULT_PORTS: Record<ServiceName, number> = {
  gateway: 4000,
  identity: 4001,
  commerce: 4002,
  payments: 4003,
  logistics: 4004,
  finance: 4005,
};

type Env = Record<string, string | undefined>;

export const portEnvVar = (service: ServiceName) => `${service.toUpperCase()}_PORT`;
export const urlEnvVar = (subgraph: SubgraphName) => `${subgraph.toUpperCase()}_URL`;

export function servicePort(service: ServiceName, env: Env = process.env): number {
  const name = portEnvVar(service);
  const raw = env[name];
  if (raw === undefined || raw === '') return DEFAULT_PORTS[service];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name}=${raw} is not a valid TCP port (0-65535)`);
  }
  return port;
}

/** Where the gateway reaches a subgraph: `<NAME>_URL`, or localhost on the subgraph's port. */
export function subgraphUrl(subgraph: SubgraphName, env: Env = process.env): string {
  return env[urlEnvVar(subgraph)] || `http://localhost:${servicePort(subgraph, env)}/graphql`;
}

const DEVELOPMENT_SECRET = 'ipay-development-internal-secret-change-me-0123456789';

/**
 * The secret the gateway signs internal tokens with and subgraphs verify them with.
 * Production must set its own; elsewhere a well-known development secret keeps `pnpm start` zero-config.
 */
export function internalTokenSecret(env: Env = process.env): string {
  const secret = env.INTERNAL_TOKEN_SECRET;
  if (secret) {
    if (secret.length < 32) throw new Error('INTERNAL_TOKEN_SECRET must be at least 32 characters');
    return secret;
  }
  if (env.NODE_ENV === 'production') throw new Error('INTERNAL_TOKEN_SECRET is required when NODE_ENV=production');
  return DEVELOPMENT_SECRET;
}

export const isProduction = (env: Env = process.env) => env.NODE_ENV === 'production';
