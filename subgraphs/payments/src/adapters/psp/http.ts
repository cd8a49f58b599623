import { createHmac, timingSafeEqual } from 'node:crypto';
import { PspError, type PspCode, type WebhookRequest } from './adapter.ts';

export const DEFAULT_PSP_TIMEOUT_MS = 10_000;

export interface PspHttpResponse {
  readonly status: number;
  readonly body: unknown;
}

/**
 * One call to a PSP API. Timeouts and connection failures become PspError (outcome unknown); any HTTP answer is
 * returned for the adapter to interpret, because each PSP shapes its errors differently.
 */
export async function callPsp(
  psp: PspCode,
  operation: string,
  url: string,
  init: { method: 'GET' | 'POST' | 'DELETE'; headers: Record<string, string>; body?: string; timeoutMs: number },
): Promise<PspHttpResponse> {
  let response: Response;
  try {
    response = await fetch(url, { method: init.method, headers: init.headers, body: init.body, signal: AbortSignal.timeout(init.timeoutMs) });
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new PspError(psp, operation, 'timeout', `no answer within ${init.timeoutMs} ms; the outcome is unknown, retry with the same idempotency key`);
    }
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new PspError(psp, operation, 'network', `could not reach ${new URL(url).host}${cause}`);
  }
  let text: string;
  try {
    text = await response.text();
  } catch {
    throw new PspError(psp, operation, 'timeout', `the answer did not complete within ${init.timeoutMs} ms; the outcome is unknown`);
  }
  if (text.length === 0) return { status: response.status, body: null };
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    if (response.ok)
      throw new PspError(psp, operation, 'invalid_response', `HTTP ${response.status} with a body that is not JSON`, { httpStatus: response.status });
    return { status: response.status, body: text };
  }
}

/** Maps an HTTP status the PSP answered with to our error kinds. */
export function errorKindFor(status: number): 'unauthorized' | 'not_found' | 'unavailable' | 'rejected' {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 429 || status >= 500) return 'unavailable';
  return 'rejected';
}

/** Every value of a header (repeated headers and comma-joined lists alike), case-insensitively. */
export function headerValues(headers: WebhookRequest['headers'], name: string): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    for (const item of typeof value === 'string' ? [value] : value) values.push(item);
  }
  return values;
}

export function headerValue(headers: WebhookRequest['headers'], name: string): string | undefined {
  const values = headerValues(headers, name);
  return values.length === 0 ? undefined : values.join(', ');
}

export function rawBodyText(rawBody: string | Uint8Array): string {
  return typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength).toString('utf8');
}

export function rawBodyBytes(rawBody: string | Uint8Array): Buffer {
  return typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
}

/** Constant-time equality of two byte strings; different lengths are unequal without comparing contents. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function hmacSha256(key: string | Uint8Array, data: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a string field, or undefined if it is missing or of another type. */
export function str(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}

/** application/x-www-form-urlencoded with Stripe's bracket notation for nested objects and arrays. */
export function formEncode(params: Record<string, unknown>, prefix = ''): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    const name = prefix ? `${prefix}[${key}]` : key;
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (isRecord(item)) parts.push(formEncode(item, `${name}[${i}]`));
        else parts.push(`${encodeURIComponent(`${name}[${i}]`)}=${encodeURIComponent(String(item))}`);
      });
    } else if (isRecord(value)) {
      const nested = formEncode(value, name);
      if (nested) parts.push(nested);
    } else {
      parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`);
    }
  }
  return parts.join('&');
}
