import { and, asc, eq, inArray, isNull, or } from 'drizzle-orm';
import {
  BUILT_IN_ROLES,
  badUserInput,
  forbidden,
  newId,
  notFound,
  unauthenticated,
  type Authorization,
  type DataScope,
  type Database,
  type Permission,
  type UnitOfWork,
} from '@ipay/platform';
import { apiKeys, merchants, partners, roleAssignments, roles, sessions, users, type ApiKeyRow, type RoleRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { generateApiKey, hashApiKey } from '../domain/api-keys.ts';
import { assignmentScope, BUILT_IN_ROLE_IDS } from '../domain/grants.ts';
import { hashPassword, verifyPassword } from '../domain/passwords.ts';
import type { NewApiKey } from '../domain/access.ts';
import {
  SESSION_LIFETIME_MS,
  assertMayGrant,
  assertMayHoldLive,
  assertRoleDefinition,
  assertRotationGrace,
  keyScope,
  parseNewApiKey,
  parseNewPartner,
  parseNewUser,
  scopeWithin,
} from '../domain/access.ts';

export type { NewApiKey } from '../domain/access.ts';
export { parseScopeInput, scopeWithin, assertMayGrant, SESSION_LIFETIME_MS } from '../domain/access.ts';

type Uow = UnitOfWork<typeof schema>;

const keyView = (k: ApiKeyRow) => ({
  name: k.name,
  prefix: k.prefix,
  livemode: k.livemode,
  ownerKind: k.ownerKind,
  merchantId: k.merchantId,
  partnerId: k.partnerId,
  expiresAt: k.expiresAt,
  revokedAt: k.revokedAt,
  replacedById: k.replacedById,
});

export async function findRole(uow: Uow, roleKey: string, merchantId: string | null | undefined): Promise<RoleRow> {
  const builtIn = BUILT_IN_ROLE_IDS[roleKey];
  const [role] = builtIn
    ? await uow.tx.select().from(roles).where(eq(roles.id, builtIn))
    : merchantId
      ? await uow.tx
          .select()
          .from(roles)
          .where(and(eq(roles.merchantId, merchantId), eq(roles.key, roleKey)))
      : [];
  if (!role) throw badUserInput('roleKey', `no role "${roleKey}"${merchantId ? ` for merchant ${merchantId}` : ''}`);
  return role;
}

export async function createApiKey(uow: Uow, auth: Authorization, input: NewApiKey, pepper: string): Promise<{ apiKey: ApiKeyRow; secret: string }> {
  const { name } = parseNewApiKey(input);
  // Sandbox and live never mix: a sandbox credential cannot mint live keys, nor the reverse.
  if (input.livemode !== auth.livemode)
    throw forbidden(`a ${auth.livemode ? 'live' : 'sandbox'} credential can only create ${auth.livemode ? 'live' : 'sandbox'} keys`);

  let ownerKind: ApiKeyRow['ownerKind'] = 'PLATFORM';
  let carrierCode: string | null = null;
  if (input.merchantId) {
    ownerKind = 'MERCHANT';
    auth.requireMerchant('api_keys:manage', input.merchantId);
    const [merchant] = await uow.tx.select().from(merchants).where(eq(merchants.id, input.merchantId));
    if (!merchant) throw notFound('Merchant', input.merchantId);
    if (input.livemode) assertMayHoldLive(merchant);
  } else {
    if (auth.require('api_keys:manage').kind !== 'ALL') throw forbidden('partner and platform keys need api_keys:manage over all data');
    if (input.partnerId) {
      ownerKind = 'PARTNER';
      const [partner] = await uow.tx.select().from(partners).where(eq(partners.id, input.partnerId));
      if (!partner) throw notFound('Partner', input.partnerId);
      carrierCode = partner.carrierCode;
    }
  }

  const scope = keyScope({ ownerKind, merchantId: input.merchantId ?? null }, carrierCode);
  const heldRoles = await Promise.all(input.roles.map((key) => findRole(uow, key, input.merchantId)));
  for (const role of heldRoles) assertMayGrant(auth, role.permissions, scope);

  const { key, prefix } = generateApiKey(input.livemode);
  const [row] = await uow.tx
    .insert(apiKeys)
    .values({
      id: newId('key'),
      ownerKind,
      merchantId: input.merchantId ?? null,
      partnerId: input.partnerId ?? null,
      name,
      livemode: input.livemode,
      prefix,
      secretHash: hashApiKey(key, pepper),
      expiresAt: input.expiresAt ?? null,
    })
    .returning();
  await uow.tx.insert(roleAssignments).values(heldRoles.map((role) => scopeRow(role.id, 'API_KEY', row!.id, scope)));
  uow.audit({
    action: 'api_key.create',
    entityType: 'ApiKey',
    entityId: row!.id,
    merchantId: row!.merchantId,
    after: { ...keyView(row!), roles: input.roles },
  });
  return { apiKey: row!, secret: key };
}

function scopeRow(roleId: string, granteeKind: 'USER' | 'API_KEY', granteeId: string, scope: DataScope) {
  if (scope.kind === 'ORDER') throw new Error('roles are never granted over one order');
  return {
    id: newId('ras'),
    roleId,
    granteeKind,
    granteeId,
    scopeKind: scope.kind,
    merchantIds: scope.kind === 'MERCHANTS' ? scope.merchantIds : [],
    carrierCodes: scope.kind === 'CARRIERS' ? scope.carrierCodes : [],
  };
}

async function manageableKey(uow: Uow, auth: Authorization, id: string): Promise<ApiKeyRow> {
  const [key] = await uow.tx.select().from(apiKeys).where(eq(apiKeys.id, id)).for('update');
  if (!key || key.livemode !== auth.livemode) throw notFound('ApiKey', id);
  if (key.merchantId) auth.requireMerchant('api_keys:manage', key.merchantId, 'ApiKey', id);
  else if (auth.require('api_keys:manage').kind !== 'ALL') throw notFound('ApiKey', id);
  return key;
}

/** A new secret for the same key holder and roles; the old secret works until the grace period ends. A live merchant key is rotated only while its merchant is ACTIVE. */
export async function rotateApiKey(uow: Uow, auth: Authorization, id: string, graceSeconds: number, pepper: string) {
  assertRotationGrace(graceSeconds);
  const old = await manageableKey(uow, auth, id);
  if (old.revokedAt || old.replacedById || (old.expiresAt && old.expiresAt <= new Date()))
    throw badUserInput('id', 'only an active key that was not rotated already can be rotated');
  if (old.livemode && old.merchantId) {
    const [merchant] = await uow.tx
      .select({ id: merchants.id, onboardingStatus: merchants.onboardingStatus })
      .from(merchants)
      .where(eq(merchants.id, old.merchantId));
    assertMayHoldLive(merchant ?? { id: old.merchantId, onboardingStatus: 'CLOSED' });
  }
  const { key, prefix } = generateApiKey(old.livemode);
  const [fresh] = await uow.tx
    .insert(apiKeys)
    .values({
      id: newId('key'),
      ownerKind: old.ownerKind,
      merchantId: old.merchantId,
      partnerId: old.partnerId,
      name: old.name,
      livemode: old.livemode,
      prefix,
      secretHash: hashApiKey(key, pepper),
      expiresAt: old.expiresAt,
    })
    .returning();
  const graceEnd = new Date(Date.now() + graceSeconds * 1000);
  const [retired] = await uow.tx
    .update(apiKeys)
    .set({ replacedById: fresh!.id, expiresAt: old.expiresAt && old.expiresAt < graceEnd ? old.expiresAt : graceEnd })
    .where(eq(apiKeys.id, old.id))
    .returning();
  const held = await uow.tx
    .select()
    .from(roleAssignments)
    .where(and(eq(roleAssignments.granteeKind, 'API_KEY'), eq(roleAssignments.granteeId, old.id), isNull(roleAssignments.revokedAt)));
  if (held.length) await uow.tx.insert(roleAssignments).values(held.map((a) => scopeRow(a.roleId, 'API_KEY', fresh!.id, assignmentScope(a))));
  uow.audit({ action: 'api_key.rotate', entityType: 'ApiKey', entityId: old.id, merchantId: old.merchantId, before: keyView(old), after: keyView(retired!) });
  uow.audit({
    action: 'api_key.create',
    entityType: 'ApiKey',
    entityId: fresh!.id,
    merchantId: fresh!.merchantId,
    after: { ...keyView(fresh!), rotatedFrom: old.id },
  });
  return { apiKey: fresh!, secret: key };
}

export async function revokeApiKey(uow: Uow, auth: Authorization, id: string): Promise<ApiKeyRow> {
  const key = await manageableKey(uow, auth, id);
  if (key.revokedAt) return key;
  const [revoked] = await uow.tx.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, id)).returning();
  uow.audit({ action: 'api_key.revoke', entityType: 'ApiKey', entityId: id, merchantId: key.merchantId, before: keyView(key), after: keyView(revoked!) });
  return revoked!;
}

