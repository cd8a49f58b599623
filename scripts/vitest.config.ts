import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['gateway/test/**/*.test.ts', 'subgraphs/*/test/**/*.test.ts', 'subgraphs/system/e2e/**/*.test.ts'],
    // The fault scripts start the system five times on private servers: CI runs them as a step of their own
    // (scripts/vitest.faults.config.ts), so the README's test command stays short.
    exclude: ['**/node_modules/**', 'subgraphs/system/e2e/faults/faults.e2e.test.ts'],
    // Suites run in development mode (dev secrets on loopback, introspection; production is the default elsewhere), and
    // daily/6-hourly background jobs stay off (suites drive them): the controls scheduler and audit attestations.
    env: {
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      IPAY_ENV: process.env.IPAY_ENV ?? 'development',
      CONTROLS_TICK_MS: '0',
      AUDIT_ATTESTATION_INTERVAL_MS: '0',
    },
    pool: 'forks',
    // Two files at once on any machine (vitest's default is cores − 1: one file at a time on this 2-core kind, where
    // the suite mostly waits on sockets and timers). Each file's system keeps its pools small, so two stay well
    // inside PostgreSQL's 100 connections.
    maxWorkers: 2,
    // Generous caps: slow-but-correct passes on a busy 2-core machine; tests wait on conditions, and only a hang
    // runs into these.
    testTimeout: 180_000,
    hookTimeout: 240_000,
  },
});
