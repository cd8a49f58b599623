import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose';
import { randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_AUDIENCE as TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER as TOKEN_ISSUER, useDevelopmentSecret } from '@ipay/platform';

/** Access tokens: short-lived ES256 JWTs that the gateway verifies against identity's JWKS. */

export type CredentialKind = 'api_key' | 'session' | 'consumer';

export interface AccessTokenClaims {
  subject: string;
  credentialKind: CredentialKind;
  credentialId: string;
  livemode: boolean;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
  expiresIn: number;
}

export class TokenService {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK,
    readonly ttlSeconds: number,
  ) {}

  /**
   * Uses the configured private JWK (production: IDENTITY_JWT_PRIVATE_JWK) or, in development, a key pair made
   * at start (tokens then die with the process, which is fine for a sandbox).
   */
  static async create(options: { privateJwk?: JWK; ttlSeconds?: number; production?: boolean }): Promise<TokenService> {
    const ttl = options.ttlSeconds ?? 900;
    if (options.privateJwk) {
      const { d: _d, ...publicPart } = options.privateJwk;
      const key = (await importJWK({ ...options.privateJwk, alg: 'ES256' }, 'ES256')) as CryptoKey;
      return new TokenService(key, { ...publicPart, alg: 'ES256', use: 'sig', kid: options.privateJwk.kid ?? 'ipay-1' }, ttl);
    }
    if (options.production) throw new Error('IDENTITY_JWT_PRIVATE_JWK is required in production (IPAY_ENV)');
    useDevelopmentSecret('IDENTITY_JWT_PRIVATE_JWK');
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig', kid: `dev-${randomUUID().slice(0, 8)}` };
    return new TokenService(privateKey, publicJwk, ttl);
  }

  /** `ttlSeconds` overrides the access token lifetime (consumer tokens live as long as their grant). */
  async issue(claims: AccessTokenClaims, ttlSeconds = this.ttlSeconds): Promise<IssuedToken> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ ckd: claims.credentialKind, cid: claims.credentialId, lvm: claims.livemode })
      .setProtectedHeader({ alg: 'ES256', kid: this.publicJwk.kid, typ: 'at+jwt' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(claims.subject)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(this.privateKey);
    return { token, expiresAt: new Date((now + ttlSeconds) * 1000), expiresIn: ttlSeconds };
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }
}
