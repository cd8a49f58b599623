import { and, eq, isNull } from 'drizzle-orm';
import {
  BUILT_IN_ROLES,
  PLATFORM_ONLY,
  badUserInput,
  domainError,
  forbidden,
  intersectScopes,
  isPermission,
  newId,
  notFound,
  type Authorization,
  type DataScope,
  type Permission,
  type UnitOfWork,
} from '@ipay/platform';
import { apiKeys, merchants, partners, roleAssignments, roles, sessions, users, type ApiKeyRow, type RoleRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { generateApiKey, hashApiKey } from './api-keys.ts';
import { assignmentScope, BUILT_IN_ROLE_IDS } from './grants.ts';
import { mayHoldLiveCredentials } from './onboarding.ts';
import { hashPassword, MIN_PASSWORD_LENGTH } from './passwords.ts';

type Uow = UnitOfWork<typeof schema>;

const CARRIER_CODES = ['ups', 'dhl', 'postnl', 'dpd', 'gls', 'inpost'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Whether scope `inner` lies entirely inside `outer`. */
export function scopeWithin(inner: DataScope, outer: DataScope): boolean {
  if (outer.kind === 'ALL') return true;
  if (inner.kind === 'ALL') return false;
  const narrowed = intersectScopes(inner, outer);
  if (!narrowed) return false;
  return inner.kind === 'MERCHANTS' ? narrowed.kind === 'MERCHANTS' && narrowed.merchantIds.length === inner.merchantIds.length
    : narrowed.kind === 'CARRIERS' && narrowed.carrierCodes.length === (inner as { carrierCodes: string[] }).carrierCodes.length;
}

/**
 * Nobody hands out more than they hold: granting a role needs each of its permissions over the whole scope
 * being granted.
 */
export function assertMayGrant(auth: Authorization, permissions: readonly string[], scope: DataScope): void {
  for (const permission of permissions) {
    const held = isPermission(permission) ? auth.scopeOf(permission) : undefined;
    if (!held || !scopeWithin(scope, held)) throw forbidden(`cannot grant ${permission} over a scope you do not hold it for`);
  }
}

export function parseScopeInput(input: { kind: DataScope['kind']; merchantIds?: readonly string[] | null; carrierCodes?: readonly string[] | null }, field = 'input.scope'): DataScope {
  switch (input.kind) {
    case 'ALL':
      return { kind: 'ALL' };
    case 'MERCHANTS':
      if (!input.merchantIds?.length) throw badUserInput(`${field}.merchantIds`, 'list at least one merchant');
      return { kind: 'MERCHANTS', merchantIds: [...new Set(input.merchantIds)].sort() };
    case 'CARRIERS':
      if (!input.carrierCodes?.length) throw badUserInput(`${field}.carrierCodes`, 'list at least one carrier');
      for (const code of input.carrierCodes) if (!CARRIER_CODES.includes(code)) throw badUserInput(`${field}.carrierCodes`, `unknown carrier "${code}"`);
      return { kind: 'CARRIERS', carrierCodes: [...new Set(input.carrierCodes)].sort() };
    case 'ORDER':
      throw badUserInput(`${field}.kind`, 'roles are never granted over one order: consumer tokens carry that scope');
  }
}

const keyView = (k: ApiKeyRow) => ({ name: k.name, prefix: k.prefix, livemode: k.livemode, ownerKind: k.ownerKind, merchantId: k.merchantId, partnerId: k.partnerId, expiresAt: k.expiresAt, revokedAt: k.revokedAt, replacedById: k.replacedById });

export async function findRole(uow: Uow, roleKey: string, merchantId: string | null | undefined): Promise<RoleRow> {
  const builtIn = BUILT_IN_ROLE_IDS[roleKey];
  const [role] = builtIn
    ? await uow.tx.select().from(roles).where(eq(roles.id, builtIn))
    : merchantId
      ? await uow.tx.select().from(roles).where(and(eq(roles.merchantId, merchantId), eq(roles.key, roleKey)))
      : [];
  if (!role) throw badUserInput('roleKey', `no role "${roleKey}"${merchantId ? ` for merchant ${merchantId}` : ''}`);
  return role;
}

/** Where a new key's roles apply: its merchant, its carrier, or (platform and other partner keys) everywhere. */
function keyScope(key: { ownerKind: ApiKeyRow['ownerKind']; merchantId: string | null }, carrierCode: string | null): DataScope {
  if (key.ownerKind === 'MERCHANT') return { kind: 'MERCHANTS', merchantIds: [key.merchantId!] };
  if (carrierCode) return { kind: 'CARRIERS', carrierCodes: [carrierCode] };
  return { kind: 'ALL' };
}

export interface NewApiKey {
  merchantId?: string | null;
  partnerId?: string | null;
  name: string;
  livemode: boolean;
  roles: readonly string[];
  expiresAt?: Date | null;
}

export async function createApiKey(uow: Uow, auth: Authorization, input: NewApiKey, pepper: string): Promise<{ apiKey: ApiKeyRow; secret: string }> {
  const name = input.name.trim();
  if (!name || name.length > 100) throw badUserInput('input.name', 'must be 1 to 100 characters');
  if (input.merchantId && input.partnerId) throw badUserInput('input.partnerId', 'a key belongs to a merchant or a partner, not both');
  if (input.expiresAt && input.expiresAt <= new Date()) throw badUserInput('input.expiresAt', 'must be in the future');
  if (!input.roles.length) throw badUserInput('input.roles', 'give the key at least one role');
  // Sandbox and live never mix: a sandbox credential cannot mint live keys, nor the reverse.
  if (input.livemode !== auth.livemode) throw forbidden(`a ${auth.livemode ? 'live' : 'sandbox'} credential can only create ${auth.livemode ? 'live' : 'sandbox'} keys`);

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
    .values({ id: newId('key'), ownerKind, merchantId: input.merchantId ?? null, partnerId: input.partnerId ?? null, name, livemode: input.livemode, prefix, secretHash: hashApiKey(key, pepper), expiresAt: input.expiresAt ?? null })
    .returning();
  await uow.tx.insert(roleAssignments).values(heldRoles.map((role) => scopeRow(role.id, 'API_KEY', row!.id, scope)));
  uow.audit({ action: 'api_key.create', entityType: 'ApiKey', entityId: row!.id, merchantId: row!.merchantId, after: { ...keyView(row!), roles: input.roles } });
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

/** Live credentials of a merchant exist and work only while it is ACTIVE (KYC approved, not suspended or closed). */
function assertMayHoldLive(merchant: { id: string; onboardingStatus: Parameters<typeof mayHoldLiveCredentials>[0] }): void {
  if (!mayHoldLiveCredentials(merchant.onboardingStatus)) {
    throw domainError('MERCHANT_NOT_ACTIVE', `merchant ${merchant.id} is ${merchant.onboardingStatus}: live keys need an ACTIVE merchant (KYC approved, not suspended or closed)`, { field: 'livemode', merchantId: merchant.id, onboardingStatus: merchant.onboardingStatus });
  }
}

/** A new secret for the same key holder and roles; the old secret works until the grace period ends. A live merchant key is rotated only while its merchant is ACTIVE. */
export async function rotateApiKey(uow: Uow, auth: Authorization, id: string, graceSeconds: number, pepper: string) {
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > 7 * 86400) throw badUserInput('gracePeriodSeconds', 'must be 0 to 604800 (7 days)');
  const old = await manageableKey(uow, auth, id);
  if (old.revokedAt || old.replacedById || (old.expiresAt && old.expiresAt <= new Date())) throw badUserInput('id', 'only an active key that was not rotated already can be rotated');
  if (old.livemode && old.merchantId) {
    const [merchant] = await uow.tx.select({ id: merchants.id, onboardingStatus: merchants.onboardingStatus }).from(merchants).where(eq(merchants.id, old.merchantId));
    assertMayHoldLive(merchant ?? { id: old.merchantId, onboardingStatus: 'CLOSED' });
  }
  const { key, prefix } = generateApiKey(old.livemode);
  const [fresh] = await uow.tx
    .insert(apiKeys)
    .values({ id: newId('key'), ownerKind: old.ownerKind, merchantId: old.merchantId, partnerId: old.partnerId, name: old.name, livemode: old.livemode, prefix, secretHash: hashApiKey(key, pepper), expiresAt: old.expiresAt })
    .returning();
  const graceEnd = new Date(Date.now() + graceSeconds * 1000);
  const [retired] = await uow.tx
    .update(apiKeys)
    .set({ replacedById: fresh!.id, expiresAt: old.expiresAt && old.expiresAt < graceEnd ? old.expiresAt : graceEnd })
    .where(eq(apiKeys.id, old.id))
    .returning();
  const held = await uow.tx.select().from(roleAssignments).where(and(eq(roleAssignments.granteeKind, 'API_KEY'), eq(roleAssignments.granteeId, old.id), isNull(roleAssignments.revokedAt)));
  if (held.length) await uow.tx.insert(roleAssignments).values(held.map((a) => scopeRow(a.roleId, 'API_KEY', fresh!.id, assignmentScope(a))));
  uow.audit({ action: 'api_key.rotate', entityType: 'ApiKey', entityId: old.id, merchantId: old.merchantId, before: keyView(old), after: keyView(retired!) });
  uow.audit({ action: 'api_key.create', entityType: 'ApiKey', entityId: fresh!.id, merchantId: fresh!.merchantId, after: { ...keyView(fresh!), rotatedFrom: old.id } });
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
  const email = input.email.trim().toLowerCase();
  if (!EMAIL.test(email)) throw badUserInput('input.email', 'is not an email address');
  if (input.password.length < MIN_PASSWORD_LENGTH) throw badUserInput('input.password', `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  const name = input.name.trim();
  if (!name) throw badUserInput('input.name', 'is required');
  const [taken] = await uow.tx.select({ id: users.id }).from(users).where(eq(users.email, email));
  if (taken) throw badUserInput('input.email', 'a user with this email exists');
  const [user] = await uow.tx.insert(users).values({ id: newId('usr'), email, name, passwordHash: await hashPassword(input.password) }).returning();
  uow.audit({ action: 'user.create', entityType: 'User', entityId: user!.id, merchantId: null, after: { email, name } });
  return user!;
}

export async function createPartner(uow: Uow, input: { kind: 'CARRIER' | 'PSP' | 'MARKETPLACE'; name: string; carrierCode?: string | null }) {
  const name = input.name.trim();
  if (!name) throw badUserInput('input.name', 'is required');
  if (input.kind === 'CARRIER' && (!input.carrierCode || !CARRIER_CODES.includes(input.carrierCode))) {
    throw badUserInput('input.carrierCode', `carriers need one of ${CARRIER_CODES.join(', ')}`);
  }
  if (input.kind !== 'CARRIER' && input.carrierCode) throw badUserInput('input.carrierCode', 'only carriers have a carrier code');
  const [partner] = await uow.tx.insert(partners).values({ id: newId('ptn'), kind: input.kind, name, carrierCode: input.carrierCode ?? null }).returning();
  uow.audit({ action: 'partner.create', entityType: 'Partner', entityId: partner!.id, merchantId: null, after: { kind: partner!.kind, name, carrierCode: partner!.carrierCode } });
  return partner!;
}

const ROLE_KEY = /^[a-z][a-z0-9_]{1,39}$/;

export async function createRole(uow: Uow, auth: Authorization, input: { merchantId: string; key: string; name: string; permissions: readonly string[] }) {
  auth.requireMerchant('roles:manage', input.merchantId);
  if (!ROLE_KEY.test(input.key)) throw badUserInput('input.key', 'use 2-40 lower-case letters, digits and underscores, starting with a letter');
  if (BUILT_IN_ROLES.some((r) => r.key === input.key)) throw badUserInput('input.key', `"${input.key}" is a built-in role`);
  if (!input.permissions.length) throw badUserInput('input.permissions', 'list at least one permission');
  for (const permission of input.permissions) {
    if (!isPermission(permission)) throw badUserInput('input.permissions', `unknown permission "${permission}"`);
    if (PLATFORM_ONLY.includes(permission)) throw badUserInput('input.permissions', `"${permission}" is reserved to platform staff`);
  }
  assertMayGrant(auth, input.permissions, { kind: 'MERCHANTS', merchantIds: [input.merchantId] });
  const [exists] = await uow.tx.select({ id: roles.id }).from(roles).where(and(eq(roles.merchantId, input.merchantId), eq(roles.key, input.key)));
  if (exists) throw badUserInput('input.key', `merchant already has a role "${input.key}"`);
  const [role] = await uow.tx
    .insert(roles)
    .values({ id: newId('rol'), merchantId: input.merchantId, key: input.key, name: input.name.trim() || input.key, permissions: [...new Set(input.permissions)].sort() })
    .returning();
  uow.audit({ action: 'role.create', entityType: 'Role', entityId: role!.id, merchantId: input.merchantId, after: { key: role!.key, permissions: role!.permissions } });
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
  const [assignment] = await uow.tx.insert(roleAssignments).values(scopeRow(role.id, input.granteeKind, input.granteeId, input.scope)).returning();
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
  uow.audit({ action: 'role.revoke', entityType: 'RoleAssignment', entityId: id, merchantId: null, before: { revokedAt: null }, after: { revokedAt: revoked!.revokedAt } });
  return revoked!;
}

export const SESSION_LIFETIME_MS = 12 * 3600_000;

export async function openSession(uow: Uow, userId: string, livemode: boolean) {
  const [session] = await uow.tx.insert(sessions).values({ id: newId('ses'), userId, livemode, expiresAt: new Date(Date.now() + SESSION_LIFETIME_MS) }).returning();
  uow.audit({ action: 'session.create', entityType: 'Session', entityId: session!.id, merchantId: null, after: { userId, livemode } });
  return session!;
}

export async function closeSession(uow: Uow, sessionId: string) {
  const [session] = await uow.tx.update(sessions).set({ revokedAt: new Date() }).where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt))).returning();
  uow.audit({ action: 'session.revoke', entityType: 'Session', entityId: sessionId, merchantId: null, after: { revoked: !!session } });
  return !!session;
}

export type { Permission };
