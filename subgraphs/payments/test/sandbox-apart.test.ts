import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, runSubgraphRecordingModules, subgraphSourceFolders, type TestDatabase } from '@ipay/platform/testing';

/**
 * Live mode never loads sandbox code (issue 12). The shape test proves no live module imports src/sandbox/ statically;
 * this runs the real payments process (src/index.ts) and records every module Node loads into it, so a dynamic import
 * taken by mistake shows too. With the sandbox enabled the same recording sees the sandbox, so the check can fail.
 */
const { src: paymentsSrc, sandbox: sandboxSrc } = subgraphSourceFolders('payments');

let database: TestDatabase | undefined;
beforeAll(async () => {
  // PGlite: each process gets a data dir of its own; PostgreSQL: one fresh database shared by both runs (migrations are idempotent).
  if (process.env.DATABASE_URL) database = await createTestDatabase();
});
afterAll(async () => database?.cleanup());

/** Starts payments, asks its Adyen webhook route, stops it. */
const runPayments = (env: Record<string, string>) =>
  runSubgraphRecordingModules('payments', { ...(database?.url ? { DATABASE_URL: database.url } : {}), ...env }, (baseUrl) =>
    fetch(`${baseUrl}/webhooks/psp/adyen`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"notificationItems":[]}' }),
  );

describe('payments in live mode never loads sandbox code', () => {
  it('with IPAY_ENV=production (sandbox off) the server starts and serves, and no module under src/sandbox/ is loaded', async () => {
    const run = await runPayments({
      IPAY_ENV: 'production',
      INTERNAL_TOKEN_SECRET: randomBytes(32).toString('hex'),
      AUDIT_CHAIN_SECRET: randomBytes(32).toString('hex'),
      PAYMENT_RETURN_URL: 'https://shop.test/payments/return',
    });
    // The recording works: the live modules of the server are in it ...
    expect(run.loaded).toContain(join(paymentsSrc, 'server.ts'));
    expect(run.loaded).toContain(join(paymentsSrc, 'app/services.ts'));
    expect(run.loaded).toContain(join(paymentsSrc, 'adapters/psp/adyen.ts'));
    // ... and nothing of the sandbox.
    expect(run.loaded.filter((file) => file.startsWith(sandboxSrc))).toEqual([]);
    // No sandbox PSP behind the route either: without live credentials Adyen is simply not configured.
    expect(run.probe).toEqual({ status: 404, body: 'adyen is not configured' });
    expect(run.exitCode).toBe(0);
    // Start-up (tsx, migrations) is slow on a busy machine; the run waits on the listening log line, not a clock.
  }, 180_000);

  it('with the sandbox enabled (IPAY_ENV=development) the same recording sees the sandbox PSPs load', async () => {
    const run = await runPayments({ IPAY_ENV: 'development' });
    expect(run.loaded).toContain(join(sandboxSrc, 'index.ts'));
    expect(run.loaded).toContain(join(sandboxSrc, 'psp/adyen.ts'));
    // The sandbox Adyen adapter verifies (and refuses) the unsigned notification instead of 404.
    expect(run.probe.status).not.toBe(404);
    expect(run.exitCode).toBe(0);
  }, 180_000);
});
