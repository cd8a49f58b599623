import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeServer, createLogger, listen } from '@ipay/platform';
import {
  InFlightLimiter,
  MemoryRateCounterStore,
  RateLimiter,
  RedisRateCounterStore,
  admission,
  bucketShape,
  rateLimitsFromEnv,
  type RateCounterStore,
  type RateLimits,
} from '../src/rate-limit.ts';

const logger = createLogger('rate-limit-test', 'silent');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisStores: RedisRateCounterStore[] = [];
const redisStore = async () => {
  // A prefix of the test's own: other runs and other gateways on the same Redis never share a bucket with it.
  const store = new RedisRateCounterStore(REDIS_URL, `ipay:test:rate-limit:${randomUUID()}:`);
  redisStores.push(store);
  await store.ready();
  return store;
};
afterAll(async () => {
  for (const store of redisStores) await store.close();
});

/** 6 per minute (one every 10 s), 3 back to back; everything else out of the way. */
const limits = (key: RateLimits['key']): RateLimits => ({
  ip: { limit: 1_000_000, windowSeconds: 60 },
  key,
  auth: { limit: 1_000_000, windowSeconds: 60 },
  inFlight: { key: 8, ip: 32 },
  refusalHoldMs: 0,
});
const SIX_A_MINUTE = { limit: 6, windowSeconds: 60, burst: 3 };

/** A limiter on a clock the test moves (microseconds). */
function limiterWith(store: RateCounterStore, policy = SIX_A_MINUTE) {
  const clock = { nowUs: Date.UTC(2026, 0, 1) * 1000 };
  const limiter = new RateLimiter(limits(policy), store, logger, () => clock.nowUs);
  const hit = () => limiter.check([{ policy: 'key', id: 'tenant-a' }]);
  return { clock, limiter, hit };
}

describe.each([
  ['memory', async () => new MemoryRateCounterStore()],
  ['Redis', redisStore],
])('GCRA buckets (%s)', (_name, makeStore) => {
  it('spends the burst back to back, then refuses with the exact Retry-After and RateLimit fields', async () => {
    const { hit } = limiterWith(await makeStore());
    const allowed = [await hit(), await hit(), await hit()];
    expect(allowed.map((d) => [d.allowed, d.headers.ratelimit])).toEqual([
      [true, '"key";r=2;t=10'],
      [true, '"key";r=1;t=20'],
      [true, '"key";r=0;t=30'],
    ]);
    const refused = await hit();
    expect(refused).toEqual({
      allowed: false,
      policy: 'key',
      retryAfterSeconds: 10,
      headers: { 'ratelimit-policy': '"key";q=6;w=60', ratelimit: '"key";r=0;t=30', 'retry-after': '10' },
    });
  });

  it('refills one request per interval: refused 1 µs before the Retry-After moment, allowed at it', async () => {
    const { clock, hit } = limiterWith(await makeStore());
    for (let i = 0; i < 3; i++) expect((await hit()).allowed).toBe(true);
    clock.nowUs += 10_000_000 - 1;
    const early = await hit();
    expect({ allowed: early.allowed, retryAfter: early.headers['retry-after'] }).toEqual({ allowed: false, retryAfter: '1' });
    clock.nowUs += 1;
    expect((await hit()).allowed).toBe(true);
    expect((await hit()).allowed).toBe(false);
    // Long idle fills the bucket to its burst, never beyond.
    clock.nowUs += 3_600_000_000;
    const after = [];
    for (let i = 0; i < 4; i++) after.push((await hit()).allowed);
    expect(after).toEqual([true, true, true, false]);
  });

  it('keeps a refused request from spending anything (a flood does not push its own Retry-After out)', async () => {
    const { clock, hit } = limiterWith(await makeStore());
    for (let i = 0; i < 3; i++) await hit();
    for (let i = 0; i < 100; i++) expect((await hit()).retryAfterSeconds).toBe(10);
    clock.nowUs += 10_000_000;
    expect((await hit()).allowed).toBe(true);
  });

  it('keeps budgets apart per policy and id', async () => {
    const { limiter } = limiterWith(await makeStore(), { limit: 1, windowSeconds: 60, burst: 1 });
    expect((await limiter.check([{ policy: 'key', id: 'a' }])).allowed).toBe(true);
    expect((await limiter.check([{ policy: 'key', id: 'a' }])).allowed).toBe(false);
    expect((await limiter.check([{ policy: 'key', id: 'b' }])).allowed).toBe(true);
  });
});

