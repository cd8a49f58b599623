import { createHmac, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';
import type { OrderPaymentState } from '@ipay/platform';

/**
 * Release verification, the heart of pay on arrival: a parcel leaves the carrier's hands only once its payment is
 * fully paid (the order's payment state from payments, see `isFullyPaid`) and the consumer proves to be the consumer, with a 6-digit one-time code or a signed QR token.
 *
 * - The code is uniform over 000000–999999 (crypto randomInt) and stored only as HMAC-SHA256 under a server key bound
 *   to the authorization id: a copy of the table does not reveal codes (a bare hash of 10^6 codes would fall to
 *   enumeration in milliseconds).
 * - The QR token is `ipr1.<payload>.<mac>`, base64url, payload {a: authorization id, s: shipment id, e: expiry (Unix
 *   s), k: key id}, mac = HMAC-SHA256 under a second key derived for this purpose only.
 * - Codes and MACs are compared in constant time. Wrong codes are counted; the 5th (policy) locks the authorization.
 * - `decideRelease` is pure: it returns the decision, the row update to apply with compare-and-set on `version`, and
 *   the audit facts. The caller applies `UPDATE … WHERE id = $id AND version = $expectedVersion`; when no row changes
 *   someone else got there first, so it re-reads and decides again — which is how at most one release (and no more
 *   wrong guesses than the limit) holds under concurrency.
 */

export const LOCATION_TYPES = ['DOOR', 'PICKUP_POINT', 'LOCKER'] as const;
export type LocationType = (typeof LOCATION_TYPES)[number];

export type ReleaseMethod = 'carrier_release' | 'pickup_point_release' | 'locker_release';

export const RELEASE_METHODS: Readonly<Record<LocationType, ReleaseMethod>> = {
  DOOR: 'carrier_release',
  PICKUP_POINT: 'pickup_point_release',
  LOCKER: 'locker_release',
};

/**
 * What the release decision knows of the order's payment: the payments subgraph's order payment state
 * (order.payment_state_changed; UNKNOWN while none was received) and whether it is fully paid (`isFullyPaid`).
 */
export interface ReleasePayment {
  state: OrderPaymentState | 'UNKNOWN';
  fullyPaid: boolean;
}

export interface ReleaseKey {
  /** Stored with each code hash and in each token, so keys can rotate. */
  id: string;
  /** At least 32 bytes of secret; the code-hashing and token-signing keys are derived from it (HKDF-SHA256). */
  secret: string | Buffer;
}

export interface ReleaseKeyring {
  /** Signs and hashes everything new. */
  current: ReleaseKey;
  /** Still verify codes and tokens issued before a rotation. */
  previous?: readonly ReleaseKey[];
}

export type AuthorizationStatus = 'ACTIVE' | 'RELEASED' | 'LOCKED' | 'REVOKED';

/** The stored release authorization (one row per shipment hand-over). */
export interface ReleaseAuthorization {
  id: string;
  shipmentId: string;
  orderId: string;
  locationType: LocationType;
  /** Hex HMAC-SHA256 of the code; the code itself is never stored. */
  codeHash: string;
  keyId: string;
  createdAt: Date;
  expiresAt: Date;
  status: AuthorizationStatus;
  failedAttempts: number;
  /** Bumped by every change; the compare-and-set token. */
  version: number;
  releasedAt: Date | null;
  releaseMethod: ReleaseMethod | null;
}

export interface ReleasePolicy {
  maxFailedAttempts: number;
}

export const DEFAULT_RELEASE_POLICY: ReleasePolicy = { maxFailedAttempts: 5 };
/** Covers a failed first attempt, redelivery and a pickup point's holding period. */
export const DEFAULT_RELEASE_TTL_SECONDS = 7 * 24 * 3600;
const MAX_TTL_SECONDS = 30 * 24 * 3600;

export class ReleaseConfigError extends Error {
  override readonly name = 'ReleaseConfigError';
}

// ---------------------------------------------------------------------------------------------------------------------
// Keys

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

interface DerivedKeys {
  code: Buffer;
  token: Buffer;
}

const derivedCache = new WeakMap<ReleaseKey, DerivedKeys>();

function derive(key: ReleaseKey): DerivedKeys {
  const cached = derivedCache.get(key);
  if (cached) return cached;
  const secret = typeof key.secret === 'string' ? Buffer.from(key.secret, 'utf8') : key.secret;
  if (!KEY_ID.test(key.id)) throw new ReleaseConfigError(`release key id "${key.id}" must be 1-32 characters of A-Z, a-z, 0-9, "_", "-"`);
  if (secret.length < 32) throw new ReleaseConfigError(`release key ${key.id} must have at least 32 bytes of secret`);
  // Separate keys per purpose: a token MAC can never double as a code hash.
  const salt = Buffer.from('ipay-release-v1', 'utf8');
  const keys = {
    code: Buffer.from(hkdfSync('sha256', secret, salt, 'code-hash', 32)),
    token: Buffer.from(hkdfSync('sha256', secret, salt, 'qr-token', 32)),
  };
  derivedCache.set(key, keys);
  return keys;
}

function findKey(keyring: ReleaseKeyring, id: string): ReleaseKey | undefined {
  return [keyring.current, ...(keyring.previous ?? [])].find((k) => k.id === id);
}

/** Checks a keyring at start-up so a bad key fails there rather than at the first release. */
export function assertReleaseKeyring(keyring: ReleaseKeyring): void {
  const all = [keyring.current, ...(keyring.previous ?? [])];
  all.forEach(derive);
  const ids = all.map((k) => k.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new ReleaseConfigError(`release key id "${dup}" is used twice`);
}

// ---------------------------------------------------------------------------------------------------------------------
// Codes

const CODE = /^\d{6}$/;

/** A uniformly random 6-digit code (randomInt rejects biased draws). */
export function generateReleaseCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

function codeMac(key: ReleaseKey, authorizationId: string, code: string): Buffer {
  return createHmac('sha256', derive(key).code).update(`${authorizationId}\u0000${code}`).digest();
}

export function hashReleaseCode(keyring: ReleaseKeyring, authorizationId: string, code: string): { codeHash: string; keyId: string } {
  if (!CODE.test(code)) throw new RangeError('a release code is 6 digits');
  return { codeHash: codeMac(keyring.current, authorizationId, code).toString('hex'), keyId: keyring.current.id };
}

/** What people type: spaces and dashes between digit groups are fine. */
export function normalizeReleaseCode(input: string): string | null {
  const code = input.replace(/[\s-]/g, '');
  return CODE.test(code) ? code : null;
}

function codeMatches(keyring: ReleaseKeyring, authorization: ReleaseAuthorization, code: string): boolean {
  const key = findKey(keyring, authorization.keyId);
  if (!key) throw new ReleaseConfigError(`release key ${authorization.keyId} (of authorization ${authorization.id}) is not in the keyring`);
  const expected = Buffer.from(authorization.codeHash, 'hex');
  const actual = codeMac(key, authorization.id, code);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

// ---------------------------------------------------------------------------------------------------------------------
// QR tokens

const TOKEN_PREFIX = 'ipr1';

export interface QrTokenClaims {
  authorizationId: string;
  shipmentId: string;
  expiresAt: Date;
  keyId: string;
}

export type QrTokenCheck = { ok: true; claims: QrTokenClaims } | { ok: false; reason: 'MALFORMED' | 'UNKNOWN_KEY' | 'BAD_SIGNATURE' | 'EXPIRED' };

function tokenMac(key: ReleaseKey, signingInput: string): Buffer {
  return createHmac('sha256', derive(key).token).update(signingInput).digest();
}

export function signQrToken(keyring: ReleaseKeyring, claims: Omit<QrTokenClaims, 'keyId'>): string {
  const payload = Buffer.from(
    JSON.stringify({ a: claims.authorizationId, s: claims.shipmentId, e: Math.floor(claims.expiresAt.getTime() / 1000), k: keyring.current.id }),
    'utf8',
  ).toString('base64url');
  const signingInput = `${TOKEN_PREFIX}.${payload}`;
  return `${signingInput}.${tokenMac(keyring.current, signingInput).toString('base64url')}`;
}

/** Verifies MAC (constant time) and expiry. The key id is read before the MAC is checked only to pick the key. */
export function verifyQrToken(keyring: ReleaseKeyring, token: string, now: Date): QrTokenCheck {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX || token.length > 1024) return { ok: false, reason: 'MALFORMED' };
  const [, payload, mac] = parts as [string, string, string];
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'MALFORMED' };
  }
  if (raw === null || typeof raw !== 'object') return { ok: false, reason: 'MALFORMED' };
  const { a, s, e, k } = raw as Record<string, unknown>;
  if (typeof a !== 'string' || typeof s !== 'string' || typeof k !== 'string' || typeof e !== 'number' || !Number.isSafeInteger(e)) {
    return { ok: false, reason: 'MALFORMED' };
  }
  const key = findKey(keyring, k);
  if (!key) return { ok: false, reason: 'UNKNOWN_KEY' };
  const expected = tokenMac(key, `${TOKEN_PREFIX}.${payload}`);
  const presented = Buffer.from(mac, 'base64url');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, reason: 'BAD_SIGNATURE' };
  const expiresAt = new Date(e * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { ok: false, reason: 'EXPIRED' };
  return { ok: true, claims: { authorizationId: a, shipmentId: s, expiresAt, keyId: k } };
}

