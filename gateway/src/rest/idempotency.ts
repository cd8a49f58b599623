import { createHash } from 'node:crypto';
import { canonicalJson } from '@ipay/platform';
import type { InputObjectSpec, InputTypeRef, PersistedOperation } from './manifest.ts';

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
  return createHash('sha256')
    .update(canonicalJson([operationId, variables]))
    .digest('hex');
}

/** By default a key belongs to the credential that sent it (a hash of the Authorization header). */
export function defaultIdempotencyScope(headers: Record<string, string | string[] | undefined>): string {
  const authorization = headers.authorization;
  const value = Array.isArray(authorization) ? authorization.join(',') : authorization;
  return value ? `authorization:${createHash('sha256').update(value).digest('hex')}` : 'anonymous';
}

/**
 * Where an operation keeps its own idempotency key: a top-level `idempotencyKey: String` variable
 * (createOrder), or the `idempotencyKey` field of an input-object variable (startPaymentSession's input). Both
 * from the body. Such an operation is idempotent in its subgraph already, so the REST Idempotency-Key header is
 * that key, not a second one in the gateway's store.
 */
export interface OwnIdempotencyVariable {
  variable: string;
  /** The field of the input object that holds the key; absent when the variable is the key. */
  field?: string;
}

const OWN_KEY_NAME = 'idempotencyKey';

export function ownIdempotencyVariable(operation: PersistedOperation, inputObjects: Record<string, InputObjectSpec>): OwnIdempotencyVariable | undefined {
  if (operation.operationType !== 'mutation' || operation.body.kind === 'none') return undefined;
  const named = (type: InputTypeRef): InputTypeRef => (type.kind === 'NON_NULL' ? named(type.ofType) : type);
  const body = operation.variables.filter(
    (v) => v.source === 'body' && (operation.body.kind === 'properties' || (operation.body.kind === 'variable' && operation.body.variable === v.name)),
  );
  const direct = body.find((v) => v.name === OWN_KEY_NAME);
  if (direct) {
    const type = named(direct.type);
    return type.kind === 'SCALAR' && type.name === 'String' ? { variable: direct.name } : undefined;
  }
  for (const variable of body) {
    const type = named(variable.type);
    if (type.kind !== 'INPUT_OBJECT') continue;
    const field = inputObjects[type.name]?.fields[OWN_KEY_NAME];
    const fieldType = field && named(field.type);
    if (fieldType?.kind === 'SCALAR' && fieldType.name === 'String') return { variable: variable.name, field: OWN_KEY_NAME };
  }
  return undefined;
}

/**
 * The object in a request body that holds the operation's own key, if the body has that shape: the body itself
 * (a body of variables holding `idempotencyKey`, or a one-variable body that is the input object), or the input
 * object inside a body of variables.
 */
export function ownKeyHolder(
  operation: PersistedOperation,
  own: OwnIdempotencyVariable,
  body: unknown,
): { holder: Record<string, unknown>; name: string } | undefined {
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(body)) return undefined;
  if (!own.field) return operation.body.kind === 'properties' ? { holder: body, name: own.variable } : undefined;
  if (operation.body.kind === 'variable') return { holder: body, name: own.field };
  const input = body[own.variable];
  return isObject(input) ? { holder: input, name: own.field } : undefined;
}
