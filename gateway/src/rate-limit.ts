import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import type { Logger, RequestInfo, RouteHandler } from '@ipay/platform';

/**
 * Rate limits per client IP, per credential (API key or access token, identified by a hash of the bearer value
 * before it is even verified, so a flood of bad credentials is limited too) and, stricter, per IP on the
 * operations that check a secret (`login`, `issueToken`, `/v1/auth/*`).
 *
 * Each budget is a GCRA token bucket (the generic cell rate algorithm): `limit` requests per `windowSeconds`
 * refill evenly (one every windowSeconds/limit), and at most `burst` may be spent back to back. Unlike a fixed
 * window, a client cannot spend a whole minute's budget in its first second, so what a flooding tenant is
 * allowed arrives spread out. Buckets live in memory by default, or in Redis (`REDIS_URL`, one Lua script per
 * decision) so several gateway processes share one budget.
 *
 * On top, an in-flight cap per credential and per IP (per process): a tenant cannot hold more than a few
 * requests inside the gateway and the subgraph pools at once, whatever its rate budget; the excess is refused at
 * once, before its body is read. A rate refusal is held for `refusalHoldMs` before it is sent: a flooding client
 * that ignores Retry-After otherwise keeps the event loop busy writing refusals, and every other tenant's request
 * waits behind them (that, not the admitted work, is what the fairness bench measured).
 *
 * A refusal is 429 with `Retry-After` and the IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers):
 * `RateLimit-Policy: "key";q=1200;w=60` and `RateLimit: "key";r=0;t=17`.
 */
export interface RatePolicy {
  /** Requests per window (the refill rate is limit / windowSeconds). */
  limit: number;
  windowSeconds: number;
  /** Requests that may be spent back to back from a full bucket; default `limit` (the whole window at once). */
  burst?: number;
}

export interface InFlightLimits {
  /** Requests of one credential being served at once (per gateway process). */
  key: number;
  /** Requests of one client IP being served at once (per gateway process). */
  ip: number;
}

export interface RateLimits {
  ip: RatePolicy;
  key: RatePolicy;
  /** login / issueToken / REST auth routes, per IP. */
  auth: RatePolicy;
  inFlight: InFlightLimits;
  /**
   * A request refused by a rate bucket is answered after this long (at most its Retry-After): a client that does
   * not wait is made to, so a flood with N connections costs N refusals a second instead of as many as the event
   * loop can write. Bounded (see MAX_HELD_REFUSALS); 0 answers at once.
   */
  refusalHoldMs: number;
}

/** Refusals held at once, over all clients and per IP; beyond, a refusal is answered at once. */
export const MAX_HELD_REFUSALS = 2048;
export const MAX_HELD_REFUSALS_PER_IP = 64;

export type RatePolicyName = 'ip' | 'key' | 'auth';

export const DEFAULT_RATE_LIMITS: RateLimits = {
  ip: { limit: 600, windowSeconds: 60, burst: 60 },
  key: { limit: 1200, windowSeconds: 60, burst: 120 },
  auth: { limit: 10, windowSeconds: 60, burst: 5 },
  inFlight: { key: 8, ip: 32 },
  refusalHoldMs: 1000,
};

