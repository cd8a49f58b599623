import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, runSubgraphRecordingModules, subgraphSourceFolders, type TestDatabase } from '@ipay/platform/testing';

/**
 * Live mode never loads sandbox code (issue 12). The shape test proves no live module imports src/sandbox/ statically;
 * this runs the real logistics process (src/index.ts) and records every module Node loads into it, so a dynamic import
 * taken by mistake shows too. With the sandbox enabled the same recording sees the sandbox, so the check can fail.
 */
const { src: logisticsSrc, sandbox: sandboxSrc } = subgraphSourceFolders('logistics');

let database: TestDatabase | undefined;
beforeAll(async () => {
  // PGlite: each process gets a data dir of its own; PostgreSQL: one fresh database shared by both runs (migrations are idempotent).
  if (process.env.DATABASE_URL) database = await createTestDatabase();
});
afterAll(async () => database?.cleanup());

/** Starts logistics, posts to the sandbox carrier webhook route, stops it. */
const runLogistics = (env: Record<string, string>) =>
  runSubgraphRecordingModules('logistics', { ...(database?.url ? { DATABASE_URL: database.url } : {}), ...env }, (baseUrl) =>
    fetch(`${baseUrl}/webhooks/carriers/sandbox/gls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"events":[]}' }),
  );

const liveSecrets = () =>
  JSON.stringify({
    ups: { credential: randomBytes(16).toString('hex') },
    dhl: { headerName: 'x-dhl-webhook-token', token: randomBytes(16).toString('hex') },
    postnl: { token: randomBytes(16).toString('hex') },
    dpd: { token: randomBytes(16).toString('hex') },
    gls: { token: randomBytes(16).toString('hex') },
    inpost: { secret: randomBytes(16).toString('hex') },
  });

describe('logistics in live mode never loads sandbox code', () => {
  it('with IPAY_ENV=production (sandbox off) the server starts and serves, and no module under src/sandbox/ is loaded', async () => {
    const run = await runLogistics({
      IPAY_ENV: 'production',
      INTERNAL_TOKEN_SECRET: randomBytes(32).toString('hex'),
      AUDIT_CHAIN_SECRET: randomBytes(32).toString('hex'),
      LOGISTICS_WEBHOOK_SECRETS: liveSecrets(),
      RELEASE_SIGNING_SECRET: randomBytes(32).toString('hex'),
      RELEASE_ENCRYPTION_SECRET: randomBytes(32).toString('hex'),
    });
    // The recording works: the live modules of the server are in it ...
    expect(run.loaded).toContain(join(logisticsSrc, 'server.ts'));
    expect(run.loaded).toContain(join(logisticsSrc, 'app/services.ts'));
    expect(run.loaded).toContain(join(logisticsSrc, 'app/scans.ts'));
    // ... and nothing of the sandbox.
    expect(run.loaded.filter((file) => file.startsWith(sandboxSrc))).toEqual([]);
    // No sandbox scan route: the path falls to the live carrier route, which knows no carrier "sandbox/gls".
    expect(run.probe.status).toBe(404);
    expect(run.exitCode).toBe(0);
    // Start-up (tsx, migrations) is slow on a busy machine; the run waits on the listening log line, not a clock.
  }, 180_000);

  it('with the sandbox enabled (IPAY_ENV=development) the same recording sees the sandbox load, and its scan route answers', async () => {
    const run = await runLogistics({ IPAY_ENV: 'development' });
    expect(run.loaded).toContain(join(sandboxSrc, 'index.ts'));
    expect(run.loaded).toContain(join(sandboxSrc, 'carriers.ts'));
    expect(run.loaded).toContain(join(sandboxSrc, 'webhook-simulator.ts'));
    // The sandbox route refuses the unauthenticated push (no GLS token) instead of 404.
    expect(run.probe.status).toBe(401);
    expect(run.exitCode).toBe(0);
  }, 180_000);
});
