import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Redis } from 'ioredis';
import type { Logger } from '@ipay/platform';

/**
 * Rate limits per client IP, per credential (API key or access token, identified by a hash of the bearer value
 * before it is even verified, so a flood of bad credentials is limited too) and, stricter, per IP on the
 * operations that check a secret (`login`, `issueToken`, `/v1/auth/*`). Fixed windows; counters in memory by
 * default, or in Redis (`REDIS_URL`) so several gateway processes share one budget.
 *
 * A refusal is 429 with `Retry-After` and the IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers):
 * `RateLimit-Policy: "key";q=1200;w=60` and `RateLimit: "key";r=0;t=17`.
 */
export interface RatePolicy {
  /** Requests per window. */
  limit: number;
  windowSeconds: number;
}

export interface RateLimits {
  ip: RatePolicy;
  key: RatePolicy;
  /** login / issueToken / REST auth routes, per IP. */
  auth: RatePolicy;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  ip: { limit: 600, windowSeconds: 60 },
  key: { limit: 1200, windowSeconds: 60 },
  auth: { limit: 10, windowSeconds: 60 },
};

export function rateLimitsFromEnv(env: Record<string, string | undefined> = process.env): RateLimits {
  const read = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${raw} must be a positive integer`);
    return value;
  };
  const window = read('RATE_LIMIT_WINDOW_SECONDS', 60);
  return {
    ip: { limit: read('RATE_LIMIT_PER_IP', DEFAULT_RATE_LIMITS.ip.limit), windowSeconds: window },
    key: { limit: read('RATE_LIMIT_PER_KEY', DEFAULT_RATE_LIMITS.key.limit), windowSeconds: window },
    auth: { limit: read('RATE_LIMIT_AUTH_PER_IP', DEFAULT_RATE_LIMITS.auth.limit), windowSeconds: window },
  };
}

export interface RateCounterStore {
  /** Counts one hit in the window of `key` and says how many there were and when the window ends (ms from now). */
  hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }>;
  close(): Promise<void>;
}

export class MemoryRateCounterStore implements RateCounterStore {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();
  private sweptAt = Date.now();

  async hit(key: string, windowMs: number) {
    const now = Date.now();
    if (now - this.sweptAt > windowMs || this.windows.size > 100_000) {
      // Bounded memory: ended windows go, and a flood of distinct keys cannot grow the map without end.
      for (const [k, w] of this.windows) if (w.endsAt <= now) this.windows.delete(k);
      if (this.windows.size > 100_000) this.windows.clear();
      this.sweptAt = now;
    }
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { count: 0, endsAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { count: window.count, resetMs: window.endsAt - now };
  }

  async close() {}
}

// INCR and the window's expiry in one step, so every gateway process counts into the same window.
const HIT_SCRIPT = `local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local t = redis.call('PTTL', KEYS[1])
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); t = tonumber(ARGV[1]) end
return {c, t}`;

export class RedisRateCounterStore implements RateCounterStore {
  private readonly redis: Redis;
  constructor(
    url: string,
    private readonly prefix = 'ipay:ratelimit:',
    private readonly logger?: Logger,
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    this.redis.on('error', (error) => this.logger?.warn({ err: error }, 'rate limit store (Redis) error'));
  }

  async hit(key: string, windowMs: number) {
    const [count, ttl] = (await this.redis.eval(HIT_SCRIPT, 1, `${this.prefix}${key}`, String(windowMs))) as [number, number];
    return { count, resetMs: ttl };
  }

  async close() {
    this.redis.disconnect();
  }
}

export interface RateDecision {
  allowed: boolean;
  policy: keyof RateLimits;
  headers: Record<string, string>;
  retryAfterSeconds: number;
}

export class RateLimiter {
  constructor(
    readonly limits: RateLimits,
    private readonly store: RateCounterStore,
    private readonly logger: Logger,
  ) {}

  /** The bearer value, hashed: the credential's budget, whether or not it turns out to be valid. */
  static credentialOf(req: IncomingMessage): string | null {
    const authorization = req.headers.authorization;
    if (typeof authorization !== 'string' || !authorization.trim()) return null;
    return createHash('sha256').update(authorization.trim()).digest('hex').slice(0, 32);
  }

  /**
   * Counts one request under each given policy and refuses on the first one exhausted. A store that fails (Redis
   * down) lets the request through and logs: rate limiting protects the service, it must not take it down.
   */
  async check(hits: { policy: keyof RateLimits; id: string }[]): Promise<RateDecision> {
    let tightest: RateDecision | undefined;
    for (const { policy, id } of hits) {
      const { limit, windowSeconds } = this.limits[policy];
      let result: { count: number; resetMs: number };
      try {
        result = await this.store.hit(`${policy}:${id}`, windowSeconds * 1000);
      } catch (error) {
        this.logger.error({ err: error, policy }, 'rate limit store unavailable: request not limited');
        continue;
      }
      const remaining = Math.max(0, limit - result.count);
      const resetSeconds = Math.max(1, Math.ceil(result.resetMs / 1000));
      const decision: RateDecision = {
        allowed: result.count <= limit,
        policy,
        retryAfterSeconds: resetSeconds,
        headers: {
          'ratelimit-policy': `"${policy}";q=${limit};w=${windowSeconds}`,
          ratelimit: `"${policy}";r=${remaining};t=${resetSeconds}`,
        },
      };
      if (!decision.allowed) return { ...decision, headers: { ...decision.headers, 'retry-after': String(resetSeconds) } };
      if (!tightest || remaining < Number(/r=(\d+)/.exec(tightest.headers.ratelimit!)![1])) tightest = decision;
    }
    return tightest ?? { allowed: true, policy: 'ip', retryAfterSeconds: 0, headers: {} };
  }

  close() {
    return this.store.close();
  }
}

export function openRateCounterStore(url: string | undefined, logger: Logger): RateCounterStore {
  return url ? new RedisRateCounterStore(url, process.env.RATE_LIMIT_REDIS_PREFIX ?? 'ipay:ratelimit:', logger) : new MemoryRateCounterStore();
}
