import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/** The fault scripts (scripts/faults/) under vitest: `pnpm test:faults`, a CI step of its own. */
export default defineConfig({ test: { ...base.test, include: ['subgraphs/system/e2e/faults/faults.e2e.test.ts'], exclude: ['**/node_modules/**'] } });
