import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type GatewayServer } from '@ipay/gateway';
import { SANDBOX_KEYS, SUITE_RATE_LIMITS, bearer } from '../../../subgraphs/system/e2e/support.ts';
import { FaultInjector, startHostileSystem, type HostileSystem } from './support.ts';

/**
 * In-flight sharing of identical subgraph fetches (on by default) never answers one caller with another's data. Commerce
 * sits behind an injector that holds each request for a while, so the callers' fetches are in flight together: the case
 * where a key without the principal (Hive Gateway's URL + body) would hand one merchant's orders to another.
 */
let system: HostileSystem;
let gateway: GatewayServer;
let injector: FaultInjector;
let url = '';
beforeAll(async () => {
  system = await startHostileSystem();
  injector = new FaultInjector(system.subgraphUrls.commerce);
  await injector.start();
  gateway = await createGateway({
    subgraphUrls: { ...system.subgraphUrls, commerce: injector.url },
    database: system.database.target,
    rateLimits: SUITE_RATE_LIMITS,
  });
  url = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}/graphql`;
});
afterAll(async () => {
  await gateway?.stop();
  await injector?.stop();
  await system?.stop();
});

const post = async (key: string, query: string, headers: Record<string, string> = {}) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(key), ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, json: (await response.json()) as any };
};

const ORDERS = '{ orders(first: 20) { edges { node { id merchant { id slug } } } } }';
const merchantsIn = (json: any) => new Set<string>(json.data.orders.edges.map((e: any) => e.node.merchant.slug));

describe('in-flight sharing of subgraph fetches', () => {
  it('two merchants sending the same query at the same moment each get only their own orders', async () => {
    injector.mode = 'slow';
    injector.delayMs = 1_500;
    injector.hits = 0;
    const acme = SANDBOX_KEYS['acme-owner']!;
    const nordic = SANDBOX_KEYS['nordic-owner']!;
    const replies = await Promise.all([acme, nordic, acme, nordic, acme, nordic].map((key) => post(key, ORDERS)));
    injector.mode = 'pass';
    const [acmeReplies, nordicReplies] = [replies.filter((_, i) => i % 2 === 0), replies.filter((_, i) => i % 2 === 1)];
    for (const reply of acmeReplies) {
      expect(reply.status).toBe(200);
      expect([...merchantsIn(reply.json)]).toEqual(['acme-shop']);
    }
    for (const reply of nordicReplies) {
      expect(reply.status).toBe(200);
      expect(merchantsIn(reply.json).has('acme-shop')).toBe(false);
      expect(reply.json.data.orders.edges.length).toBeGreaterThan(0);
    }
    // Each merchant's three identical queries are answered alike, and at least one commerce request went per merchant.
    expect(new Set(acmeReplies.map((r) => JSON.stringify(r.json))).size).toBe(1);
    expect(new Set(nordicReplies.map((r) => JSON.stringify(r.json))).size).toBe(1);
    expect(injector.hits).toBeGreaterThanOrEqual(2);
  });

  it('identical mutations in flight together each reach the subgraph', async () => {
    injector.mode = 'slow';
    injector.delayMs = 1_500;
    injector.hits = 0;
    const acme = SANDBOX_KEYS['acme-owner']!;
    const mutation = 'mutation { cancelOrder(id: "ord_does_not_exist", reason: "sharing test") { id } }';
    const replies = await Promise.all([post(acme, mutation), post(acme, mutation), post(acme, mutation)]);
    injector.mode = 'pass';
    expect(replies.map((r) => r.status)).toHaveLength(3);
    expect(injector.hits).toBe(3);
  });
});
