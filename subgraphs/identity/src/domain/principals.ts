import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Database, DataScope, Principal } from '@ipay/platform';
import { apiKeys, partners, roleAssignments, roles, sessions, users, type ApiKeyRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { apiKeyMatches, parseApiKey } from './api-keys.ts';
import { assignmentScope, effectiveGrants } from './grants.ts';
import { resolveConsumerCredential } from '../consumer/access.ts';

type Db = Database<typeof schema>;

export type AuthenticationResult = { ok: true; principal: Principal } | { ok: false; reason: string };

const refuse = (reason: string): AuthenticationResult => ({ ok: false, reason });

/** Whether a key may be used now: not revoked, not past its (possibly grace-period) expiry. */
export function apiKeyUsable(key: Pick<ApiKeyRow, 'revokedAt' | 'expiresAt'>, now = new Date()): string | null {
  if (key.revokedAt) return 'API key has been revoked';
  if (key.expiresAt && key.expiresAt <= now) return 'API key has expired';
  return null;
}

async function rolesOf(db: Db, granteeKind: 'USER' | 'API_KEY', granteeId: string) {
  return db
    .select({ permissions: roles.permissions, scopeKind: roleAssignments.scopeKind, merchantIds: roleAssignments.merchantIds, carrierCodes: roleAssignments.carrierCodes })
    .from(roleAssignments)
    .innerJoin(roles, eq(roles.id, roleAssignments.roleId))
    .where(and(eq(roleAssignments.granteeKind, granteeKind), eq(roleAssignments.granteeId, granteeId), isNull(roleAssignments.revokedAt)));
}

async function principalOfKey(db: Db, key: ApiKeyRow): Promise<AuthenticationResult> {
  const unusable = apiKeyUsable(key);
  if (unusable) return refuse(unusable);
  let bound: DataScope = { kind: 'ALL' };
  let kind: Principal['kind'] = 'operator';
  if (key.ownerKind === 'MERCHANT') {
    bound = { kind: 'MERCHANTS', merchantIds: [key.merchantId!] };
    kind = 'api_key';
  } else if (key.ownerKind === 'PARTNER') {
    kind = 'partner';
    const [partner] = await db.select().from(partners).where(eq(partners.id, key.partnerId!));
    // A carrier's key reaches only that carrier's shipments, whatever roles it is given.
    if (partner?.kind === 'CARRIER') bound = { kind: 'CARRIERS', carrierCodes: partner.carrierCode ? [partner.carrierCode] : [] };
  }
  const held = (await rolesOf(db, 'API_KEY', key.id)).map((r) => ({ permissions: r.permissions, scope: assignmentScope(r) }));
  return {
    ok: true,
    principal: { kind, id: key.id, credentialId: key.id, livemode: key.livemode, grants: effectiveGrants(held, bound, key.ownerKind === 'PLATFORM'), displayName: key.name },
  };
}

/** `Authorization: Bearer ipk_…`: finds the key by its prefix and compares the HMAC in constant time. */
export async function authenticateApiKey(db: Db, presented: string, pepper: string): Promise<AuthenticationResult> {
  const parsed = parseApiKey(presented);
  if (!parsed) return refuse('malformed API key');
  const [key] = await db.select().from(apiKeys).where(eq(apiKeys.prefix, parsed.prefix));
  if (!key || !apiKeyMatches(presented, key.secretHash, pepper)) return refuse('unknown API key');
  const result = await principalOfKey(db, key);
  // Last use is kept to the minute: one write per key per minute, not per request.
  if (result.ok && (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > 60_000)) {
    await db.update(apiKeys).set({ lastUsedAt: new Date() }).where(eq(apiKeys.id, key.id));
  }
  return result;
}

/** The principal behind a verified access token; refused when its credential was revoked since. */
export async function resolveCredential(db: Db, credentialKind: string, credentialId: string): Promise<AuthenticationResult> {
  if (credentialKind === 'api_key') {
    const [key] = await db.select().from(apiKeys).where(eq(apiKeys.id, credentialId));
    return key ? principalOfKey(db, key) : refuse('credential no longer exists');
  }
  if (credentialKind === 'session') {
    const [row] = await db.select({ session: sessions, user: users }).from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(eq(sessions.id, credentialId));
    if (!row) return refuse('session no longer exists');
    if (row.session.revokedAt) return refuse('session has been revoked (logged out)');
    if (row.session.expiresAt <= new Date()) return refuse('session has expired');
    if (row.user.disabledAt) return refuse('user is disabled');
    const held = (await rolesOf(db, 'USER', row.user.id)).map((r) => ({ permissions: r.permissions, scope: assignmentScope(r) }));
    return {
      ok: true,
      principal: {
        kind: row.user.isOperator ? 'operator' : 'user',
        id: row.user.id,
        credentialId: row.session.id,
        livemode: row.session.livemode,
        grants: effectiveGrants(held, { kind: 'ALL' }, row.user.isOperator),
        displayName: row.user.name,
      },
    };
  }
  if (credentialKind === 'consumer') return resolveConsumerCredential(db, credentialId);
  return refuse('unknown credential kind');
}

export async function rolesByIds(db: Db, ids: readonly string[]) {
  return ids.length ? db.select().from(roles).where(inArray(roles.id, [...ids])) : [];
}
