import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['gateway/test/**/*.test.ts', 'subgraphs/*/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
    // Suites run in development mode (dev secrets on loopback, introspection; production is the default elsewhere), and
    // daily/6-hourly background jobs stay off (suites drive them): the controls scheduler and audit attestations.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', IPAY_ENV: process.env.IPAY_ENV ?? 'development', CONTROLS_TICK_MS: '0', AUDIT_ATTESTATION_INTERVAL_MS: '0' },
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
