import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { internalTokenSecret } from './config.ts';
import type { Principal } from './auth/principal.ts';
import type { DatabaseTarget } from './db.ts';
import { INTERNAL_TOKEN_HEADER, signInternalToken } from './internal-token.ts';

export interface TestDatabase {
  target: DatabaseTarget;
  /** The PostgreSQL URL of this test's own database (real server only). */
  url?: string;
  cleanup(): Promise<void>;
}

/**
 * Every suite gets a database of its own, so suites run in parallel and leave nothing behind:
 * with DATABASE_URL a fresh database on that server (dropped afterwards), otherwise an in-memory PGlite.
 */
export async function createTestDatabase(env = process.env): Promise<TestDatabase> {
  if (!env.DATABASE_URL) {
    const client = new PGlite();
    return { target: { kind: 'pglite', client }, cleanup: () => client.close() };
  }
  const name = `ipay_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(env.DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    target: { kind: 'postgres', url: url.toString() },
    url: url.toString(),
    cleanup: async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

/** Calls a subgraph the way the gateway does (with a signed internal token) or, with `internal: false`, as an outsider. */
export async function callSubgraph(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  { internal = true, requestId = 'test-request', principal = null }: { internal?: boolean; requestId?: string; principal?: Principal | null } = {},
): Promise<{ status: number; body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] } }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': requestId };
  if (internal) headers[INTERNAL_TOKEN_HEADER] = await signInternalToken(internalTokenSecret(), { requestId, principal, sourceIp: '127.0.0.1' });
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: response.status, body: (await response.json()) as any };
}

export { runSubgraphRecordingModules, subgraphSourceFolders, type RecordedRun } from './module-recording/run.ts';
