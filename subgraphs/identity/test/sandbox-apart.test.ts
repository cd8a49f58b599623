import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, runSubgraphRecordingModules, subgraphSourceFolders, type TestDatabase } from '@ipay/platform/testing';

/**
 * Live mode never loads sandbox code (issue 12). The shape test proves no live module imports src/sandbox/ statically;
 * this runs the real identity process (src/index.ts) and records every module Node loads into it, so a dynamic import
 * taken by mistake shows too. Seeding the sandbox is the one way in: with it, the same recording sees the sandbox load.
 */
const { src: identitySrc, sandbox: sandboxSrc } = subgraphSourceFolders('identity');

let database: TestDatabase | undefined;
beforeAll(async () => {
  // PGlite: each process gets a data dir of its own; PostgreSQL: one fresh database per run below.
  if (process.env.DATABASE_URL) database = await createTestDatabase();
});
afterAll(async () => database?.cleanup());

/** Starts identity, asks its GraphQL endpoint without the gateway's token, stops it. */
const runIdentity = (env: Record<string, string>) =>
  runSubgraphRecordingModules('identity', { ...(database?.url ? { DATABASE_URL: database.url } : {}), ...env }, (baseUrl) =>
    fetch(`${baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }),
  );

describe('identity in live mode never loads sandbox code', () => {
  it('with IPAY_ENV=production the server starts and serves, and no module under src/sandbox/ is loaded', async () => {
    const run = await runIdentity({
      IPAY_ENV: 'production',
      INTERNAL_TOKEN_SECRET: randomBytes(32).toString('hex'),
      AUDIT_CHAIN_SECRET: randomBytes(32).toString('hex'),
      IDENTITY_JWT_PRIVATE_JWK: JSON.stringify(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })),
      API_KEY_PEPPER: randomBytes(32).toString('hex'),
      WEBHOOK_SECRET_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    });
    // The recording works: the live modules of the server are in it ...
    expect(run.loaded).toContain(join(identitySrc, 'server.ts'));
    expect(run.loaded).toContain(join(identitySrc, 'app/services.ts'));
    // ... and nothing of the sandbox.
    expect(run.loaded.filter((file) => file.startsWith(sandboxSrc))).toEqual([]);
    // Only the gateway's signed token is let in.
    expect(run.probe.status).toBe(401);
    expect(run.exitCode).toBe(0);
  }, 180_000);

  it('seeding the sandbox (IPAY_ENV=development, SEED_SANDBOX=true) is the way in: the same recording sees the sandbox load', async () => {
    const run = await runIdentity({ IPAY_ENV: 'development', SEED_SANDBOX: 'true' });
    expect(run.loaded).toContain(join(sandboxSrc, 'index.ts'));
    expect(run.loaded).toContain(join(sandboxSrc, 'seed.ts'));
    expect(run.exitCode).toBe(0);
  }, 180_000);
});
