import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Database } from '@ipay/platform';
import { apiKeys, merchants, partners, roleAssignments, roles, sessions, users, type ApiKeyRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { apiKeyMatches, parseApiKey } from '../domain/api-keys.ts';
import { assignmentScope, effectiveGrants, type HeldRole } from '../domain/grants.ts';
import { liveReach, mayHoldLiveCredentials } from '../domain/onboarding.ts';
import { resolveConsumerCredential } from './consumer-access.ts';
import { apiKeyUsable, keyPrincipalShape, refuse, type AuthenticationResult } from '../domain/principals.ts';

export { apiKeyUsable, type AuthenticationResult } from '../domain/principals.ts';

type Db = Database<typeof schema>;

/** Onboarding status of each merchant, read on every resolution (the gateway reuses a principal for at most AUTH_CACHE_TTL_MS). */
async function onboardingStatuses(db: Db, merchantIds: readonly string[]) {
  if (merchantIds.length === 0) return new Map<string, (typeof merchants.$inferSelect)['onboardingStatus']>();
  const rows = await db
    .select({ id: merchants.id, status: merchants.onboardingStatus })
    .from(merchants)
    .where(inArray(merchants.id, [...merchantIds]));
  return new Map(rows.map((r) => [r.id, r.status]));
}

/**
 * Live access of a user: roles on merchants that are not ACTIVE are dropped; a user left with no live reach at all
 * (only roles on suspended, closed or unapproved merchants) is refused. Platform staff (roles over ALL data) keep theirs.
 */
export async function liveRolesOfUser(db: Db, held: readonly HeldRole[]): Promise<{ ok: true; held: HeldRole[] } | { ok: false; reason: string }> {
  const merchantIds = [...new Set(held.flatMap((r) => (r.scope.kind === 'MERCHANTS' ? r.scope.merchantIds : [])))];
  return liveReach(held, await onboardingStatuses(db, merchantIds));
}

async function rolesOf(db: Db, granteeKind: 'USER' | 'API_KEY', granteeId: string) {
  return db
    .select({
      permissions: roles.permissions,
      scopeKind: roleAssignments.scopeKind,
      merchantIds: roleAssignments.merchantIds,
      carrierCodes: roleAssignments.carrierCodes,
    })
    .from(roleAssignments)
    .innerJoin(roles, eq(roles.id, roleAssignments.roleId))
    .where(and(eq(roleAssignments.granteeKind, granteeKind), eq(roleAssignments.granteeId, granteeId), isNull(roleAssignments.revokedAt)));
}

async function principalOfKey(db: Db, key: ApiKeyRow): Promise<AuthenticationResult> {
  const unusable = apiKeyUsable(key);
  if (unusable) return refuse(unusable);
  // Live keys of a merchant work only while it is ACTIVE; sandbox keys do not depend on onboarding (test mode moves no money).
  if (key.livemode && key.ownerKind === 'MERCHANT') {
    const status = (await onboardingStatuses(db, [key.merchantId!])).get(key.merchantId!);
    if (!status || !mayHoldLiveCredentials(status))
      return refuse(`merchant ${key.merchantId} is ${status ?? 'unknown'}: live access needs an ACTIVE merchant`, 'MERCHANT_NOT_ACTIVE');
  }
  const [partner] = key.ownerKind === 'PARTNER' ? await db.select().from(partners).where(eq(partners.id, key.partnerId!)) : [];
  const { kind, bound } = keyPrincipalShape(key, partner);
  const held = (await rolesOf(db, 'API_KEY', key.id)).map((r) => ({ permissions: r.permissions, scope: assignmentScope(r) }));
  return {
    ok: true,
    principal: {
      kind,
      id: key.id,
      credentialId: key.id,
      livemode: key.livemode,
      grants: effectiveGrants(held, bound, key.ownerKind === 'PLATFORM'),
      displayName: key.name,
    },
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
    const [row] = await db
      .select({ session: sessions, user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.id, credentialId));
    if (!row) return refuse('session no longer exists');
    if (row.session.revokedAt) return refuse('session has been revoked (logged out)');
    if (row.session.expiresAt <= new Date()) return refuse('session has expired');
    if (row.user.disabledAt) return refuse('user is disabled');
    let held: HeldRole[] = (await rolesOf(db, 'USER', row.user.id)).map((r) => ({ permissions: r.permissions, scope: assignmentScope(r) }));
    if (row.session.livemode) {
      const live = await liveRolesOfUser(db, held);
      if (!live.ok) return refuse(live.reason, 'MERCHANT_NOT_ACTIVE');
      held = live.held;
    }
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
  if (credentialKind === 'consumer') {
    const consumer = await resolveConsumerCredential(db, credentialId);
    return consumer.ok ? consumer : refuse(consumer.reason);
  }
  return refuse('unknown credential kind');
}

/** The roles a user holds (for `login`, which checks live reach before opening a session). */
export async function heldRolesOfUser(db: Db, userId: string): Promise<HeldRole[]> {
  return (await rolesOf(db, 'USER', userId)).map((r) => ({ permissions: r.permissions, scope: assignmentScope(r) }));
}

export async function rolesByIds(db: Db, ids: readonly string[]) {
  return ids.length
    ? db
        .select()
        .from(roles)
        .where(inArray(roles.id, [...ids]))
    : [];
}
