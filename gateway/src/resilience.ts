import { createRequire } from 'node:module';
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleType,
  retry,
  type CircuitBreakerPolicy,
  type RetryPolicy,
} from 'cockatiel';
import type { Logger, SubgraphName } from '@ipay/platform';

// @apollo/gateway is CommonJS and keeps a GraphQLError as it is only when it is of its own graphql realm.
const { GraphQLError: GatewayGraphQLError } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

export interface CircuitOptions {
  /** Consecutive failures (network error, timeout, HTTP 502/503/504) that open a subgraph's circuit. */
  consecutiveFailures: number;
  /** How long an open circuit fails fast before one probe request is let through (half-open). */
  halfOpenAfterMs: number;
  /** Attempts of a query (never of a mutation) when the subgraph fails transiently. */
  queryAttempts: number;
}

export const DEFAULT_CIRCUIT_OPTIONS: CircuitOptions = { consecutiveFailures: 5, halfOpenAfterMs: 10_000, queryAttempts: 2 };

export function circuitOptionsFromEnv(env: Record<string, string | undefined> = process.env): Partial<CircuitOptions> {
  const options: Partial<CircuitOptions> = {};
  if (env.SUBGRAPH_BREAKER_FAILURES) options.consecutiveFailures = Number(env.SUBGRAPH_BREAKER_FAILURES);
  if (env.SUBGRAPH_BREAKER_HALF_OPEN_MS) options.halfOpenAfterMs = Number(env.SUBGRAPH_BREAKER_HALF_OPEN_MS);
  if (env.SUBGRAPH_QUERY_ATTEMPTS) options.queryAttempts = Number(env.SUBGRAPH_QUERY_ATTEMPTS);
  return options;
}

/** What a request touching an unavailable subgraph gets (the rest of the plan still answers: partial results). */
export function subgraphUnavailable(name: string, reason: string) {
  return new GatewayGraphQLError(`the ${name} service is unavailable (${reason}); retry later`, {
    extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: name, http: { status: 503 } },
  });
}

const TRANSIENT_STATUS = new Set([502, 503, 504]);
const isTransient = (response: unknown) =>
  typeof (response as { status?: unknown } | null)?.status === 'number' && TRANSIENT_STATUS.has((response as { status: number }).status);
/** AbortSignal.timeout's (fetch) and undici's own header/body timeouts. */
const TIMEOUT_ERRORS = new Set(['TimeoutError', 'HeadersTimeoutError', 'BodyTimeoutError']);

/** Whether a subgraph request is a query (safe to repeat); mutations are sent once, whatever happens. */
export function isQueryRequest(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  try {
    const query = (JSON.parse(body) as { query?: unknown }).query;
    return typeof query === 'string' && /^\s*(\{|query\b)/.test(query);
  } catch {
    return false;
  }
}

/**
 * A circuit breaker per subgraph (cockatiel): after `consecutiveFailures` failures in a row the circuit opens and
 * every call fails at once with SUBGRAPH_UNAVAILABLE naming the service, instead of waiting for the timeout; after
 * `halfOpenAfterMs` one call probes, and its success closes the circuit again. Queries are retried with backoff
 * (inside the breaker, so retries count as failures too); mutations never are.
 */
export class SubgraphCircuits {
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();
  private readonly retries: RetryPolicy;
  readonly options: CircuitOptions;

  constructor(
    names: readonly SubgraphName[],
    options: Partial<CircuitOptions>,
    private readonly logger: Logger,
  ) {
    this.options = { ...DEFAULT_CIRCUIT_OPTIONS, ...options };
    const failures = handleType(Error, (error) => !(error instanceof BrokenCircuitError)).orWhenResult((response) => isTransient(response));
    for (const name of names) {
      const breaker = circuitBreaker(failures, {
        halfOpenAfter: this.options.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(this.options.consecutiveFailures),
      });
      breaker.onStateChange((state) =>
        this.logger.warn({ subgraph: name, state: CircuitState[state] }, `circuit of ${name} is ${CircuitState[state].toLowerCase()}`),
      );
      this.breakers.set(name, breaker);
    }
    this.retries = retry(
      handleType(Error, (error) => !(error instanceof BrokenCircuitError)).orWhenResult((response) => isTransient(response)),
      {
        maxAttempts: Math.max(0, this.options.queryAttempts - 1),
        backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 500 }),
      },
    );
  }

  state(name: string): string {
    const breaker = this.breakers.get(name);
    return breaker ? CircuitState[breaker.state].toLowerCase() : 'none';
  }

  states(): Record<string, string> {
    return Object.fromEntries([...this.breakers.keys()].map((name) => [name, this.state(name)]));
  }

  /** A fetch for the subgraph `name`, through its breaker (and retries, for queries). */
  fetcher(name: string, timeoutMs: number): typeof fetch {
    return (input, init) => this.call(name, timeoutMs, isQueryRequest(init?.body), () => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) }));
  }

  /**
   * One subgraph call through `name`'s breaker (and retries when `repeatable`): `attempt` answers with a status, and
   * 502/503/504, network errors and timeouts count as failures. Failures surface as SUBGRAPH_UNAVAILABLE.
   */
  async call<T extends { status: number }>(name: string, timeoutMs: number, repeatable: boolean, attempt: () => Promise<T>): Promise<T> {
    const breaker = this.breakers.get(name);
    if (!breaker) return attempt();
    const once = () => breaker.execute(attempt);
    try {
      const response = repeatable ? await this.retries.execute(once) : await once();
      if (TRANSIENT_STATUS.has(response.status)) throw subgraphUnavailable(name, `HTTP ${response.status}`);
      return response;
    } catch (error) {
      if (error instanceof GatewayGraphQLError) throw error;
      if (error instanceof BrokenCircuitError) throw subgraphUnavailable(name, 'circuit open');
      const reason = TIMEOUT_ERRORS.has((error as Error)?.name) ? `no answer within ${timeoutMs} ms` : 'unreachable';
      this.logger.warn({ subgraph: name, err: error }, 'subgraph call failed');
      throw subgraphUnavailable(name, reason);
    }
  }
}
