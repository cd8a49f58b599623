import { createHash } from 'node:crypto';

/** The response to replay for a completed key. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface IdempotencyClaimRequest {
  /** Whose key it is: keys of different callers never collide. */
  scope: string;
  key: string;
  /** Identifies the request (operation and variables): a key reused for another request is refused. */
  fingerprint: string;
  operationId: string;
  now: Date;
  /** When the key is forgotten (24 hours after its first use). */
  expiresAt: Date;
  /** Until when this claim holds; an in-flight claim older than this was abandoned and may be taken over. */
  lockedUntil: Date;
}

export type IdempotencyClaim =
  /** The caller owns the key now and must `complete` or `release` it. */
  | { outcome: 'claimed'; lockToken: string }
  | { outcome: 'replay'; response: StoredResponse }
  /** The key was used for a different request. */
  | { outcome: 'mismatch' }
  /** The first request with this key is still running. */
  | { outcome: 'in-flight' };

export interface IdempotencyClaimRef {
  scope: string;
  key: string;
  lockToken: string;
}

/**
 * Durable storage of Idempotency-Keys. `claim` must be atomic across gateway replicas: of two concurrent
 * claims of one key exactly one gets `claimed`.
 */
export interface IdempotencyStore {
  claim(request: IdempotencyClaimRequest): Promise<IdempotencyClaim>;
  /** Stores the response to replay; a no-op (returning false) when the claim was taken over meanwhile. */
  complete(ref: IdempotencyClaimRef, response: StoredResponse): Promise<boolean>;
  /** Forgets a claim whose request never ran, so the client may retry with the same key. */
  release(ref: IdempotencyClaimRef): Promise<void>;
  /** Deletes keys past their expiry; returns how many. */
  purgeExpired(now: Date): Promise<number>;
}

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** Longer than any request can take (several subgraph calls of at most SUBGRAPH_TIMEOUT_MS each). */
export const IDEMPOTENCY_LEASE_MS = 2 * 60 * 1000;

/** Stripe's limit; printable ASCII so it is safe in logs and headers. */
export function validIdempotencyKey(key: string): boolean {
  return key.length >= 1 && key.length <= 255 && /^[\x20-\x7e]+$/.test(key);
}

/** The request's identity for key reuse: the operation and its coerced variables, key order ignored. */
export function requestFingerprint(operationId: string, variables: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify([operationId, canonical(variables)])).digest('hex');
}

/** By default a key belongs to the credential that sent it (a hash of the Authorization header). */
export function defaultIdempotencyScope(headers: Record<string, string | string[] | undefined>): string {
  const authorization = headers.authorization;
  const value = Array.isArray(authorization) ? authorization.join(',') : authorization;
  return value ? `authorization:${createHash('sha256').update(value).digest('hex')}` : 'anonymous';
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
