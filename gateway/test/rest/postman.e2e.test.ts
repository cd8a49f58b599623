import newman, { type NewmanRunSummary } from 'newman';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_KEYS } from '../../../subgraphs/system/e2e/support.ts';
import { startRestSystem, type RestSystem } from './support.ts';

/**
 * Issue 11, defect 12: the Postman collection the gateway serves at /postman.json, run with newman (a tool nobody
 * here wrote) top to bottom against a freshly seeded system: every request passes its own tests (documented success
 * status and body shape), in the order the collection gives, on the sandbox data `pnpm start` loads. Nothing is
 * allowed to fail: the consumer requests send the consumer token an earlier request obtained, and the requests behind
 * an asynchronous step (capture, label booking, pricing, webhook delivery) first poll for its outcome.
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
    const collection = (await response.json()) as {
      item: { item: { name: string; event: { listen: string }[] }[] }[];
      variable: { key: string; value: string }[];
    };
    // The sandbox operator's test-mode key, as `pnpm start` prints it.
    collection.variable.find((v) => v.key === 'token')!.value = SANDBOX_KEYS.operator!;
    const summary = await new Promise<NewmanRunSummary>((resolve, reject) =>
      newman.run({ collection: collection as never, reporters: [], timeoutRequest: 0 }, (error, result) => (error ? reject(error) : resolve(result))),
    );
    const requests = collection.item.reduce((n, folder) => n + folder.item.length, 0);
    // Requests that first wait for an asynchronous step an earlier one started (a pre-request script polling a GET).
    const waiting = collection.item.flatMap((folder) => folder.item).filter((item) => item.event.some((e) => e.listen === 'prerequest'));
    const failures = summary.run.failures.map((f) => `${(f.source as { name?: string } | undefined)?.name ?? '?'}: ${f.error.message}`);
    expect(failures, JSON.stringify(failures, null, 1)).toEqual([]);
    expect(summary.run.stats.items.total).toBe(requests);
    expect(summary.run.stats.items.failed).toBe(0);
    expect(waiting.map((item) => item.name).sort()).toEqual([
      'Accept a quote',
      'Make the sandbox carrier scan a return parcel',
      'Refund a confirmed payment, partly or fully',
      'Retrieve a webhook endpoint with its latest deliveries',
    ]);
    // Every request once, and each wait's polls (at least one GET each); none failed to get an answer.
    expect(summary.run.stats.requests.total).toBeGreaterThanOrEqual(requests + waiting.length);
    expect(summary.run.stats.requests.failed).toBe(0);
    // Two tests per request (status and shape) and one per wait (the state was reached), every one run and passed.
    expect(summary.run.stats.assertions.total).toBe(2 * requests + waiting.length);
    expect(summary.run.stats.assertions.failed).toBe(0);
  });
});
