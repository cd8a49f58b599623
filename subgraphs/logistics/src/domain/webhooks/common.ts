import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { CarrierScan, ScanType } from '../scans.ts';

/** The inbound HTTP request as the HTTP layer received it: the raw body, before any JSON parsing. */
export interface InboundWebhookRequest {
  method: string;
  /** Header names in any case. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Query string of the request URL. */
  query: URLSearchParams | Readonly<Record<string, string | undefined>>;
  rawBody: string | Uint8Array;
}

/** A carrier event that is not a scan we act on (pre-advice, delay notices, unknown codes), kept for the log. */
export interface IgnoredCarrierEvent {
  trackingNumber: string | null;
  carrierStatusCode: string;
  reason: string;
}

export interface WebhookResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface ParsedWebhook {
  carrierCode: string;
  scans: CarrierScan[];
  ignored: IgnoredCarrierEvent[];
  /** What to answer the carrier once the scans are stored (DPD, for one, wants its push id echoed). */
  response: WebhookResponse;
}

export type WebhookErrorCode = 'MISSING_SIGNATURE' | 'BAD_SIGNATURE' | 'STALE_TIMESTAMP' | 'MISSING_CREDENTIAL' | 'BAD_CREDENTIAL' | 'MALFORMED_PAYLOAD';

export class CarrierWebhookError extends Error {
  constructor(
    readonly carrierCode: string,
    readonly code: WebhookErrorCode,
    message: string,
    readonly httpStatus: number,
  ) {
    super(`${carrierCode} webhook: ${message}`);
  }
}

/** The request is not proven to come from the carrier: answer 401 and store nothing. */
export class WebhookAuthenticationError extends CarrierWebhookError {
  override readonly name = 'WebhookAuthenticationError';
  constructor(carrierCode: string, code: Exclude<WebhookErrorCode, 'MALFORMED_PAYLOAD'>, message: string) {
    super(carrierCode, code, message, 401);
  }
}