export async function createUser(uow: Uow, input: { email: string; name: string; password: string }) {
  const { email, name } = parseNewUser(input);
  const [taken] = await uow.tx.select({ id: users.id }).from(users).where(eq(users.email, email));
  if (taken) throw badUserInput('input.email', 'a user with this email exists');
  const [user] = await uow.tx
    .insert(users)
    .values({ id: newId('usr'), email, name, passwordHash: await hashPassword(input.password) })
    .returning();
  uow.audit({ action: 'user.create', entityType: 'User', entityId: user!.id, merchantId: null, after: { email, name } });
  return user!;
}

export async function createPartner(uow: Uow, input: { kind: 'CARRIER' | 'PSP' | 'MARKETPLACE'; name: string; carrierCode?: string | null }) {
  const { name } = parseNewPartner(input);
  const [partner] = await uow.tx
    .insert(partners)
    .values({ id: newId('ptn'), kind: input.kind, name, carrierCode: input.carrierCode ?? null })
    .returning();
  uow.audit({
    action: 'partner.create',
    entityType: 'Partner',
    entityId: partner!.id,
    merchantId: null,
    after: { kind: partner!.kind, name, carrierCode: partner!.carrierCode },
  });
  return partner!;
}

export async function createRole(uow: Uow, auth: Authorization, input: { merchantId: string; key: string; name: string; permissions: readonly string[] }) {
  auth.requireMerchant('roles:manage', input.merchantId);
  assertRoleDefinition(input);
  assertMayGrant(auth, input.permissions, { kind: 'MERCHANTS', merchantIds: [input.merchantId] });
  const [exists] = await uow.tx
    .select({ id: roles.id })
    .from(roles)
    .where(and(eq(roles.merchantId, input.merchantId), eq(roles.key, input.key)));
  if (exists) throw badUserInput('input.key', `merchant already has a role "${input.key}"`);
  const [role] = await uow.tx
    .insert(roles)
    .values({
      id: newId('rol'),
      merchantId: input.merchantId,
      key: input.key,
      name: input.name.trim() || input.key,
      permissions: [...new Set(input.permissions)].sort(),
    })
    .returning();
  uow.audit({
    action: 'role.create',
    entityType: 'Role',
    entityId: role!.id,
    merchantId: input.merchantId,
    after: { key: role!.key, permissions: role!.permissions },
  });
  return role!;
}

