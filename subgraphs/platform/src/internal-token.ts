import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Principal } from './auth/principal.ts';

/**
 * Subgraphs accept only requests that came through the gateway: the gateway signs a short-lived
 * token per request (HS256 with a shared secret) and every subgraph verifies it before executing.
 */
export const INTERNAL_TOKEN_HEADER = 'x-ipay-internal-token';
export const REQUEST_ID_HEADER = 'x-request-id';

const ISSUER = 'ipay-gateway';
const AUDIENCE = 'ipay-subgraph';
const LIFETIME_SECONDS = 60;

export interface InternalClaims {
  requestId: string;
  /** The caller the gateway verified; null for anonymous requests (e.g. exchanging an API key for a token). */
  principal: Principal | null;
  /** The client's address as the gateway saw it, for the audit trail. */
  sourceIp: string | null;
}

const keyCache = new Map<string, Uint8Array>();
function key(secret: string): Uint8Array {
  let k = keyCache.get(secret);
  if (!k) keyCache.set(secret, (k = new TextEncoder().encode(secret)));
  return k;
}

export async function signInternalToken(secret: string, claims: InternalClaims): Promise<string> {
  return new SignJWT({ rid: claims.requestId, prn: claims.principal, ip: claims.sourceIp })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${LIFETIME_SECONDS}s`)
    .sign(key(secret));
}

export class InternalTokenError extends Error {}

export async function verifyInternalToken(secret: string, token: string | undefined): Promise<InternalClaims> {
  if (!token) throw new InternalTokenError(`missing ${INTERNAL_TOKEN_HEADER}: subgraphs only accept requests through the gateway`);
  try {
    const { payload } = await jwtVerify(token, key(secret), { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
    if (typeof payload.rid !== 'string') throw new InternalTokenError('internal token has no request id');
    return { requestId: payload.rid, principal: (payload.prn as Principal | null) ?? null, sourceIp: typeof payload.ip === 'string' ? payload.ip : null };
  } catch (error) {
    if (error instanceof InternalTokenError) throw error;
    const reason = error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid';
    throw new InternalTokenError(`${reason} ${INTERNAL_TOKEN_HEADER}: subgraphs only accept requests through the gateway`);
  }
}
