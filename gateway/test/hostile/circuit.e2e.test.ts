import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type GatewayServer } from '@ipay/gateway';
import { AS_OPERATOR, SUITE_RATE_LIMITS } from '../../../subgraphs/system/e2e/support.ts';
import type { CircuitOptions } from '../../src/resilience.ts';
import { FaultInjector, startHostileSystem, type HostileSystem } from './support.ts';

let system: HostileSystem;
const cleanup: (() => Promise<void>)[] = [];
beforeAll(async () => {
  system = await startHostileSystem();
});
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  await system?.stop();
});

async function gatewayBehind(subgraph: 'finance' | 'logistics', circuit: Partial<CircuitOptions>, subgraphTimeoutMs = 10_000) {
  const injector = new FaultInjector(system.subgraphUrls[subgraph]);
  await injector.start();
  cleanup.push(() => injector.stop());
  const gateway: GatewayServer = await createGateway({
    subgraphUrls: { ...system.subgraphUrls, [subgraph]: injector.url },
    database: system.database.target,
    circuit,
    subgraphTimeoutMs,
    rateLimits: SUITE_RATE_LIMITS,
  });
  cleanup.push(() => gateway.stop());
  const port = await gateway.listen(0, '127.0.0.1');
  const post = async (query: string) => {
    const started = performance.now();
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AS_OPERATOR },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, json: (await response.json()) as any, ms: performance.now() - started };
  };
  const ready = async () => ((await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as any).circuits;
  return { injector, post, ready };
}

const WITH_SETTLEMENT = '{ orders(first: 1) { edges { node { id settlement { status } } } } }';

describe('circuit breaker per subgraph', () => {
  it('opens after consecutive timeouts, then fails fast naming the service, with partial results; half-open probe closes it', async () => {
    const { injector, post, ready } = await gatewayBehind('finance', { consecutiveFailures: 3, halfOpenAfterMs: 1500, queryAttempts: 1 }, 400);
    injector.mode = 'hang';
    for (let i = 0; i < 3; i++) {
      const { json, ms } = await post(WITH_SETTLEMENT);
      expect(ms).toBeGreaterThanOrEqual(380);
      expect(json.data.orders.edges[0].node.id).toMatch(/^ord_/);
      expect(json.errors[0].extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'finance' });
    }
    expect((await ready()).finance).toBe('open');
    const hitsWhenOpened = injector.hits;
    const fast = await post(WITH_SETTLEMENT);
    expect(fast.json.errors[0].extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'finance' });
    expect(fast.json.errors[0].message).toMatch(/finance service is unavailable \(circuit open\)/);
    expect(fast.json.data.orders.edges[0].node.id).toMatch(/^ord_/);
    expect(injector.hits).toBe(hitsWhenOpened);
    expect(JSON.stringify(fast.json)).not.toContain(injector.url);

    // finance recovers: after the half-open delay one probe goes through and closes the circuit.
    injector.mode = 'pass';
    let recovered: any;
    for (let attempt = 0; attempt < 100; attempt++) {
      recovered = (await post(WITH_SETTLEMENT)).json;
      if (!recovered.errors) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(recovered.errors).toBeUndefined();
    expect((await ready()).finance).toBe('closed');
  });

  it('retries a failing query, never a mutation', async () => {
    const { injector, post } = await gatewayBehind('logistics', { consecutiveFailures: 100, halfOpenAfterMs: 1000, queryAttempts: 2 });
    injector.mode = 'fail';
    const query = await post('{ orders(first: 1) { edges { node { id shipment { status } } } } }');
    expect(query.json.errors[0].extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'logistics' });
    expect(injector.hits).toBe(2);
    injector.hits = 0;
    const mutation = await post('mutation { importTariffs(csv: "carrier,service\\n") { imported } }');
    expect(mutation.json.errors[0].extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'logistics' });
    expect(injector.hits).toBe(1);
  });
});
