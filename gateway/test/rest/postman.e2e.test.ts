import newman, { type NewmanRunSummary } from 'newman';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_KEYS } from '../../../scripts/test/support.ts';
import { startRestSystem, type RestSystem } from './support.ts';

/**
 * Issue 11, defect 12: the Postman collection the gateway serves at /postman.json, run with newman (a tool nobody
 * here wrote) top to bottom against a freshly seeded system: every request passes its own tests (documented success
 * status and body shape), in the order the collection gives, on the sandbox data `pnpm start` loads.
 */
describe('the Postman collection under newman', () => {
  let rest: RestSystem;
  beforeAll(async () => {
    rest = await startRestSystem();
  });
  afterAll(() => rest?.stop());

  it('runs every request of /postman.json on fresh sandbox data with all its tests passing', { timeout: 0 }, async () => {
    const response = await fetch(`${rest.baseUrl}/postman.json`);
    expect(response.status).toBe(200);
    const collection = (await response.json()) as { item: { item: unknown[] }[]; variable: { key: string; value: string }[] };
    // The sandbox operator's test-mode key, as `pnpm start` prints it.
    collection.variable.find((v) => v.key === 'token')!.value = SANDBOX_KEYS.operator!;
    const summary = await new Promise<NewmanRunSummary>((resolve, reject) =>
      newman.run({ collection: collection as never, reporters: [], timeoutRequest: 0 }, (error, result) => (error ? reject(error) : resolve(result))),
    );
    const requests = collection.item.reduce((n, folder) => n + folder.item.length, 0);
    const failures = summary.run.failures.map((f) => `${(f.source as { name?: string } | undefined)?.name ?? '?'}: ${f.error.message}`);
    expect(failures, JSON.stringify(failures, null, 1)).toEqual([]);
    expect(summary.run.stats.requests.total).toBe(requests);
    expect(summary.run.stats.requests.failed).toBe(0);
    // Two tests per request (status and shape), every one of them run.
    expect(summary.run.stats.assertions.total).toBe(2 * requests);
    expect(summary.run.stats.assertions.failed).toBe(0);
  });
});
