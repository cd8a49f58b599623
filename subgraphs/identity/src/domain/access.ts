import {
  BUILT_IN_ROLES,
  PLATFORM_ONLY,
  domainError,
  forbidden,
  badUserInput,
  intersectScopes,
  isPermission,
  type Authorization,
  type DataScope,
} from '@ipay/platform';
import { mayHoldLiveCredentials, type OnboardingStatus } from './onboarding.ts';
import { MIN_PASSWORD_LENGTH } from './passwords.ts';

/** Access rules (pure): scopes, what may be granted, and which merchants may hold live credentials. The SQL is in app/access.ts. */

export type ApiKeyOwnerKind = 'MERCHANT' | 'PARTNER' | 'PLATFORM';

export const CARRIER_CODES = ['ups', 'dhl', 'postnl', 'dpd', 'gls', 'inpost'];
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Whether scope `inner` lies entirely inside `outer`. */
export function scopeWithin(inner: DataScope, outer: DataScope): boolean {
  if (outer.kind === 'ALL') return true;
  if (inner.kind === 'ALL') return false;
  const narrowed = intersectScopes(inner, outer);
  if (!narrowed) return false;
  return inner.kind === 'MERCHANTS'
    ? narrowed.kind === 'MERCHANTS' && narrowed.merchantIds.length === inner.merchantIds.length
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

export function parseScopeInput(
  input: { kind: DataScope['kind']; merchantIds?: readonly string[] | null; carrierCodes?: readonly string[] | null },
  field = 'input.scope',
): DataScope {
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

/** Where a new key's roles apply: its merchant, its carrier, or (platform and other partner keys) everywhere. */
export function keyScope(key: { ownerKind: ApiKeyOwnerKind; merchantId: string | null }, carrierCode: string | null): DataScope {
  if (key.ownerKind === 'MERCHANT') return { kind: 'MERCHANTS', merchantIds: [key.merchantId!] };
  if (carrierCode) return { kind: 'CARRIERS', carrierCodes: [carrierCode] };
  return { kind: 'ALL' };
}

/** Live credentials of a merchant exist and work only while it is ACTIVE (KYC approved, not suspended or closed). */
export function assertMayHoldLive(merchant: { id: string; onboardingStatus: OnboardingStatus }): void {
  if (!mayHoldLiveCredentials(merchant.onboardingStatus)) {
    throw domainError(
      'MERCHANT_NOT_ACTIVE',
      `merchant ${merchant.id} is ${merchant.onboardingStatus}: live keys need an ACTIVE merchant (KYC approved, not suspended or closed)`,
      { field: 'livemode', merchantId: merchant.id, onboardingStatus: merchant.onboardingStatus },
    );
  }
}

export const ROLE_KEY = /^[a-z][a-z0-9_]{1,39}$/;

export const SESSION_LIFETIME_MS = 12 * 3600_000;

export interface NewApiKey {
  merchantId?: string | null;
  partnerId?: string | null;
  name: string;
  livemode: boolean;
  roles: readonly string[];
  expiresAt?: Date | null;
}

/** A new key's name and shape (its roles and owner are checked against the database in app/access.ts). */
export function parseNewApiKey(input: NewApiKey): { name: string } {
  const name = input.name.trim();
  if (!name || name.length > 100) throw badUserInput('input.name', 'must be 1 to 100 characters');
  if (input.merchantId && input.partnerId) throw badUserInput('input.partnerId', 'a key belongs to a merchant or a partner, not both');
  if (input.expiresAt && input.expiresAt <= new Date()) throw badUserInput('input.expiresAt', 'must be in the future');
  if (!input.roles.length) throw badUserInput('input.roles', 'give the key at least one role');
  return { name };
}

export function assertRotationGrace(graceSeconds: number): void {
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > 7 * 86400) throw badUserInput('gracePeriodSeconds', 'must be 0 to 604800 (7 days)');
}

export function parseNewUser(input: { email: string; name: string; password: string }): { email: string; name: string } {
  const email = input.email.trim().toLowerCase();
  if (!EMAIL.test(email)) throw badUserInput('input.email', 'is not an email address');
  if (input.password.length < MIN_PASSWORD_LENGTH) throw badUserInput('input.password', `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  const name = input.name.trim();
  if (!name) throw badUserInput('input.name', 'is required');
  return { email, name };
}

export function parseNewPartner(input: { kind: 'CARRIER' | 'PSP' | 'MARKETPLACE'; name: string; carrierCode?: string | null }): { name: string } {
  const name = input.name.trim();
  if (!name) throw badUserInput('input.name', 'is required');
  if (input.kind === 'CARRIER' && (!input.carrierCode || !CARRIER_CODES.includes(input.carrierCode))) {
    throw badUserInput('input.carrierCode', `carriers need one of ${CARRIER_CODES.join(', ')}`);
  }
  if (input.kind !== 'CARRIER' && input.carrierCode) throw badUserInput('input.carrierCode', 'only carriers have a carrier code');
  return { name };
}

/** A custom role's key and permissions: not a built-in key, only catalogue permissions, none reserved to platform staff. */
export function assertRoleDefinition(input: { key: string; permissions: readonly string[] }): void {
  if (!ROLE_KEY.test(input.key)) throw badUserInput('input.key', 'use 2-40 lower-case letters, digits and underscores, starting with a letter');
  if (BUILT_IN_ROLES.some((r) => r.key === input.key)) throw badUserInput('input.key', `"${input.key}" is a built-in role`);
  if (!input.permissions.length) throw badUserInput('input.permissions', 'list at least one permission');
  for (const permission of input.permissions) {
    if (!isPermission(permission)) throw badUserInput('input.permissions', `unknown permission "${permission}"`);
    if (PLATFORM_ONLY.includes(permission)) throw badUserInput('input.permissions', `"${permission}" is reserved to platform staff`);
  }
}
