import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, runSubgraphRecordingModules, subgraphSourceFolders, type TestDatabase } from '@ipay/platform/testing';

/**
 * Live mode never loads sandbox code (issue 12). The shape test proves no live module imports src/sandbox/ statically;
 * this runs the real finance process (src/index.ts) and records every module Node loads into it, so a dynamic import
 * taken by mistake shows too. With the sandbox enabled the same recording sees the sandbox, so the check can fail.
 */
const { src: financeSrc, sandbox: sandboxSrc } = subgraphSourceFolders('finance');

let database: TestDatabase | undefined;
beforeAll(async () => {
  // PGlite: each process gets a data dir of its own; PostgreSQL: one fresh database shared by both runs (migrations are idempotent).
  if (process.env.DATABASE_URL) database = await createTestDatabase();
});
afterAll(async () => database?.cleanup());

/** Starts finance, asks its internal download route once, stops it. */
const runFinance = (env: Record<string, string>) =>
  runSubgraphRecordingModules('finance', { ...(database?.url ? { DATABASE_URL: database.url } : {}), ...env }, (baseUrl) =>
    fetch(`${baseUrl}/internal/settlement-exports/x`),
  );

describe('finance in live mode never loads sandbox code', () => {
  it('with IPAY_ENV=production (no SMTP_URL: no sandbox mail capture) the server starts and serves, and no module under src/sandbox/ is loaded', async () => {
    const run = await runFinance({
      IPAY_ENV: 'production',
      INTERNAL_TOKEN_SECRET: randomBytes(32).toString('hex'),
      AUDIT_CHAIN_SECRET: randomBytes(32).toString('hex'),
    });
    // The recording works: the live modules of the server are in it ...
    expect(run.loaded).toContain(join(financeSrc, 'server.ts'));
    expect(run.loaded).toContain(join(financeSrc, 'app/services.ts'));
    expect(run.loaded).toContain(join(financeSrc, 'app/reconciliation-services.ts'));
    // ... and nothing of the sandbox.
    expect(run.loaded.filter((file) => file.startsWith(sandboxSrc))).toEqual([]);
    // The internal download route answers only the gateway's signed token.
    expect(run.probe.status).toBe(401);
    expect(run.exitCode).toBe(0);
    // Start-up (tsx, migrations) is slow on a busy machine; the run waits on the listening log line, not a clock.
  }, 180_000);

  it('with the sandbox enabled (IPAY_ENV=development) the same recording sees the sandbox mail capture and store load', async () => {
    const run = await runFinance({ IPAY_ENV: 'development' });
    expect(run.loaded).toContain(join(sandboxSrc, 'index.ts'));
    expect(run.loaded).toContain(join(sandboxSrc, 'mail-store.ts'));
    expect(run.exitCode).toBe(0);
  }, 180_000);
});
