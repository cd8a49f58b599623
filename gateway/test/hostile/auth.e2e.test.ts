import { SignJWT, decodeJwt, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from '@ipay/platform';
import { SANDBOX_KEYS, bearer } from '../../../subgraphs/system/e2e/support.ts';
import { startHostileSystem, type HostileSystem } from './support.ts';

/** Forged, stripped and foreign access tokens, against an identity whose signing key the test holds. */
let system: HostileSystem;
let identityKey: CryptoKey;
let publicJwk: JWK;
let realClaims: Record<string, unknown>;
beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  identityKey = pair.privateKey as CryptoKey;
  publicJwk = await exportJWK(pair.publicKey);
  const privateJwk = { ...(await exportJWK(pair.privateKey)), kid: 'hostile-1' };
  system = await startHostileSystem({ subgraphConfig: { identity: { jwtPrivateJwk: privateJwk } }, authCacheTtlMs: 0 });
  const issued = await system.post({ query: 'mutation($k: String!) { issueToken(apiKey: $k) { accessToken } }', variables: { k: SANDBOX_KEYS.operator } }, {});
  realClaims = decodeJwt(issued.json.data.issueToken.accessToken);
});
afterAll(async () => {
  await system?.stop();
});
beforeEach(() => system.resetCalls());

const ORDERS = { query: '{ orders(first: 1) { edges { node { id } } } }' };

/** A token with the real credential's claims, signed by the real identity key unless told otherwise. */
async function token({
  exp = true,
  iat = true,
  lifetime = 600,
  alg = 'ES256',
  key,
  kid = 'hostile-1',
}: { exp?: boolean; iat?: boolean; lifetime?: number; alg?: string; key?: CryptoKey | Uint8Array; kid?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ckd: realClaims.ckd, cid: realClaims.cid, lvm: realClaims.lvm })
    .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
    .setIssuer(ACCESS_TOKEN_ISSUER)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setSubject(String(realClaims.sub));
  if (iat) jwt.setIssuedAt(now);
  if (exp) jwt.setExpirationTime(now + lifetime);
  return jwt.sign(key ?? identityKey);
}

async function unauthenticated(credential: string) {
  const { status, json } = await system.post(ORDERS, bearer(credential));
  expect({ status, code: json.errors[0].extensions.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
  expect(system.totalSubgraphCalls()).toBe(0);
}

describe('access tokens', () => {
  it('accepts a real token (exp and iat, 10 minutes)', async () => {
    const { status, json } = await system.post(ORDERS, bearer(await token()));
    expect(status).toBe(200);
    expect(json.data.orders.edges).toHaveLength(1);
  });

  it('refuses a token without exp, even signed by the real key', async () => {
    await unauthenticated(await token({ exp: false }));
  });

  it('refuses a token without iat', async () => {
    await unauthenticated(await token({ iat: false }));
  });

  it('refuses a token with a 30-day lifetime', async () => {
    await unauthenticated(await token({ lifetime: 30 * 24 * 3600 }));
  });

  it('refuses alg: none', async () => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    await unauthenticated(`${part({ alg: 'none', typ: 'at+jwt' })}.${part({ ...realClaims, iat: now, exp: now + 600 })}.`);
  });

  it('refuses a token signed by a foreign ES256 key under the real kid', async () => {
    const foreign = await generateKeyPair('ES256');
    await unauthenticated(await token({ key: foreign.privateKey as CryptoKey }));
  });

  it('refuses HS256 signed with the public key as the secret (algorithm confusion)', async () => {
    await unauthenticated(await token({ alg: 'HS256', key: new TextEncoder().encode(JSON.stringify(publicJwk)) }));
  });

  it('refuses a malformed Authorization header', async () => {
    const { status, json } = await system.post(ORDERS, { authorization: 'Basic b3BlcmF0b3I6c2VjcmV0' });
    expect({ status, code: json.errors[0].extensions.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(system.totalSubgraphCalls()).toBe(0);
  });

  it('refuses an unknown API key', async () => {
    const { status, json } = await system.post(ORDERS, bearer('ipk_test_doesnotexist_0000000000000000000000'));
    expect({ status, code: json.errors[0].extensions.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(system.subgraphCalls().commerce).toBe(0);
  });

  // Last: it stops identity.
  it('answers 503 SERVICE_UNAVAILABLE (not 401) when identity cannot be asked', async () => {
    const identity = system.subgraphs.identity.httpServer;
    await new Promise<void>((resolve) => {
      identity.close(() => resolve());
      identity.closeAllConnections();
    });
    const { status, json } = await system.post(ORDERS, bearer(SANDBOX_KEYS['acme-owner']!));
    expect({ status, code: json.errors[0].extensions.code }).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(system.subgraphCalls().commerce).toBe(0);
  });
});