export function rateLimitsFromEnv(env: Record<string, string | undefined> = process.env): RateLimits {
  const read = (name: string, fallback: number, min = 1) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw} must be ${min === 0 ? 'a non-negative' : 'a positive'} integer`);
    return value;
  };
  const window = read('RATE_LIMIT_WINDOW_SECONDS', 60);
  const policy = (name: string, defaults: RatePolicy): RatePolicy => {
    const limit = read(`RATE_LIMIT_${name}`, defaults.limit);
    // A moved limit without a burst of its own keeps the default's proportion.
    const burst = read(`RATE_LIMIT_${name}_BURST`, Math.max(1, Math.round(((defaults.burst ?? defaults.limit) * limit) / defaults.limit)));
    return { limit, windowSeconds: window, burst };
  };
  return {
    ip: policy('PER_IP', DEFAULT_RATE_LIMITS.ip),
    key: policy('PER_KEY', DEFAULT_RATE_LIMITS.key),
    auth: policy('AUTH_PER_IP', DEFAULT_RATE_LIMITS.auth),
    inFlight: {
      key: read('RATE_LIMIT_INFLIGHT_PER_KEY', DEFAULT_RATE_LIMITS.inFlight.key),
      ip: read('RATE_LIMIT_INFLIGHT_PER_IP', DEFAULT_RATE_LIMITS.inFlight.ip),
    },
    refusalHoldMs: read('RATE_LIMIT_REFUSAL_HOLD_MS', DEFAULT_RATE_LIMITS.refusalHoldMs, 0),
  };
}

/** A bucket's parameters in integer microseconds, so the memory and Redis stores compute exactly the same. */
export interface BucketShape {
  /** Time one request's token takes to come back. */
  intervalUs: number;
  /** burst × interval: how far ahead of now a bucket's theoretical arrival time may run. */
  toleranceUs: number;
}

export function bucketShape(policy: RatePolicy): BucketShape {
  const intervalUs = Math.max(1, Math.round((policy.windowSeconds * 1_000_000) / policy.limit));
  return { intervalUs, toleranceUs: intervalUs * Math.max(1, policy.burst ?? policy.limit) };
}

export interface BucketResult {
  allowed: boolean;
  /** After the decision: how long until the bucket is full again (its theoretical arrival time minus now). */
  backlogUs: number;
  /** Refused: how long until the same request would be allowed; 0 when allowed. */
  retryAfterUs: number;
}

export interface RateCounterStore {
  /** Takes one token from the bucket `key` at time `nowUs` if there is one. */
  take(key: string, shape: BucketShape, nowUs: number): Promise<BucketResult>;
  close(): Promise<void>;
}

/** GCRA in one step: a bucket is just its theoretical arrival time (TAT); the same arithmetic as the Lua script. */
export function gcra(storedTatUs: number | undefined, shape: BucketShape, nowUs: number): BucketResult & { tatUs: number } {
  const tat = storedTatUs === undefined || storedTatUs < nowUs ? nowUs : storedTatUs;
  const next = tat + shape.intervalUs;
  const wait = next - shape.toleranceUs - nowUs;
  if (wait > 0) return { allowed: false, backlogUs: tat - nowUs, retryAfterUs: wait, tatUs: tat };
  return { allowed: true, backlogUs: next - nowUs, retryAfterUs: 0, tatUs: next };
}

export class MemoryRateCounterStore implements RateCounterStore {
  private readonly tats = new Map<string, number>();
  private sweptAtUs = 0;

  async take(key: string, shape: BucketShape, nowUs: number) {
    if (nowUs - this.sweptAtUs > 60_000_000 || this.tats.size > 100_000) {
      // Bounded memory: a bucket whose TAT has passed is full, the same as no entry.
      for (const [k, tat] of this.tats) if (tat <= nowUs) this.tats.delete(k);
      if (this.tats.size > 100_000) this.tats.clear();
      this.sweptAtUs = nowUs;
    }
    const result = gcra(this.tats.get(key), shape, nowUs);
    if (result.allowed) this.tats.set(key, result.tatUs);
    return { allowed: result.allowed, backlogUs: result.backlogUs, retryAfterUs: result.retryAfterUs };
  }

  async close() {}
}

// The GCRA step of `gcra()` on Redis, atomically, so every gateway process spends from the same bucket. Integers
// in microseconds (exact in Lua's doubles); the key expires when the bucket would be full again.
const TAKE_SCRIPT = `local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local nextTat = tat + interval
local wait = nextTat - tolerance - now
if wait > 0 then return {0, tat - now, wait} end
redis.call('SET', KEYS[1], string.format('%.0f', nextTat), 'PX', math.ceil((nextTat - now) / 1000))
return {1, nextTat - now, 0}`;

export class RedisRateCounterStore implements RateCounterStore {
  private readonly redis: Redis;
  constructor(
    url: string,
    private readonly prefix = 'ipay:ratelimit:',
    private readonly logger?: Logger,
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    this.redis.defineCommand('ipayRateTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    this.redis.on('error', (error) => this.logger?.warn({ err: error }, 'rate limit store (Redis) error'));
  }

  /** Resolves once connected. Until then decisions fail (and requests pass): no queue of commands while Redis is away. */
  ready(): Promise<void> {
    if (this.redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => this.redis.once('ready', () => resolve()));
  }

  async take(key: string, shape: BucketShape, nowUs: number) {
    const take = (this.redis as unknown as { ipayRateTake(...args: string[]): Promise<[number, number, number]> }).ipayRateTake;
    const [allowed, backlogUs, retryAfterUs] = await take.call(
      this.redis,
      `${this.prefix}${key}`,
      String(nowUs),
      String(shape.intervalUs),
      String(shape.toleranceUs),
    );
    return { allowed: allowed === 1, backlogUs, retryAfterUs };
  }

  async close() {
    this.redis.disconnect();
  }
}

export interface RateDecision {
  allowed: boolean;
  policy: RatePolicyName;
  headers: Record<string, string>;
  retryAfterSeconds: number;
}

/** Microseconds since the epoch; several gateways sharing Redis need their clocks in step (NTP), as for any TTL. */
const wallClockUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

export class RateLimiter {
  private readonly shapes: Record<RatePolicyName, BucketShape>;
  constructor(
    readonly limits: RateLimits,
    private readonly store: RateCounterStore,
    private readonly logger: Logger,
    private readonly nowUs: () => number = wallClockUs,
  ) {
    this.shapes = { ip: bucketShape(limits.ip), key: bucketShape(limits.key), auth: bucketShape(limits.auth) };
  }

  /** The bearer value, hashed: the credential's budget, whether or not it turns out to be valid. */
  static credentialOf(req: IncomingMessage): string | null {
    const authorization = req.headers.authorization;
    if (typeof authorization !== 'string' || !authorization.trim()) return null;
    return createHash('sha256').update(authorization.trim()).digest('hex').slice(0, 32);
  }

  /**
   * Takes one token under each given policy and refuses on the first one exhausted. A store that fails (Redis
   * down) lets the request through and logs: rate limiting protects the service, it must not take it down.
   */
  async check(hits: { policy: RatePolicyName; id: string }[]): Promise<RateDecision> {
    let tightest: { decision: RateDecision; remaining: number } | undefined;
    const now = this.nowUs();
    for (const { policy, id } of hits) {
      const { limit, windowSeconds } = this.limits[policy];
      const shape = this.shapes[policy];
      let result: BucketResult;
      try {
        result = await this.store.take(`${policy}:${id}`, shape, now);
      } catch (error) {
        this.logger.error({ err: error, policy }, 'rate limit store unavailable: request not limited');
        continue;
      }
      const remaining = Math.max(0, Math.floor((shape.toleranceUs - result.backlogUs) / shape.intervalUs));
      const resetSeconds = Math.ceil(result.backlogUs / 1_000_000);
      const headers = { 'ratelimit-policy': `"${policy}";q=${limit};w=${windowSeconds}`, ratelimit: `"${policy}";r=${remaining};t=${resetSeconds}` };
      if (!result.allowed) {
        const retryAfterSeconds = Math.max(1, Math.ceil(result.retryAfterUs / 1_000_000));
        return { allowed: false, policy, retryAfterSeconds, headers: { ...headers, 'retry-after': String(retryAfterSeconds) } };
      }
      if (!tightest || remaining < tightest.remaining) tightest = { decision: { allowed: true, policy, retryAfterSeconds: 0, headers }, remaining };
    }
    return tightest?.decision ?? { allowed: true, policy: 'ip', retryAfterSeconds: 0, headers: {} };
  }

  close() {
    return this.store.close();
  }
}

export function openRateCounterStore(url: string | undefined, logger: Logger): RateCounterStore {
  return url ? new RedisRateCounterStore(url, process.env.RATE_LIMIT_REDIS_PREFIX ?? 'ipay:ratelimit:', logger) : new MemoryRateCounterStore();
}

/** Counts the requests of each credential and IP being served; `enter` refuses beyond the cap. Per process. */
export class InFlightLimiter {
  private readonly counts = new Map<string, number>();
  constructor(readonly limits: InFlightLimits) {}

  /** A release function, or the policy that is full. */
  enter(ip: string, credential: string | null): (() => void) | 'ip' | 'key' {
    const ipKey = `ip:${ip}`;
    const credentialKey = credential ? `key:${credential}` : undefined;
    if ((this.counts.get(ipKey) ?? 0) >= this.limits.ip) return 'ip';
    if (credentialKey && (this.counts.get(credentialKey) ?? 0) >= this.limits.key) return 'key';
    this.increment(ipKey, 1);
    if (credentialKey) this.increment(credentialKey, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.increment(ipKey, -1);
      if (credentialKey) this.increment(credentialKey, -1);
    };
  }

  inFlight(kind: 'ip' | 'key', id: string) {
    return this.counts.get(`${kind}:${id}`) ?? 0;
  }

  private increment(key: string, by: number) {
    const count = (this.counts.get(key) ?? 0) + by;
    if (count <= 0) this.counts.delete(key);
    else this.counts.set(key, count);
  }
}

export type RefusalPolicy = RatePolicyName | 'ip-in-flight' | 'key-in-flight';
export type RouteKind = 'graphql' | 'rest';

/**
 * A 429 written straight to the socket from precomputed parts (no error objects, no per-refusal log line): a
 * flood is mostly refusals, and each one must cost as little as possible of the event loop the other tenants use.
 */
export function sendRateLimited(
  res: ServerResponse,
  kind: RouteKind,
  policy: RefusalPolicy,
  retryAfterSeconds: number,
  requestId: string,
  headers: Record<string, string>,
) {
  const message = policy.endsWith('in-flight')
    ? `too many requests in flight (${policy}); retry after ${retryAfterSeconds} s`
    : `rate limit exceeded (${policy}); retry after ${retryAfterSeconds} s`;
  // requestIdOf() only lets [A-Za-z0-9._:-] through: no escaping needed.
  const body =
    kind === 'graphql'
      ? `{"errors":[{"message":"${message}","extensions":{"code":"RATE_LIMITED","policy":"${policy}","retryAfterSeconds":${retryAfterSeconds},"requestId":"${requestId}"}}]}`
      : `{"type":"urn:ipay:problem:rate-limited","title":"Too Many Requests","status":429,"detail":"${message}","code":"RATE_LIMITED","policy":"${policy}","requestId":"${requestId}"}`;
  res.writeHead(429, {
    ...headers,
    'retry-after': String(retryAfterSeconds),
    'content-type': kind === 'graphql' ? 'application/json; charset=utf-8' : 'application/problem+json',
    'content-length': body.length,
  });
  res.end(body);
}

export interface AdmissionOptions {
  limiter: RateLimiter;
  inFlight: InFlightLimiter;
  clientIp(req: IncomingMessage): string;
  logger: Logger;
}

/**
 * Wraps a route with the admission checks before the handler reads a byte of the body: the rate buckets per IP,
 * per credential and (REST auth routes) the auth budget, then the in-flight caps. Rate first, so that requests
 * refused for being in flight still spend tokens and a flooder soon meets the (held) rate refusal.
 * `inFlight: false` for long-lived streams (SSE), which have caps of their own.
 */
export function admission({ limiter, inFlight, clientIp, logger }: AdmissionOptions) {
  // One warning per refused client and policy per 10 s, with the count since: a flood must not flood the logs.
  const refusals = new Map<string, { since: number; count: number }>();
  const noteRefusal = (policy: RefusalPolicy, ip: string) => {
    const key = `${policy}:${ip}`;
    const now = Date.now();
    const seen = refusals.get(key);
    if (seen && now - seen.since < 10_000) {
      seen.count += 1;
      return;
    }
    if (refusals.size > 10_000) refusals.clear();
    refusals.set(key, { since: now, count: 1 });
    logger.warn({ policy, ip, refusedInLast10s: seen?.count ?? 0 }, 'rate limited');
  };
  const held = new Map<string, number>();
  let heldTotal = 0;
  const holdMs = limiter.limits.refusalHoldMs;
  /** Answers a rate refusal after the hold (if there is room to hold it), with Retry-After counted from then. */
  const refuse = (info: RequestInfo, kind: RouteKind, decision: RateDecision, ip: string) => {
    const hold = Math.min(holdMs, decision.retryAfterSeconds * 1000);
    const heldHere = held.get(ip) ?? 0;
    if (hold <= 0 || heldTotal >= MAX_HELD_REFUSALS || heldHere >= MAX_HELD_REFUSALS_PER_IP) {
      return sendRateLimited(info.res, kind, decision.policy, decision.retryAfterSeconds, info.requestId, decision.headers);
    }
    heldTotal += 1;
    held.set(ip, heldHere + 1);
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        info.res.off('close', done);
        heldTotal -= 1;
        const left = (held.get(ip) ?? 1) - 1;
        if (left <= 0) held.delete(ip);
        else held.set(ip, left);
        resolve();
      };
      const timer = setTimeout(() => {
        const retryAfter = Math.max(1, decision.retryAfterSeconds - Math.floor(hold / 1000));
        sendRateLimited(info.res, kind, decision.policy, retryAfter, info.requestId, { ...decision.headers, 'retry-after': String(retryAfter) });
        done();
      }, hold);
      // The client gave up while held: nothing to answer.
      info.res.once('close', done);
    });
  };
  return (handler: RouteHandler, kind: RouteKind, options: { inFlight?: boolean } = {}): RouteHandler =>
    async (info) => {
      const ip = clientIp(info.req);
      const credential = RateLimiter.credentialOf(info.req);
      const path = kind === 'rest' ? new URL(info.req.url ?? '/', 'http://localhost').pathname : '';
      const decision = await limiter.check([
        { policy: 'ip', id: ip },
        ...(credential ? [{ policy: 'key' as const, id: credential }] : []),
        ...(path.startsWith('/v1/auth/') ? [{ policy: 'auth' as const, id: ip }] : []),
      ]);
      if (!decision.allowed) {
        noteRefusal(decision.policy, ip);
        return refuse(info, kind, decision, ip);
      }
      let release: (() => void) | undefined;
      if (options.inFlight !== false) {
        const entered = inFlight.enter(ip, credential);
        if (typeof entered === 'string') {
          const policy = entered === 'ip' ? 'ip-in-flight' : 'key-in-flight';
          noteRefusal(policy, ip);
          return sendRateLimited(info.res, kind, policy, 1, info.requestId, decision.headers);
        }
        release = entered;
        info.res.once('close', release);
      }
      for (const [name, value] of Object.entries(decision.headers)) info.res.setHeader(name, value);
      try {
        return await handler(info);
      } finally {
        // A handler may return before its response ends (streams); 'close' releases then. Otherwise release now.
        if (release && info.res.writableEnded) release();
      }
    };
}
