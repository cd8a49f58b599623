/** The whole system in this process for a benchmark: sandbox data, no rate limits in the way, quiet logs. */
import { createLogger } from '@ipay/platform';
import { createTestDatabase, type TestDatabase } from '@ipay/platform/testing';
import { apiKeyPepper } from '@ipay/identity/src/app/services.ts';
import { sandboxCredentials } from '@ipay/identity/src/sandbox/seed.ts';
import { startSystem, type RunningSystem, type SystemOptions } from '@ipay/system';

process.env.IPAY_ENV ??= 'sandbox';
export const SANDBOX_KEYS = sandboxCredentials(apiKeyPepper({}));
const UNLIMITED = { limit: 1_000_000_000, windowSeconds: 60 };

export async function startBenchSystem(options: SystemOptions = {}): Promise<RunningSystem & { database: TestDatabase; kind: 'postgresql' | 'pglite' }> {
  const database = await createTestDatabase();
  const system = await startSystem({
    seed: true,
    ephemeralPorts: true,
    logger: createLogger('bench', 'warn'),
    // In-flight caps too: 10 connections of one key are more than its default 8 at once (the refusals were counted as errors).
    rateLimits: { ip: UNLIMITED, key: UNLIMITED, auth: UNLIMITED, inFlight: { key: 1_000_000, ip: 1_000_000 } },
    // Benchmarks send big pages and many subscriptions: the limits are not what is measured.
    operationLimits: { cost: 10_000_000 },
    subscriptionLimits: { maxQueuedEvents: 100_000 },
    ...options,
    databaseUrl: database.url,
    pglite: database.target.kind === 'pglite' ? database.target.client : undefined,
  });
  return {
    ...system,
    database,
    kind: database.url ? 'postgresql' : 'pglite',
    stop: async () => {
      await system.stop();
      await database.cleanup();
    },
  };
}
