import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGateway, type GatewayServer } from '@ipay/gateway';
import { SANDBOX_KEYS, bearer } from '../../../subgraphs/system/e2e/support.ts';
import { RedisRateCounterStore, type RateLimits } from '../../src/rate-limit.ts';
import { startHostileSystem, type HostileSystem } from './support.ts';

let system: HostileSystem;
const gateways: GatewayServer[] = [];
beforeAll(async () => {
  system = await startHostileSystem();
});
afterAll(async () => {
  for (const gateway of gateways) await gateway.stop();
  await system?.stop();
});
beforeEach(() => system.resetCalls());

/** A gateway of its own over the shared subgraphs, with the given limits, so each test starts from a fresh budget. */
async function gatewayWith(rateLimits: Partial<RateLimits>, store?: RedisRateCounterStore) {
  const gateway = await createGateway({ subgraphUrls: system.subgraphUrls, database: system.database.target, rateLimits, rateLimitStore: store });
  gateways.push(gateway);
  const port = await gateway.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  const post = async (body: unknown, headers: Record<string, string> = {}, path = '/graphql') => {
    const response = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: response.status, headers: response.headers, json: (await response.json()) as any };
  };
  return { post };
}

const ORDERS = { query: '{ orders(first: 1) { edges { node { id } } } }' };
const wide = { limit: 10_000, windowSeconds: 60 };
// GCRA refills evenly (one request per windowSeconds/limit): an hour's window keeps refills out of a slow test run.
const HOUR = 3600;

describe('rate limits', () => {
  it('refuses the 21st request of one API key with 429, Retry-After and the RateLimit fields; another key is unaffected', async () => {
    const { post } = await gatewayWith({ ip: wide, key: { limit: 20, windowSeconds: HOUR }, auth: wide });
    const flooder = bearer(SANDBOX_KEYS.operator!);
    for (let i = 0; i < 20; i++) expect((await post(ORDERS, flooder)).status).toBe(200);
    const commerceBefore = system.subgraphCalls().commerce;
    const refused = await post(ORDERS, flooder);
    expect({ status: refused.status, code: refused.json.errors[0].extensions.code, policy: refused.json.errors[0].extensions.policy }).toEqual({
      status: 429,
      code: 'RATE_LIMITED',
      policy: 'key',
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(HOUR / 20);
    expect(refused.headers.get('ratelimit-policy')).toBe('"key";q=20;w=3600');
    expect(refused.headers.get('ratelimit')).toMatch(/^"key";r=0;t=\d+$/);
    expect(system.subgraphCalls().commerce).toBe(commerceBefore);
    // The other tenant's key has its own budget.
    const other = await post(ORDERS, bearer(SANDBOX_KEYS['acme-owner']!));
    expect(other.status).toBe(200);
    expect(other.headers.get('ratelimit')).toMatch(/^"key";r=19;t=\d+$/);
  });

  it('limits one IP whatever credentials it sends (a flood of invented keys)', async () => {
    const { post } = await gatewayWith({ ip: { limit: 10, windowSeconds: HOUR }, key: wide, auth: wide });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await post(ORDERS, bearer(`ipk_test_invented_${i}_000000000000000000000000`))).status);
    expect(statuses.slice(0, 10).every((status) => status === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it('gives login its own, stricter budget per IP: the 4th attempt is 429 without reaching identity', async () => {
    const { post } = await gatewayWith({ ip: wide, key: wide, auth: { limit: 3, windowSeconds: HOUR } });
    const login = { query: 'mutation { login(email: "owner@acme-shop.test", password: "wrong-password!!", livemode: false) { accessToken } }' };
    for (let i = 0; i < 3; i++) expect((await post(login)).json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const identityBefore = system.subgraphCalls().identity;
    const refused = await post(login);
    expect({ status: refused.status, code: refused.json.errors[0].extensions.code, policy: refused.json.errors[0].extensions.policy }).toEqual({
      status: 429,
      code: 'RATE_LIMITED',
      policy: 'auth',
    });
    expect(refused.headers.get('ratelimit-policy')).toBe('"auth";q=3;w=3600');
    expect(system.subgraphCalls().identity).toBe(identityBefore);
    // issueToken shares that budget.
    const issue = await post({ query: `mutation { issueToken(apiKey: "${SANDBOX_KEYS.operator}") { accessToken } }` });
    expect(issue.status).toBe(429);
  });

  it('limits the REST auth routes the same way, as problem+json', async () => {
    const { post } = await gatewayWith({ ip: wide, key: wide, auth: { limit: 2, windowSeconds: HOUR } });
    for (let i = 0; i < 2; i++) expect((await post({ email: 'owner@acme-shop.test', password: 'wrong-password!!' }, {}, '/v1/auth/login')).status).toBe(401);
    const refused = await post({ email: 'owner@acme-shop.test', password: 'wrong-password!!' }, {}, '/v1/auth/login');
    expect({ status: refused.status, code: refused.json.code, type: refused.json.type }).toEqual({
      status: 429,
      code: 'RATE_LIMITED',
      type: 'urn:ipay:problem:rate-limited',
    });
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('shares one budget between two gateway processes through Redis (REDIS_URL)', async () => {
    const prefix = `ipay:test:${randomUUID()}:`;
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const limits = { ip: wide, key: { limit: 5, windowSeconds: HOUR }, auth: wide };
    const stores = [new RedisRateCounterStore(redisUrl, prefix), new RedisRateCounterStore(redisUrl, prefix)];
    await Promise.all(stores.map((store) => store.ready()));
    const a = await gatewayWith(limits, stores[0]);
    const b = await gatewayWith(limits, stores[1]);
    const key = bearer(SANDBOX_KEYS.operator!);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await a.post(ORDERS, key)).status, (await b.post(ORDERS, key)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});
