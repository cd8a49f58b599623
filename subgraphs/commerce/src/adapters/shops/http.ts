import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectorAuthError, ConnectorError, ConnectorPayloadError, ConnectorRequestError, ConnectorUnavailableError } from './errors.ts';

export interface HttpOptions {
  /** Whole-request budget (connect, headers and body). */
  timeoutMs?: number;
  /** Extra attempts for idempotent requests that failed with UNAVAILABLE. */
  retries?: number;
  /** First back-off; doubles per attempt unless the platform says Retry-After. */
  backoffMs?: number;
  /** A Retry-After longer than this is not slept through: the error goes to the caller, who reschedules. */
  maxRetryWaitMs?: number;
}

export const DEFAULT_HTTP_OPTIONS: Required<HttpOptions> = { timeoutMs: 15_000, retries: 2, backoffMs: 300, maxRetryWaitMs: 10_000 };

export type QueryValue = string | number | boolean | null | undefined;

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  query?: Record<string, QueryValue> | URLSearchParams;
  headers?: Record<string, string>;
  /** JSON body (sets content-type). */
  json?: unknown;
  /** application/x-www-form-urlencoded body. */
  form?: Record<string, string>;
  /** Raw body with its own content-type header. */
  body?: string;
  /** Reads may be retried; writes only when the platform makes them idempotent. Defaults to method === 'GET'. */
  idempotent?: boolean;
  /** Statuses that are answers, not errors (e.g. 404 when probing). */
  acceptStatuses?: number[];
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined for an empty body. */
  body: unknown;
}

/**
 * Lets a connector turn its platform's error conventions into typed errors: auth failures inside HTTP 200
 * (Lazada, Shopee, TikTok, Temu, Odoo), rate-limit codes in the body, problem+json details...
 * Return undefined to fall back to the status-code mapping; `describe` gives the message for that fallback.
 */
export interface ErrorConventions {
  interpret?(response: HttpResponse): ConnectorError | undefined;
  describe?(response: HttpResponse): string | undefined;
}

/** A fetch client with timeouts, bounded retries and error mapping shared by every connector. */
export class HttpClient {
  readonly options: Required<HttpOptions>;

  constructor(
    readonly platform: string,
    options: HttpOptions = {},
    private readonly conventions: ErrorConventions = {},
  ) {
    this.options = { ...DEFAULT_HTTP_OPTIONS, ...options };
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const idempotent = request.idempotent ?? request.method === 'GET';
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(request);
      } catch (error) {
        if (!(error instanceof ConnectorUnavailableError) || !idempotent || attempt >= this.options.retries) throw error;
        const wait = error.retryAfterMs ?? this.options.backoffMs * 2 ** attempt;
        if (wait > this.options.maxRetryWaitMs) throw error;
        await sleep(wait);
      }
    }
  }

  /** send() and require a JSON body. */
  async json(request: HttpRequest): Promise<unknown> {
    const response = await this.send(request);
    if (response.body === undefined) throw new ConnectorPayloadError(this.platform, describeTarget(request), 'expected a JSON body, got an empty one');
    return response.body;
  }

  private async once(request: HttpRequest): Promise<HttpResponse> {
    const url = new URL(request.url);
    if (request.query instanceof URLSearchParams) {
      for (const [k, v] of request.query) url.searchParams.append(k, v);
    } else if (request.query) {
      for (const [k, v] of Object.entries(request.query)) if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    let body: string | undefined = request.body;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers['content-type'] ??= 'application/json';
    } else if (request.form) {
      body = new URLSearchParams(request.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    const target = describeTarget(request);
    let status: number;
    let responseHeaders: Headers;
    let text: string;
    try {
      const res = await fetch(url, { method: request.method, headers, body, signal: AbortSignal.timeout(this.options.timeoutMs), redirect: 'manual' });
      status = res.status;
      responseHeaders = res.headers;
      text = await res.text();
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ConnectorUnavailableError(this.platform, `${target} timed out after ${this.options.timeoutMs} ms`, 'timeout');
      }
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new ConnectorUnavailableError(this.platform, `${target} failed: ${cause ?? (error as Error).message}`, 'network');
    }
    let parsed: unknown;
    let parseError = false;
    if (text.trim() !== '' && looksLikeJson(responseHeaders, text)) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parseError = true;
      }
    }
    const response: HttpResponse = { status, headers: responseHeaders, text, body: parsed };
    const specific = parseError ? undefined : this.conventions.interpret?.(response);
    if (specific) throw specific;
    if ((status >= 200 && status < 300) || request.acceptStatuses?.includes(status)) {
      if (parseError) throw new ConnectorPayloadError(this.platform, target, `HTTP ${status} body is not valid JSON`);
      return response;
    }
    const detail = (!parseError && this.conventions.describe?.(response)) || shortText(text);
    const message = `${target} → HTTP ${status}${detail ? `: ${detail}` : ''}`;
    if (status === 401 || status === 403) throw new ConnectorAuthError(this.platform, message, status);
    if (status === 429) {
      throw new ConnectorUnavailableError(this.platform, message, 'rate_limited', status, parseRetryAfter(responseHeaders.get('retry-after')));
    }
    if (status >= 500 || status === 408) {
      throw new ConnectorUnavailableError(this.platform, message, 'server_error', status, parseRetryAfter(responseHeaders.get('retry-after')));
    }
    throw new ConnectorRequestError(this.platform, message, status);
  }
}

/** Retry-After as seconds (Shopify sends "2.0") or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Method and path only: query strings carry tokens and signatures on several platforms. */
function describeTarget(request: HttpRequest): string {
  let path = request.url;
  try {
    path = new URL(request.url).pathname;
  } catch {
    // keep as given
  }
  return `${request.method} ${path}`;
}

function looksLikeJson(headers: Headers, text: string): boolean {
  const type = headers.get('content-type') ?? '';
  if (type.includes('json')) return true;
  const first = text.trimStart()[0];
  return first === '{' || first === '[';
}

function shortText(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** Basic auth header value. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
