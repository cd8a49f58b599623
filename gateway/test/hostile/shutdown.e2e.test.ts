import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createGateway } from '@ipay/gateway';
// Sixteen requests of one key at once and quick retries: the suite's budget, not the in-flight cap of 8.
import { AS_OPERATOR, SUITE_RATE_LIMITS } from '../../../subgraphs/system/e2e/support.ts';
import { FaultInjector, startHostileSystem, type HostileSystem } from './support.ts';

let system: HostileSystem;
beforeAll(async () => {
  system = await startHostileSystem();
});
afterAll(async () => {
  await system?.stop();
});

describe('graceful shutdown of the gateway', () => {
  it('finishes 16 in-flight requests, tells subscribers to reconnect (1012), refuses new connections, then stops', async () => {
    const injector = new FaultInjector(system.subgraphUrls.finance);
    await injector.start();
    injector.mode = 'slow';
    injector.delayMs = 700;
    const gateway = await createGateway({
      subgraphUrls: { ...system.subgraphUrls, finance: injector.url },
      database: system.database.target,
      bus: system.bus,
      drainTimeoutMs: 10_000,
      rateLimits: SUITE_RATE_LIMITS,
    });
    const port = await gateway.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${port}/graphql`;
    try {
      const subscriber = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      const closeCode = new Promise<number>((resolve) => subscriber.on('close', (code) => resolve(code)));
      await new Promise((resolve) => subscriber.once('open', resolve));
      const acked = new Promise((resolve) => subscriber.on('message', (data) => JSON.parse(String(data)).type === 'connection_ack' && resolve(undefined)));
      subscriber.send(JSON.stringify({ type: 'connection_init', payload: { authorization: AS_OPERATOR.authorization } }));
      await acked;

      // Sixteen different documents (an alias each): identical ones would share one finance fetch in flight.
      const inFlight = Array.from({ length: 16 }, (_, i) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...AS_OPERATOR },
          body: JSON.stringify({ query: `{ orders(first: 1) { edges { node { id settlement { s${i}: status } } } } }` }),
        }).then(
          async (response) => ({ status: response.status, body: (await response.json()) as any }),
          (error: Error) => ({ status: 0, body: { error: error.message } }),
        ),
      );
      // All sixteen are inside the gateway, waiting on finance, when SIGTERM's stop() begins.
      for (let i = 0; i < 400 && injector.hits < 16; i++) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(injector.hits).toBe(16);
      const stopping = gateway.stop();
      expect(await closeCode).toBe(1012);
      const refused = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }).then(
        (response) => response.status,
        (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message,
      );
      expect(refused).toBe('ECONNREFUSED');
      const results = await Promise.all(inFlight);
      expect(results.map((r) => r.status)).toEqual(Array(16).fill(200));
      for (const result of results) expect(result.body.errors).toBeUndefined();
      await stopping;
    } finally {
      await injector.stop();
    }
  });
});
