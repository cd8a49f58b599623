import { randomUUID } from 'node:crypto';
import { NatsEventBus, createLogger } from '@ipay/platform';
import { createTestDatabase, type TestDatabase } from '@ipay/platform/testing';

/** A JetStream stream and subject prefix of a suite's own, so suites never see each other's events. */
export function testStream() {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
  return { stream: `IPAY_TEST_${suffix}`, subjectPrefix: `ipay.test.${suffix}` };
}
import { apiKeyPepper } from '@ipay/identity/src/app/services.ts';
import { sandboxCredentials } from '@ipay/identity/src/sandbox/seed.ts';
import { startSystem, type RunningSystem, type SystemOptions } from '../src/index.ts';

/** The sandbox's well-known test-mode API keys (see subgraphs/identity/src/sandbox/seed.ts). */
export const SANDBOX_KEYS = sandboxCredentials(apiKeyPepper({}));
export const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });
/** Headers of the sandbox operator, who may read everything in sandbox mode. */
export const AS_OPERATOR = bearer(SANDBOX_KEYS.operator!);

export interface TestSystem extends RunningSystem {
  database: TestDatabase;
  /** Runs an operation through the gateway, as the sandbox operator unless other headers are given. */
  query<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResult<T>>;
}

export interface GraphQLResult<T> {
  status: number;
  headers: Headers;
  // Tests read responses loosely; the schema, not the test, is the contract.
  body: { data?: T; errors?: any } & Record<string, any>;
}

/**
 * The suites' queries are deliberately broad (a 50-order page with every subgraph's fields, to prove batching);
 * they run with this budget. The production defaults are asserted by gateway/test/hostile/.
 */
export const SUITE_OPERATION_LIMITS = { tokens: 10_000, depth: 14, aliases: 100, directives: 100, cost: 1_000_000, rootFields: 30 };

/** The suites send many requests from one address; the hostile suite asserts the real limits. */
export const SUITE_RATE_LIMITS = {
  ip: { limit: 1_000_000, windowSeconds: 60 },
  key: { limit: 1_000_000, windowSeconds: 60 },
  auth: { limit: 1_000_000, windowSeconds: 60 },
  inFlight: { key: 1_000_000, ip: 1_000_000 },
};

/** The whole system on ephemeral ports and a database of the test's own (PGlite, or PostgreSQL with DATABASE_URL). */
export async function startTestSystem(options: Omit<SystemOptions, 'databaseUrl' | 'ephemeralPorts'> = {}): Promise<TestSystem> {
  const database = await createTestDatabase();
  // TEST_EVENT_BUS=nats runs the suites on NATS JetStream (a stream of the suite's own) instead of the SQL log.
  const natsBus =
    !options.bus && process.env.TEST_EVENT_BUS === 'nats'
      ? await NatsEventBus.connect(process.env.NATS_URL ?? 'nats://127.0.0.1:4222', createLogger('test-bus', 'silent'), testStream())
      : undefined;
  const system = await startSystem({
    operationLimits: SUITE_OPERATION_LIMITS,
    rateLimits: SUITE_RATE_LIMITS,
    ...options,
    bus: options.bus ?? natsBus,
    ephemeralPorts: true,
    databaseUrl: database.url,
    pglite: database.target.kind === 'pglite' ? database.target.client : undefined,
  });
  return {
    ...system,
    database,
    stop: async () => {
      await system.stop();
      if (natsBus) {
        await natsBus.destroy();
        await natsBus.close();
      }
      await database.cleanup();
    },
    async query(query, variables = {}, headers = AS_OPERATOR) {
      const response = await fetch(system.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, headers: response.headers, body: (await response.json()) as any };
    },
  };
}
