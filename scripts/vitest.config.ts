import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['gateway/test/**/*.test.ts', 'subgraphs/*/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
    // The suites run in development mode (dev secrets on loopback, introspection); production is the default elsewhere.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', IPAY_ENV: process.env.IPAY_ENV ?? 'development' },
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