export async function assignRole(
  uow: Uow,
  auth: Authorization,
  input: { granteeKind: 'USER' | 'API_KEY'; granteeId: string; roleKey: string; customRoleMerchantId?: string | null; scope: DataScope },
) {
  auth.require('roles:manage');
  const role = await findRole(uow, input.roleKey, input.customRoleMerchantId);
  if (role.merchantId && !(input.scope.kind === 'MERCHANTS' && input.scope.merchantIds.every((id) => id === role.merchantId))) {
    throw badUserInput('input.scope', `custom role "${role.key}" applies only to its own merchant ${role.merchantId}`);
  }
  // Managing roles over a scope is itself scoped: the grant must fall inside the manager's roles:manage scope.
  if (!scopeWithin(input.scope, auth.scopeOf('roles:manage')!)) throw forbidden('cannot assign roles outside the scope you manage');
  assertMayGrant(auth, role.permissions, input.scope);
  let merchantOfGrantee: string | null = null;
  if (input.granteeKind === 'USER') {
    const [user] = await uow.tx.select({ id: users.id }).from(users).where(eq(users.id, input.granteeId));
    if (!user) throw notFound('User', input.granteeId);
  } else {
    const key = await manageableKey(uow, auth, input.granteeId);
    merchantOfGrantee = key.merchantId;
  }
  const existing = await uow.tx
    .select()
    .from(roleAssignments)
    .where(and(eq(roleAssignments.granteeKind, input.granteeKind), eq(roleAssignments.granteeId, input.granteeId), isNull(roleAssignments.revokedAt)));
  const mixed = existing.some((a) => a.scopeKind !== 'ALL' && input.scope.kind !== 'ALL' && a.scopeKind !== input.scope.kind);
  if (mixed) throw badUserInput('input.scope', 'a principal holds either merchant-scoped or carrier-scoped roles, not both');
  const [assignment] = await uow.tx
    .insert(roleAssignments)
    .values(scopeRow(role.id, input.granteeKind, input.granteeId, input.scope))
    .returning();
  uow.audit({
    action: 'role.assign',
    entityType: 'RoleAssignment',
    entityId: assignment!.id,
    merchantId: merchantOfGrantee ?? (input.scope.kind === 'MERCHANTS' && input.scope.merchantIds.length === 1 ? input.scope.merchantIds[0]! : null),
    after: { role: role.key, granteeKind: input.granteeKind, granteeId: input.granteeId, scope: input.scope },
  });
  return assignment!;
}