// ---------------------------------------------------------------------------------------------------------------------
// Issuing

export interface IssueReleaseInput {
  authorizationId: string;
  shipmentId: string;
  orderId: string;
  locationType: LocationType;
  now: Date;
  ttlSeconds?: number;
  keyring: ReleaseKeyring;
}

export interface IssuedRelease {
  /** To store. */
  authorization: ReleaseAuthorization;
  /** To send to the consumer once; never stored or logged. */
  code: string;
  qrToken: string;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function issueReleaseAuthorization(input: IssueReleaseInput, generateCode: () => string = generateReleaseCode): IssuedRelease {
  for (const field of ['authorizationId', 'shipmentId', 'orderId'] as const) {
    if (!ID.test(input[field])) throw new RangeError(`${field}: "${input[field]}" is not an id`);
  }
  if (!LOCATION_TYPES.includes(input.locationType)) throw new RangeError(`locationType must be one of ${LOCATION_TYPES.join(', ')}`);
  const ttl = input.ttlSeconds ?? DEFAULT_RELEASE_TTL_SECONDS;
  if (!Number.isSafeInteger(ttl) || ttl <= 0 || ttl > MAX_TTL_SECONDS) throw new RangeError(`ttlSeconds must be 1 to ${MAX_TTL_SECONDS}`);
  assertReleaseKeyring(input.keyring);

  const code = generateCode();
  const { codeHash, keyId } = hashReleaseCode(input.keyring, input.authorizationId, code);
  // Whole seconds: the token carries Unix seconds and must expire exactly when the row does.
  const expiresAt = new Date((Math.floor(input.now.getTime() / 1000) + ttl) * 1000);
  const authorization: ReleaseAuthorization = {
    id: input.authorizationId,
    shipmentId: input.shipmentId,
    orderId: input.orderId,
    locationType: input.locationType,
    codeHash,
    keyId,
    createdAt: input.now,
    expiresAt,
    status: 'ACTIVE',
    failedAttempts: 0,
    version: 0,
    releasedAt: null,
    releaseMethod: null,
  };
  const qrToken = signQrToken(input.keyring, { authorizationId: authorization.id, shipmentId: authorization.shipmentId, expiresAt });
  return { authorization, code, qrToken };
}

// ---------------------------------------------------------------------------------------------------------------------
// Deciding

export type ReleaseCredential = { kind: 'CODE'; code: string } | { kind: 'QR'; token: string };

export interface ReleaseActor {
  carrierCode: string;
  /** Driver, pickup-point clerk or locker id as the carrier identifies it. */
  agentId: string | null;
  locationId: string | null;
}

export interface ReleaseAttempt {
  shipmentId: string;
  locationType: LocationType;
  credential: ReleaseCredential;
  actor: ReleaseActor;
}

export type RefusalReason =
  | 'ALREADY_RELEASED'
  | 'REVOKED'
  | 'LOCKED_OUT'
  | 'SHIPMENT_MISMATCH'
  | 'EXPIRED'
  | 'LOCATION_MISMATCH'
  | 'PAYMENT_NOT_CONFIRMED'
  | 'ORDER_CANCELLED'
  | 'MALFORMED_CODE'
  | 'WRONG_CODE'
  | 'INVALID_TOKEN';

/** The row change to apply with compare-and-set: `UPDATE … SET <set> WHERE id = <id> AND version = <expectedVersion>`. */
export interface AuthorizationUpdate {
  id: string;
  expectedVersion: number;
  set: Pick<ReleaseAuthorization, 'status' | 'failedAttempts' | 'version' | 'releasedAt' | 'releaseMethod'>;
}

export interface ReleaseAuditFact {
  type: 'release.authorized' | 'release.refused';
  at: Date;
  authorizationId: string;
  shipmentId: string;
  orderId: string;
  attemptedShipmentId: string;
  locationType: LocationType;
  attemptedLocationType: LocationType;
  credentialKind: ReleaseCredential['kind'];
  actor: ReleaseActor;
  paymentState: ReleasePayment['state'];
  outcome: 'AUTHORIZED' | 'REFUSED';
  reason: RefusalReason | null;
  method: ReleaseMethod | null;
  /** After this attempt. */
  failedAttempts: number;
  lockedOut: boolean;
}

export type ReleaseDecision =
  | { outcome: 'AUTHORIZED'; method: ReleaseMethod; update: AuthorizationUpdate; audit: ReleaseAuditFact }
  | {
      outcome: 'REFUSED';
      reason: RefusalReason;
      message: string;
      attemptsRemaining: number;
      /** Null when the refusal changes nothing (the audit fact is still recorded). */
      update: AuthorizationUpdate | null;
      audit: ReleaseAuditFact;
    };

export interface DecideReleaseInput {
  authorization: ReleaseAuthorization;
  attempt: ReleaseAttempt;
  /** The order's payment state, read in the same transaction. */
  payment: ReleasePayment;
  /** Commerce cancelled the order (its authorization is normally revoked by then; checked again here). */
  orderCancelled?: boolean;
  now: Date;
  keyring: ReleaseKeyring;
  policy?: ReleasePolicy;
}

/**
 * Decides one release attempt. Checks, in this order (earlier refusals reveal nothing about the code and burn no
 * attempt): already released, revoked, locked out, shipment, expiry, location type, order cancelled, order fully paid, then the code
 * (a wrong one is counted and the limit locks) or the QR token (a forged or garbled one is refused but not counted:
 * a MAC cannot be guessed, and a camera misread must not lock the consumer out).
 */
export function decideRelease(input: DecideReleaseInput): ReleaseDecision {
  const { authorization: auth, attempt, payment, now, keyring } = input;
  const policy = input.policy ?? DEFAULT_RELEASE_POLICY;
  if (!Number.isSafeInteger(policy.maxFailedAttempts) || policy.maxFailedAttempts < 1)
    throw new ReleaseConfigError('maxFailedAttempts must be a positive integer');

  const remaining = (failed: number): number => Math.max(0, policy.maxFailedAttempts - failed);
  const audit = (
    outcome: 'AUTHORIZED' | 'REFUSED',
    reason: RefusalReason | null,
    method: ReleaseMethod | null,
    failedAttempts: number,
    lockedOut: boolean,
  ): ReleaseAuditFact => ({
    type: outcome === 'AUTHORIZED' ? 'release.authorized' : 'release.refused',
    at: now,
    authorizationId: auth.id,
    shipmentId: auth.shipmentId,
    orderId: auth.orderId,
    attemptedShipmentId: attempt.shipmentId,
    locationType: auth.locationType,
    attemptedLocationType: attempt.locationType,
    credentialKind: attempt.credential.kind,
    actor: attempt.actor,
    paymentState: payment.state,
    outcome,
    reason,
    method,
    failedAttempts,
    lockedOut,
  });
  const refuse = (reason: RefusalReason, message: string): ReleaseDecision => ({
    outcome: 'REFUSED',
    reason,
    message,
    attemptsRemaining: auth.status === 'ACTIVE' ? remaining(auth.failedAttempts) : 0,
    update: null,
    audit: audit('REFUSED', reason, null, auth.failedAttempts, auth.status === 'LOCKED' || auth.failedAttempts >= policy.maxFailedAttempts),
  });

  if (auth.status === 'RELEASED') return refuse('ALREADY_RELEASED', `the parcel was already released (${auth.releaseMethod ?? 'unknown method'})`);
  if (auth.status === 'REVOKED') return refuse('REVOKED', 'the release authorization was revoked');
  if (auth.status === 'LOCKED' || auth.failedAttempts >= policy.maxFailedAttempts) {
    return refuse('LOCKED_OUT', `locked after ${auth.failedAttempts} wrong codes; a new authorization must be issued`);
  }
  if (attempt.shipmentId !== auth.shipmentId) return refuse('SHIPMENT_MISMATCH', 'the authorization is for another shipment');
  if (now.getTime() >= auth.expiresAt.getTime()) return refuse('EXPIRED', `the release authorization expired at ${auth.expiresAt.toISOString()}`);
  if (attempt.locationType !== auth.locationType) {
    return refuse('LOCATION_MISMATCH', `the parcel is to be released at a ${auth.locationType}, not at a ${attempt.locationType}`);
  }
  if (input.orderCancelled) return refuse('ORDER_CANCELLED', 'the order was cancelled; the parcel goes back to the sender');
  if (!payment.fullyPaid)
    return refuse('PAYMENT_NOT_CONFIRMED', `the order's payment is ${payment.state}; a parcel is released only once the order is fully paid`);

  const credential = attempt.credential;
  if (credential.kind === 'CODE') {
    const code = normalizeReleaseCode(credential.code);
    if (code === null) return refuse('MALFORMED_CODE', 'a release code is 6 digits');
    if (!codeMatches(keyring, auth, code)) {
      const failedAttempts = auth.failedAttempts + 1;
      const lockedOut = failedAttempts >= policy.maxFailedAttempts;
      return {
        outcome: 'REFUSED',
        reason: 'WRONG_CODE',
        message: lockedOut ? 'wrong code; the authorization is now locked' : `wrong code; ${remaining(failedAttempts)} attempts left`,
        attemptsRemaining: remaining(failedAttempts),
        update: {
          id: auth.id,
          expectedVersion: auth.version,
          set: { status: lockedOut ? 'LOCKED' : 'ACTIVE', failedAttempts, version: auth.version + 1, releasedAt: null, releaseMethod: null },
        },
        audit: audit('REFUSED', 'WRONG_CODE', null, failedAttempts, lockedOut),
      };
    }
  } else {
    const check = verifyQrToken(keyring, credential.token, now);
    if (!check.ok) {
      if (check.reason === 'EXPIRED') return refuse('EXPIRED', 'the QR token has expired');
      return refuse('INVALID_TOKEN', `the QR token is not valid (${check.reason.toLowerCase().replace('_', ' ')})`);
    }
    if (check.claims.authorizationId !== auth.id || check.claims.shipmentId !== auth.shipmentId) {
      return refuse('INVALID_TOKEN', 'the QR token belongs to another release authorization');
    }
  }

  const method = RELEASE_METHODS[auth.locationType];
  return {
    outcome: 'AUTHORIZED',
    method,
    update: {
      id: auth.id,
      expectedVersion: auth.version,
      set: { status: 'RELEASED', failedAttempts: auth.failedAttempts, version: auth.version + 1, releasedAt: now, releaseMethod: method },
    },
    audit: audit('AUTHORIZED', null, method, auth.failedAttempts, false),
  };
}

/** Applies a decision's update to an in-memory row (what the DB does on a successful compare-and-set). */
export function applyAuthorizationUpdate(auth: ReleaseAuthorization, update: AuthorizationUpdate | null): ReleaseAuthorization {
  if (!update) return auth;
  if (update.id !== auth.id || update.expectedVersion !== auth.version) {
    throw new Error(`stale update for ${update.id}: expected version ${update.expectedVersion}, row is at ${auth.version}`);
  }
  return { ...auth, ...update.set };
}

// ---------------------------------------------------------------------------------------------------------------------
// Revoking and reissuing

export type RevocationReason = 'ORDER_CANCELLED' | 'PAYMENT_NOT_FULLY_PAID' | 'REISSUED';

/**
 * Whether an authorization must be revoked now: its order was cancelled, or its payment stopped being fully paid
 * (e.g. refunded before the hand-over). Only what can still lead to a hand-over is revoked: ACTIVE, LOCKED, or
 * verified (RELEASED) but not yet handed over.
 */
export function revocationFor(input: {
  status: AuthorizationStatus;
  handedOver: boolean;
  orderCancelled: boolean;
  fullyPaid: boolean;
}): RevocationReason | null {
  if (input.status === 'REVOKED' || input.handedOver) return null;
  if (input.orderCancelled) return 'ORDER_CANCELLED';
  if (!input.fullyPaid) return 'PAYMENT_NOT_FULLY_PAID';
  return null;
}

export interface ReissuePolicy {
  /** At most this many reissues of one shipment within `windowSeconds`. */
  maxReissues: number;
  windowSeconds: number;
}

export const DEFAULT_REISSUE_POLICY: ReissuePolicy = { maxReissues: 3, windowSeconds: 3600 };

export type ReissueRefusal =
  | { code: 'ORDER_CANCELLED'; message: string }
  | { code: 'PAYMENT_NOT_FULLY_PAID'; message: string }
  | { code: 'RELEASE_ALREADY_AUTHORIZED'; message: string }
  | { code: 'REISSUE_RATE_LIMITED'; message: string; retryAfterSeconds: number };

/**
 * Whether a shipment's release code may be reissued (a new code, the old one revoked): only while the order is
 * not cancelled and stays fully paid, never once the code was verified or the parcel handed over, and at most
 * `maxReissues` times per window (`recentReissues`: creation times of the reissued authorizations of the shipment).
 */
export function decideReissue(input: {
  current: { status: AuthorizationStatus; handedOver: boolean } | null;
  orderCancelled: boolean;
  payment: ReleasePayment;
  recentReissues: readonly Date[];
  now: Date;
  policy?: ReissuePolicy;
}): { ok: true } | ({ ok: false } & ReissueRefusal) {
  const policy = input.policy ?? DEFAULT_REISSUE_POLICY;
  if (input.orderCancelled) return { ok: false, code: 'ORDER_CANCELLED', message: 'the order was cancelled; no release code is issued' };
  if (input.current && (input.current.status === 'RELEASED' || input.current.handedOver)) {
    return { ok: false, code: 'RELEASE_ALREADY_AUTHORIZED', message: 'the release was already verified; a new code would release twice' };
  }
  if (!input.payment.fullyPaid)
    return {
      ok: false,
      code: 'PAYMENT_NOT_FULLY_PAID',
      message: `the order's payment is ${input.payment.state}; a release code is issued only while it is fully paid`,
    };
  const windowStart = input.now.getTime() - policy.windowSeconds * 1000;
  const inWindow = input.recentReissues.filter((at) => at.getTime() > windowStart).sort((a, b) => a.getTime() - b.getTime());
  if (inWindow.length >= policy.maxReissues) {
    const oldest = inWindow[inWindow.length - policy.maxReissues]!;
    const retryAfterSeconds = Math.max(1, Math.ceil((oldest.getTime() + policy.windowSeconds * 1000 - input.now.getTime()) / 1000));
    return {
      ok: false,
      code: 'REISSUE_RATE_LIMITED',
      message: `at most ${policy.maxReissues} reissues per shipment in ${policy.windowSeconds / 60} minutes; try again in ${retryAfterSeconds} s`,
      retryAfterSeconds,
    };
  }
  return { ok: true };
}