describe('GCRA memory and Redis', () => {
  it('decide the same on the same sequence of requests, to the header (fractional intervals included)', async () => {
    // 7 per minute: an interval of 8,571,429 µs, so rounding would show if the two computed differently.
    const policy = { limit: 7, windowSeconds: 60, burst: 4 };
    const memory = limiterWith(new MemoryRateCounterStore(), policy);
    const redis = limiterWith(await redisStore(), policy);
    const steps = [0, 0, 0, 0, 0, 1_000_000, 7_571_429, 1, 8_571_428, 1, 0, 20_000_000, 0, 0, 0, 0, 3_000_000];
    const decisions: { memory: unknown; redis: unknown }[] = [];
    for (const step of steps) {
      memory.clock.nowUs += step;
      redis.clock.nowUs += step;
      decisions.push({ memory: await memory.hit(), redis: await redis.hit() });
    }
    for (const decision of decisions) expect(decision.redis).toEqual(decision.memory);
    expect(decisions.map((d) => (d.memory as { allowed: boolean }).allowed)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      true,
      false,
      true,
      false,
      false,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });

  it('share one bucket between two limiters on the same Redis prefix (two gateway processes)', async () => {
    const prefix = `ipay:test:rate-limit:${randomUUID()}:`;
    const a = new RedisRateCounterStore(REDIS_URL, prefix);
    const b = new RedisRateCounterStore(REDIS_URL, prefix);
    redisStores.push(a, b);
    await Promise.all([a.ready(), b.ready()]);
    const clock = { nowUs: Date.UTC(2026, 0, 1) * 1000 };
    const gatewayA = new RateLimiter(limits(SIX_A_MINUTE), a, logger, () => clock.nowUs);
    const gatewayB = new RateLimiter(limits(SIX_A_MINUTE), b, logger, () => clock.nowUs);
    const hit = (limiter: RateLimiter) => limiter.check([{ policy: 'key', id: 'shared' }]).then((d) => d.allowed);
    expect([await hit(gatewayA), await hit(gatewayB), await hit(gatewayA), await hit(gatewayB)]).toEqual([true, true, true, false]);
  });

  it('let requests through (and log) when the store fails: rate limiting must not take the service down', async () => {
    const failing: RateCounterStore = { take: () => Promise.reject(new Error('redis down')), close: async () => {} };
    const { hit } = limiterWith(failing);
    expect(await hit()).toEqual({ allowed: true, policy: 'ip', retryAfterSeconds: 0, headers: {} });
  });
});

describe('rate limit settings', () => {
  it('default to GCRA buckets with bursts and in-flight caps, and read RATE_LIMIT_* (a moved limit keeps the burst proportion)', () => {
    expect(rateLimitsFromEnv({})).toEqual({
      ip: { limit: 600, windowSeconds: 60, burst: 60 },
      key: { limit: 1200, windowSeconds: 60, burst: 120 },
      auth: { limit: 10, windowSeconds: 60, burst: 5 },
      inFlight: { key: 8, ip: 32 },
      refusalHoldMs: 1000,
    });
    const moved = rateLimitsFromEnv({
      RATE_LIMIT_PER_KEY: '600',
      RATE_LIMIT_AUTH_PER_IP_BURST: '2',
      RATE_LIMIT_INFLIGHT_PER_KEY: '4',
      RATE_LIMIT_WINDOW_SECONDS: '30',
    });
    expect([moved.key, moved.auth, moved.inFlight]).toEqual([
      { limit: 600, windowSeconds: 30, burst: 60 },
      { limit: 10, windowSeconds: 30, burst: 2 },
      { key: 4, ip: 32 },
    ]);
    expect(() => rateLimitsFromEnv({ RATE_LIMIT_INFLIGHT_PER_IP: '0' })).toThrow('RATE_LIMIT_INFLIGHT_PER_IP=0 must be a positive integer');
    expect(rateLimitsFromEnv({ RATE_LIMIT_REFUSAL_HOLD_MS: '0' }).refusalHoldMs).toBe(0);
    // Without a burst of its own a policy may spend its whole window at once (what tests that set only limit mean).
    expect(bucketShape({ limit: 20, windowSeconds: 60 })).toEqual({ intervalUs: 3_000_000, toleranceUs: 60_000_000 });
  });
});

describe('in-flight caps', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server) await closeServer(server);
    server = undefined;
  });

  /** A route that holds every request until released, behind the admission checks, as the gateway wires it. */
  async function heldRoute(
    inFlight: { key: number; ip: number },
    kind: 'graphql' | 'rest',
    key: RateLimits['key'] = { limit: 1_000_000, windowSeconds: 60 },
    refusalHoldMs = 0,
  ) {
    const rateLimits = { ...limits(key), inFlight, refusalHoldMs };
    const limiter = new RateLimiter(rateLimits, new MemoryRateCounterStore(), logger);
    const inFlightLimiter = new InFlightLimiter(rateLimits.inFlight);
    const held: (() => void)[] = [];
    let handled = 0;
    let arrivals = 0;
    const route = admission({ limiter, inFlight: inFlightLimiter, logger, clientIp: (req) => String(req.headers['x-client'] ?? 'ip-0') })(
      ({ res }) =>
        new Promise<void>((resolve) => {
          handled += 1;
          held.push(() => {
            res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{}}');
            resolve();
          });
        }),
      kind,
    );
    server = createServer((req, res) => void route({ req, res, requestId: `req-${++arrivals}`, logger }));
    const port = await listen(server, 0, 'test', 'TEST_PORT', '127.0.0.1');
    const send = (key: string, ip = 'ip-0') =>
      fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'x-client': ip },
        body: '{"query":"{ __typename }"}',
      });
    const waitForHeld = async (count: number) => {
      while (held.length < count) await new Promise((resolve) => setImmediate(resolve));
    };
    return { send, held, waitForHeld, inFlightLimiter, handled: () => handled };
  }

  it('refuses the 9th concurrent request of one key at once with 429 RATE_LIMITED, Retry-After: 1, before the handler; a slot frees on completion', async () => {
    const route = await heldRoute({ key: 8, ip: 32 }, 'graphql');
    const pending = Array.from({ length: 8 }, () => route.send('tenant-a'));
    await route.waitForHeld(8);
    const refused = await route.send('tenant-a');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await refused.json()).toEqual({
      errors: [
        {
          message: 'too many requests in flight (key-in-flight); retry after 1 s',
          extensions: { code: 'RATE_LIMITED', policy: 'key-in-flight', retryAfterSeconds: 1, requestId: 'req-9' },
        },
      ],
    });
    expect(route.handled()).toBe(8);
    // Another tenant on the same IP is still served.
    const other = route.send('tenant-b');
    await route.waitForHeld(9);
    // One of A's completes: its slot is free again.
    route.held[0]!();
    expect((await pending[0]!).status).toBe(200);
    const again = route.send('tenant-a');
    await route.waitForHeld(10);
    for (const release of route.held.slice(1)) release();
    expect((await Promise.all([...pending, other, again])).map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(route.inFlightLimiter.inFlight('ip', 'ip-0')).toBe(0);
  });

  it('caps one IP over all its keys, as problem+json on REST routes', async () => {
    const route = await heldRoute({ key: 8, ip: 3 }, 'rest');
    const pending = ['k1', 'k2', 'k3'].map((key) => route.send(key));
    await route.waitForHeld(3);
    const refused = await route.send('k4');
    expect({ status: refused.status, retryAfter: refused.headers.get('retry-after'), contentType: refused.headers.get('content-type') }).toEqual({
      status: 429,
      retryAfter: '1',
      contentType: 'application/problem+json',
    });
    expect(await refused.json()).toMatchObject({ type: 'urn:ipay:problem:rate-limited', status: 429, code: 'RATE_LIMITED', policy: 'ip-in-flight' });
    // Another IP is unaffected.
    const elsewhere = route.send('k4', 'ip-1');
    await route.waitForHeld(4);
    for (const release of route.held) release();
    expect((await Promise.all([...pending, elsewhere])).map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it('holds a rate refusal for refusalHoldMs before answering it, with Retry-After counted from the answer', async () => {
    // One request an hour: the second is refused with Retry-After 3600, answered 400 ms later.
    const route = await heldRoute({ key: 8, ip: 32 }, 'graphql', { limit: 1, windowSeconds: 3600, burst: 1 }, 400);
    const first = route.send('tenant-a');
    await route.waitForHeld(1);
    route.held[0]!();
    expect((await first).status).toBe(200);
    const started = performance.now();
    const refused = await route.send('tenant-a');
    expect(performance.now() - started).toBeGreaterThanOrEqual(400);
    expect({ status: refused.status, retryAfter: refused.headers.get('retry-after'), ratelimit: refused.headers.get('ratelimit') }).toEqual({
      status: 429,
      retryAfter: '3600',
      ratelimit: '"key";r=0;t=3600',
    });
    expect(((await refused.json()) as { errors: { extensions: unknown }[] }).errors[0]!.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      policy: 'key',
      retryAfterSeconds: 3600,
    });
    expect(route.handled()).toBe(1);
  });
});