export async function revokeRoleAssignment(uow: Uow, auth: Authorization, id: string) {
  const [assignment] = await uow.tx.select().from(roleAssignments).where(eq(roleAssignments.id, id)).for('update');
  const manageScope = auth.require('roles:manage');
  if (!assignment || !scopeWithin(assignmentScope(assignment), manageScope)) throw notFound('RoleAssignment', id);
  if (assignment.revokedAt) return assignment;
  const [revoked] = await uow.tx.update(roleAssignments).set({ revokedAt: new Date() }).where(eq(roleAssignments.id, id)).returning();
  uow.audit({
    action: 'role.revoke',
    entityType: 'RoleAssignment',
    entityId: id,
    merchantId: null,
    before: { revokedAt: null },
    after: { revokedAt: revoked!.revokedAt },
  });
  return revoked!;
}

export async function openSession(uow: Uow, userId: string, livemode: boolean) {
  const [session] = await uow.tx
    .insert(sessions)
    .values({ id: newId('ses'), userId, livemode, expiresAt: new Date(Date.now() + SESSION_LIFETIME_MS) })
    .returning();
  uow.audit({ action: 'session.create', entityType: 'Session', entityId: session!.id, merchantId: null, after: { userId, livemode } });
  return session!;
}

export async function closeSession(uow: Uow, sessionId: string) {
  const [session] = await uow.tx
    .update(sessions)
    .set({ revokedAt: new Date() })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .returning();
  uow.audit({ action: 'session.revoke', entityType: 'Session', entityId: sessionId, merchantId: null, after: { revoked: !!session } });
  return !!session;
}

export type { Permission };

type Db = Database<typeof schema>;

/** The built-in roles and, with a merchant, its own custom roles. */
export async function listRoles(db: Db, auth: Authorization, merchantId: string | null) {
  if (merchantId) auth.requireMerchant('roles:read', merchantId);
  else auth.require('roles:read');
  const builtIn = BUILT_IN_ROLES.map((r) => `rol_${r.key}`);
  return db
    .select()
    .from(roles)
    .where(merchantId ? or(inArray(roles.id, builtIn), eq(roles.merchantId, merchantId)) : inArray(roles.id, builtIn))
    .orderBy(asc(roles.key));
}

/** A merchant's keys (api_keys:read over it), or any owner's for a reader over all data; in the caller's mode. */
export async function listApiKeys(db: Db, auth: Authorization, filter: { merchantId: string | null; partnerId: string | null }) {
  const { merchantId, partnerId } = filter;
  if (merchantId) auth.requireMerchant('api_keys:read', merchantId);
  else if (auth.require('api_keys:read').kind !== 'ALL') throw notFound('Merchant', 'of the caller: pass merchantId');
  return db
    .select()
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.livemode, auth.livemode),
        merchantId ? eq(apiKeys.merchantId, merchantId) : undefined,
        partnerId ? eq(apiKeys.partnerId, partnerId) : undefined,
      ),
    )
    .orderBy(asc(apiKeys.createdAt));
}

/** A user the caller may read: any with users:read over all data, oneself, or one holding a role on a merchant the caller reads. */
export async function userVisibleTo(db: Db, auth: Authorization, id: string) {
  const scope = auth.require('users:read');
  const principal = auth.requirePrincipal();
  const [user] = await db.select().from(users).where(eq(users.id, id));
  if (!user) throw notFound('User', id);
  if (scope.kind === 'ALL' || principal.id === id) return user;
  // A merchant-scoped reader sees users who hold a role on one of its merchants.
  const held = await db
    .select({ merchantIds: roleAssignments.merchantIds })
    .from(roleAssignments)
    .where(and(eq(roleAssignments.granteeKind, 'USER'), eq(roleAssignments.granteeId, id), isNull(roleAssignments.revokedAt)));
  const reachable = scope.kind === 'MERCHANTS' && held.some((a) => a.merchantIds.some((m) => scope.merchantIds.includes(m)));
  if (!reachable) throw notFound('User', id);
  return user;
}

/** The user behind an email and password, or UNAUTHENTICATED; the same answer and the same work for an unknown email as for a wrong password. */
export async function userByPassword(db: Db, email: string, password: string) {
  const [user] = await db.select().from(users).where(eq(users.email, email.trim().toLowerCase()));
  const valid = await verifyPassword(password, user?.passwordHash ?? 'scrypt$131072$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
  if (!user || !valid || user.disabledAt) throw unauthenticated('email or password is wrong');
  return user;
}
