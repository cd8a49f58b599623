import { readBody, sendJson, type Database, type RouteHandler } from '@ipay/platform';
import type * as schema from '../db/schema.ts';
import { authenticateApiKey, resolveCredential } from '../app/principals.ts';
import type { IdentityServices } from '../app/services.ts';

/**
 * `/.well-known/jwks.json`: the public keys access tokens are signed with (the gateway verifies against them).
 * `/internal/authenticate`: the gateway asks who an API key or a verified token's credential is, and whether it
 * is still valid (revocation, expiry, rotation grace); only the gateway may call it.
 */
export function routes({ db, services }: { db: Database<typeof schema>; services: IdentityServices }): Record<string, RouteHandler> {
  return {
    '/.well-known/jwks.json': ({ res }) => sendJson(res, 200, services.tokens.jwks(), { 'cache-control': 'public, max-age=300' }),
    '/internal/authenticate': async ({ req, res }) => {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'POST only' });
      let body: { apiKey?: unknown; credentialKind?: unknown; credentialId?: unknown };
      try {
        body = JSON.parse(await readBody(req, 16 * 1024));
      } catch {
        return sendJson(res, 400, { error: 'body must be JSON' });
      }
      const result =
        typeof body.apiKey === 'string'
          ? await authenticateApiKey(db, body.apiKey, services.apiKeyPepper)
          : typeof body.credentialKind === 'string' && typeof body.credentialId === 'string'
            ? await resolveCredential(db, body.credentialKind, body.credentialId)
            : { ok: false as const, reason: 'send apiKey, or credentialKind and credentialId', code: 'UNAUTHENTICATED' as const };
      // 401: the credential is not valid; 403 MERCHANT_NOT_ACTIVE: it is, but its merchant may not use live access now.
      if (result.ok) return sendJson(res, 200, { principal: result.principal });
      sendJson(res, result.code === 'MERCHANT_NOT_ACTIVE' ? 403 : 401, { error: result.reason, code: result.code });
    },
  };
}
