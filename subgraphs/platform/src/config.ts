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

/**
 * Where a process runs, from one setting, `IPAY_ENV` (never `NODE_ENV`, which tools set for their own reasons):
 * - `production` (the default when unset): introspection off, schema details and stack traces hidden, unexpected
 *   errors masked, every secret required and development secrets refused;
 * - `sandbox` (`pnpm start`): sandbox data with well-known credentials, development secrets allowed on loopback only,
 *   introspection for GraphiQL, errors masked as in production;
 * - `development` (the test suites): as sandbox, plus introspection, suggestions and stack traces.
 */
export type IpayEnvironment = 'production' | 'sandbox' | 'development';
export const IPAY_ENVIRONMENTS: readonly IpayEnvironment[] = ['production', 'sandbox', 'development'];

export function ipayEnvironment(env: Env = process.env): IpayEnvironment {
  const raw = env.IPAY_ENV;
  if (raw === undefined || raw === '') return 'production';
  if ((IPAY_ENVIRONMENTS as readonly string[]).includes(raw)) return raw as IpayEnvironment;
  throw new Error(`IPAY_ENV=${raw} is not one of ${IPAY_ENVIRONMENTS.join(', ')}`);
}

export const isProduction = (env: Env = process.env) => ipayEnvironment(env) === 'production';

const developmentSecretsInUse = new Set<string>();

/**
 * Records that a process runs with a built-in development secret for `name` (which then only ever binds to
 * loopback, see `listen`), or refuses to when IPAY_ENV=production.
 */
export function useDevelopmentSecret(name: string, env: Env = process.env): void {
  if (isProduction(env)) {
    throw new Error(`${name} is required in production (IPAY_ENV unset or production); set it, or run with IPAY_ENV=development or sandbox on loopback`);
  }
  developmentSecretsInUse.add(name);
}

/** The development secrets this process runs with (empty in production). */
export const developmentSecrets = (): string[] => [...developmentSecretsInUse];

/** Values that are development secrets whoever sets them: a production process refuses them. */
export function assertNotDevelopmentSecret(name: string, value: string, knownDevelopmentValues: readonly string[] = [], env: Env = process.env): void {
  if (!isProduction(env)) return;
  if (knownDevelopmentValues.includes(value) || /change-?me|development|example|insecure/i.test(value)) {
    throw new Error(`${name} holds a development or example value; production needs a secret of its own`);
  }
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
    assertNotDevelopmentSecret('INTERNAL_TOKEN_SECRET', secret, [DEVELOPMENT_SECRET], env);
    return secret;
  }
  useDevelopmentSecret('INTERNAL_TOKEN_SECRET', env);
  return DEVELOPMENT_SECRET;
}
