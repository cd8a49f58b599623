import type { DataScope, Principal } from '@ipay/platform';
import type { ApiKeyOwnerKind } from './access.ts';

/** How credentials become principals (pure); reading keys, sessions and roles is app/principals.ts. */

/** A refusal is UNAUTHENTICATED (the credential is not valid) unless it says MERCHANT_NOT_ACTIVE (valid, but its merchant may not use live access). */
export type AuthenticationResult = { ok: true; principal: Principal } | { ok: false; reason: string; code: 'UNAUTHENTICATED' | 'MERCHANT_NOT_ACTIVE' };

export const refuse = (reason: string, code: 'UNAUTHENTICATED' | 'MERCHANT_NOT_ACTIVE' = 'UNAUTHENTICATED'): AuthenticationResult => ({
  ok: false,
  reason,
  code,
});

/** Whether a key may be used now: not revoked, not past its (possibly grace-period) expiry. */
export function apiKeyUsable(key: { revokedAt: Date | null; expiresAt: Date | null }, now = new Date()): string | null {
  if (key.revokedAt) return 'API key has been revoked';
  if (key.expiresAt && key.expiresAt <= now) return 'API key has expired';
  return null;
}

/**
 * What kind of principal a key makes and how far it may reach whatever its roles: a merchant's key its merchant, a
 * carrier's key only that carrier's shipments, platform and other partner keys all data.
 */
export function keyPrincipalShape(
  key: { ownerKind: ApiKeyOwnerKind; merchantId: string | null },
  partner: { kind: string; carrierCode: string | null } | undefined,
): { kind: Principal['kind']; bound: DataScope } {
  if (key.ownerKind === 'MERCHANT') return { kind: 'api_key', bound: { kind: 'MERCHANTS', merchantIds: [key.merchantId!] } };
  if (key.ownerKind === 'PARTNER') {
    return {
      kind: 'partner',
      bound: partner?.kind === 'CARRIER' ? { kind: 'CARRIERS', carrierCodes: partner.carrierCode ? [partner.carrierCode] : [] } : { kind: 'ALL' },
    };
  }
  return { kind: 'operator', bound: { kind: 'ALL' } };
}
