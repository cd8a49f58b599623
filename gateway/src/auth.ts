import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import {
  ACCESS_TOKEN_AUDIENCE as TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER as TOKEN_ISSUER,
  INTERNAL_TOKEN_HEADER,
  signInternalToken,
  type Logger,
  type Principal,
} from '@ipay/platform';

/** The longest access-token lifetime (exp − iat) the gateway accepts; identity issues 900 s by default. */
export const MAX_ACCESS_TOKEN_LIFETIME_SECONDS = Number(process.env.ACCESS_TOKEN_MAX_LIFETIME_SECONDS ?? 3600);
/**
 * Consumer tokens reach one order and are handed to a shopper for the whole delivery (identity caps them at 30 days);
 * identity re-checks their revocation on every resolution, so the gateway bounds them by that cap instead.
 */
export const MAX_CONSUMER_TOKEN_LIFETIME_SECONDS = 30 * 86_400;

const unavailable = () => new GraphQLError('authentication is temporarily unavailable', { extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } } });

const unauthenticated = (message: string) => new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

export interface AuthenticatorOptions {
  /** Identity's GraphQL URL; its JWKS and internal authentication endpoint live next to it. */
  identityUrl: string;
  internalSecret: string;
  /**
   * How long a resolved principal is reused. Revoking a key or logging out takes effect within this bound
   * (default 1 s); 0 asks identity on every request.
   */
  cacheTtlMs?: number;
  logger: Logger;
}

/**
 * Turns `Authorization: Bearer …` into a verified principal. Access tokens (ES256 JWTs) are checked here
 * against identity's JWKS (signature, expiry, issuer, audience); identity then confirms the credential behind
 * them is still valid (revocation, rotation grace) and says what it may do. API keys go straight to identity.
 * Nothing a client sends is trusted as a principal.
 */
export class Authenticator {
  private readonly jwks;
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  private readonly ttl: number;

  constructor(private readonly options: AuthenticatorOptions) {
    this.jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', options.identityUrl), { cooldownDuration: 5_000, cacheMaxAge: 300_000 });
    this.ttl = options.cacheTtlMs ?? Number(process.env.AUTH_CACHE_TTL_MS ?? 1000);
  }

  async authenticate(authorization: string | undefined, requestId: string): Promise<Principal | null> {
    if (!authorization) return null;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw unauthenticated('malformed Authorization header: expected "Bearer <token or API key>"');
    const credential = match[1]!;
    if (credential.startsWith('ipk_')) {
      return this.resolve(`key:${createHash('sha256').update(credential).digest('hex')}`, { apiKey: credential }, requestId);
    }
    const claims = await this.verifyToken(credential);
    return this.resolve(`cred:${claims.ckd}:${claims.cid}`, { credentialKind: claims.ckd, credentialId: claims.cid }, requestId);
  }

  private async verifyToken(token: string): Promise<{ ckd: string; cid: string }> {
    try {
      const { payload } = await jwtVerify(token, this.jwks, {
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        algorithms: ['ES256'],
        // A token without an expiry would be valid forever; one with a long lifetime is a stolen credential's friend.
        requiredClaims: ['exp', 'iat'],
        maxTokenAge: Math.max(MAX_ACCESS_TOKEN_LIFETIME_SECONDS, MAX_CONSUMER_TOKEN_LIFETIME_SECONDS),
      });
      const lifetime = (payload.exp as number) - (payload.iat as number);
      const maxLifetime = payload.ckd === 'consumer' ? MAX_CONSUMER_TOKEN_LIFETIME_SECONDS : MAX_ACCESS_TOKEN_LIFETIME_SECONDS;
      if (payload.ckd !== 'consumer' && (payload.iat as number) < Date.now() / 1000 - MAX_ACCESS_TOKEN_LIFETIME_SECONDS)
        throw unauthenticated('access token is too old');
      if (!(lifetime > 0 && lifetime <= maxLifetime)) throw unauthenticated(`access token lifetime must be at most ${maxLifetime} s`);
      if ((payload.iat as number) > Date.now() / 1000 + 60) throw unauthenticated('access token iat is in the future');
      if (typeof payload.ckd !== 'string' || typeof payload.cid !== 'string') throw unauthenticated('access token lacks its credential');
      return { ckd: payload.ckd, cid: payload.cid };
    } catch (error) {
      if (error instanceof GraphQLError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw unauthenticated('access token has expired');
      if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) {
        throw unauthenticated('access token signature is not valid');
      }
      if (error instanceof joseErrors.JWTClaimValidationFailed) throw unauthenticated(`access token ${error.claim} is not valid`);
      // Identity's key set cannot be fetched: the caller's credential may be fine, so 503, not 401.
      if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
        this.options.logger.error({ err: error }, 'cannot verify access tokens (JWKS unreachable)');
        throw unavailable();
      }
      if (error instanceof joseErrors.JOSEError) throw unauthenticated('malformed access token');
      this.options.logger.error({ err: error }, 'cannot verify access tokens (JWKS unreachable?)');
      throw unavailable();
    }
  }

  private async resolve(cacheKey: string, body: Record<string, string>, requestId: string): Promise<Principal> {
    const cached = this.cache.get(cacheKey);
    if (cached && cached.until > Date.now()) return cached.principal;
    let response: Response;
    try {
      response = await fetch(new URL('/internal/authenticate', this.options.identityUrl), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-request-id': requestId,
          [INTERNAL_TOKEN_HEADER]: await signInternalToken(this.options.internalSecret, { requestId, principal: null, sourceIp: null }),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5_000),
      });
    } catch (error) {
      this.options.logger.error({ err: error }, 'identity is unreachable for authentication');
      throw unavailable();
    }
    // Identity answering but unwell (its database down, overloaded) says nothing about the credential: 503.
    if (response.status >= 500 || response.status === 429) {
      this.options.logger.error({ status: response.status }, 'identity cannot authenticate right now');
      throw unavailable();
    }
    let result: { principal?: Principal; error?: string; code?: string };
    try {
      result = (await response.json()) as { principal?: Principal; error?: string; code?: string };
    } catch {
      throw unavailable();
    }
    // A valid credential whose merchant is suspended or closed: 403 MERCHANT_NOT_ACTIVE (identity checks it on every resolution).
    if (response.status === 403 && result.code === 'MERCHANT_NOT_ACTIVE')
      throw new GraphQLError(result.error ?? 'merchant not active', { extensions: { code: result.code, http: { status: 403 } } });
    if (response.status === 401 || !result.principal) throw unauthenticated(result.error ?? 'credential refused');
    if (this.ttl > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(cacheKey, { principal: result.principal, until: Date.now() + this.ttl });
    }
    return result.principal;
  }
}