/** Authentic but unreadable: answer 400 and store nothing; `field` is the JSON path or parameter at fault. */
export class MalformedPayloadError extends CarrierWebhookError {
  override readonly name = 'MalformedPayloadError';
  constructor(
    carrierCode: string,
    readonly field: string,
    reason: string,
  ) {
    super(carrierCode, 'MALFORMED_PAYLOAD', `${field}: ${reason}`, 400);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Request access

export function headerValue(carrier: string, request: InboundWebhookRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [key, value] of Object.entries(request.headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    if (typeof value === 'string') values.push(value);
    else values.push(...(value as readonly string[]));
  }
  // Two copies of an authentication header leave it open which one was checked.
  if (values.length > 1) throw new MalformedPayloadError(carrier, `header ${name}`, 'is sent more than once');
  return values[0];
}

export function queryValue(carrier: string, request: InboundWebhookRequest, name: string): string | undefined {
  if (request.query instanceof URLSearchParams) {
    const all = request.query.getAll(name);
    if (all.length > 1) throw new MalformedPayloadError(carrier, name, 'is sent more than once');
    return all[0];
  }
  return (request.query as Record<string, string | undefined>)[name];
}

export function rawBodyBuffer(request: InboundWebhookRequest): Buffer {
  return typeof request.rawBody === 'string' ? Buffer.from(request.rawBody, 'utf8') : Buffer.from(request.rawBody);
}

/** Larger than any tracking push; refusing bigger bodies bounds what an unauthenticated caller can make us parse. */
export const MAX_BODY_BYTES = 1024 * 1024;

export function parseJsonBody(carrier: string, request: InboundWebhookRequest): unknown {
  const body = rawBodyBuffer(request);
  if (body.length === 0) throw new MalformedPayloadError(carrier, 'body', 'is empty');
  if (body.length > MAX_BODY_BYTES) throw new MalformedPayloadError(carrier, 'body', `exceeds ${MAX_BODY_BYTES} bytes`);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new MalformedPayloadError(carrier, 'body', 'is not valid JSON');
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Authentication

export function hmacSha256(secret: string, data: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

/**
 * Compares two secrets in constant time. Both are hashed first so that neither the content nor the length of the
 * expected secret shows in the timing.
 */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function requireSecret(carrier: string, secret: string | undefined, what: string): string {
  // A missing secret is our misconfiguration; accepting unauthenticated pushes instead would be worse.
  if (!secret || secret.length < 16) throw new Error(`${carrier} webhook ${what} is not configured (at least 16 characters)`);
  return secret;
}

export function checkSharedSecret(carrier: string, presented: string | undefined, expected: string, where: string): void {
  if (presented === undefined || presented === '') throw new WebhookAuthenticationError(carrier, 'MISSING_CREDENTIAL', `${where} is missing`);
  if (!constantTimeEqual(presented, expected)) throw new WebhookAuthenticationError(carrier, 'BAD_CREDENTIAL', `${where} does not match`);
}

// ---------------------------------------------------------------------------------------------------------------------
// Payload reading: each accessor names the JSON path it rejects.

export type Json = unknown;

export class Reader {
  constructor(readonly carrier: string) {}

  fail(path: string, reason: string): never {
    throw new MalformedPayloadError(this.carrier, path, reason);
  }

  object(value: Json, path: string): Record<string, Json> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(path, 'must be an object');
    return value as Record<string, Json>;
  }

  optionalObject(value: Json, path: string): Record<string, Json> | undefined {
    return value === undefined || value === null ? undefined : this.object(value, path);
  }

  array(value: Json, path: string): Json[] {
    if (!Array.isArray(value)) this.fail(path, 'must be an array');
    return value;
  }

  string(value: Json, path: string): string {
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    if (typeof value !== 'string') this.fail(path, 'must be a string');
    const trimmed = value.trim();
    if (trimmed === '') this.fail(path, 'must not be empty');
    if (trimmed.length > 500) this.fail(path, 'is longer than 500 characters');
    return trimmed;
  }

  optionalString(value: Json, path: string): string | null {
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return null;
    return this.string(value, path);
  }

  trackingNumber(value: Json, path: string): string {
    const raw = this.string(value, path).toUpperCase();
    if (!/^[A-Z0-9]{6,40}$/.test(raw)) this.fail(path, `"${raw}" is not a tracking number (6 to 40 letters and digits)`);
    return raw;
  }

  instant(value: Json, path: string, parse: (s: string) => Date | null, format: string): Date {
    const s = this.string(value, path);
    const d = parse(s);
    if (!d) this.fail(path, `"${s}" is not a timestamp (${format})`);
    return d;
  }
}

/**
 * A stable event id from what identifies the event: carriers mostly send no event id, and a re-delivered push must
 * map to the same id so that it de-duplicates.
 */
export function derivedEventId(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

export interface ScanFields {
  carrierCode: string;
  trackingNumber: string;
  type: ScanType;
  occurredAt: Date;
  carrierStatusCode: string;
  description?: string | null;
  location?: string | null;
  /** When absent, derived from carrier, tracking number, status code and time. */
  carrierEventId?: string;
}

export function scan(f: ScanFields): CarrierScan {
  return {
    carrierCode: f.carrierCode,
    trackingNumber: f.trackingNumber,
    carrierEventId: f.carrierEventId ?? derivedEventId([f.carrierCode, f.trackingNumber, f.carrierStatusCode, f.occurredAt.toISOString()]),
    type: f.type,
    occurredAt: f.occurredAt,
    carrierStatusCode: f.carrierStatusCode,
    description: f.description ?? null,
    location: f.location ?? null,
  };
}

export const ACK_JSON: WebhookResponse = { status: 200, contentType: 'application/json', body: '{"received":true}' };

/** Maps a carrier code through a table; codes not in the table are reported as ignored rather than guessed at. */
export type CodeMapping = ScanType | { ignore: string };
