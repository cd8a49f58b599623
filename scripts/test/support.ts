import { createTestDatabase, type TestDatabase } from '@ipay/platform/testing';
import { startSystem, type RunningSystem, type SystemOptions } from '../lib/system.ts';

export interface TestSystem extends RunningSystem {
  database: TestDatabase;
  query<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResult<T>>;
}

export interface GraphQLResult<T> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[] };
}

/** The whole system on ephemeral ports and a database of the test's own (PGlite, or PostgreSQL with DATABASE_URL). */
export async function startTestSystem(options: Omit<SystemOptions, 'databaseUrl' | 'ephemeralPorts'> = {}): Promise<TestSystem> {
  const database = await createTestDatabase();
  const system = await startSystem({
    ...options,
    ephemeralPorts: true,
    databaseUrl: database.url,
    pglite: database.target.kind === 'pglite' ? database.target.client : undefined,
  });
  return {
    ...system,
    database,
    stop: async () => {
      await system.stop();
      await database.cleanup();
    },
    async query(query, variables = {}, headers = {}) {
      const response = await fetch(system.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, headers: response.headers, body: (await response.json()) as any };
    },
  };
}
