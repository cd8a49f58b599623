import { BUILT_IN_ROLES, PLATFORM_ONLY, intersectScopes, isPermission, unionScopes, type DataScope, type Permission, type Principal } from '@ipay/platform';

/** The scope columns of a role assignment (db/schema.ts `role_assignments`). */
export interface AssignmentScopeColumns {
  scopeKind: 'ALL' | 'MERCHANTS' | 'CARRIERS';
  merchantIds: readonly string[];
  carrierCodes: readonly string[];
}

export function assignmentScope(row: AssignmentScopeColumns): DataScope {
  switch (row.scopeKind) {
    case 'ALL':
      return { kind: 'ALL' };
    case 'MERCHANTS':
      return { kind: 'MERCHANTS', merchantIds: [...row.merchantIds].sort() };
    case 'CARRIERS':
      return { kind: 'CARRIERS', carrierCodes: [...row.carrierCodes].sort() };
  }
}

export interface HeldRole {
  permissions: readonly string[];
  scope: DataScope;
}

/**
 * Effective permissions: the union over all held roles (a permission granted by two roles reaches both
 * scopes), each then intersected with what the credential itself may reach (a merchant's key never reaches
 * beyond its merchant). Platform-only permissions need a platform principal whatever the role says.
 */
export function effectiveGrants(held: readonly HeldRole[], bound: DataScope, isPlatform: boolean): Principal['grants'] {
  const union: Partial<Record<Permission, DataScope>> = {};
  for (const role of held) {
    for (const permission of role.permissions) {
      if (!isPermission(permission)) continue;
      if (!isPlatform && PLATFORM_ONLY.includes(permission)) continue;
      try {
        union[permission] = unionScopes(union[permission], role.scope);
      } catch {
        // Mixed merchant and carrier scopes for one permission are refused when assigned; keep the first.
      }
    }
  }
  const grants: Principal['grants'] = {};
  for (const [permission, scope] of Object.entries(union) as [Permission, DataScope][]) {
    const bounded = intersectScopes(scope, bound);
    if (bounded) grants[permission] = bounded;
  }
  return grants;
}

export const BUILT_IN_ROLE_IDS = Object.fromEntries(BUILT_IN_ROLES.map((role) => [role.key, `rol_${role.key}`])) as Record<string, string>;
