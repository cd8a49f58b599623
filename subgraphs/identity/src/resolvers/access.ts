import type { DataScope, Principal } from '@ipay/platform';
import { apiKeyUsable } from '../domain/principals.ts';
import { assignmentScope } from '../domain/grants.ts';
import type { ApiKeyResolvers, RoleAssignmentResolvers, RoleResolvers, UserResolvers, ViewerResolvers } from '../generated/graphql.ts';

const scopeView = (scope: DataScope) => ({
  kind: scope.kind,
  merchantIds: scope.kind === 'MERCHANTS' ? scope.merchantIds : scope.kind === 'ORDER' ? [scope.merchantId] : [],
  carrierCodes: scope.kind === 'CARRIERS' ? scope.carrierCodes : [],
  orderId: scope.kind === 'ORDER' ? scope.orderId : null,
});

export const Viewer: ViewerResolvers = {
  kind: (p: Principal) => (p.kind === 'api_key' ? 'API_KEY' : (p.kind.toUpperCase() as 'USER' | 'PARTNER' | 'OPERATOR' | 'CONSUMER')),
  grants: (p: Principal) => Object.entries(p.grants).map(([permission, scope]) => ({ permission, scope: scopeView(scope!) })),
};

export const Role: RoleResolvers = {
  merchant: (role, _, { loaders }) => (role.merchantId ? loaders.merchantById.load(role.merchantId) : null),
};

export const RoleAssignment: RoleAssignmentResolvers = {
  role: async (assignment, _, { loaders }) => (await loaders.roleById.load(assignment.roleId))!,
  scope: (assignment) => scopeView(assignmentScope(assignment)),
};

export const User: UserResolvers = {
  roleAssignments: (user, _, { loaders }) => loaders.assignmentsByGrantee.load(`USER:${user.id}`),
};

export const ApiKey: ApiKeyResolvers = {
  status: (key) => {
    const unusable = apiKeyUsable(key);
    if (key.revokedAt) return 'REVOKED';
    if (unusable) return 'EXPIRED';
    return key.replacedById ? 'EXPIRING' : 'ACTIVE';
  },
  merchant: (key, _, { loaders }) => (key.merchantId ? loaders.merchantById.load(key.merchantId) : null),
  partner: (key, _, { loaders }) => (key.partnerId ? loaders.partnerById.load(key.partnerId) : null),
  roleAssignments: (key, _, { loaders }) => loaders.assignmentsByGrantee.load(`API_KEY:${key.id}`),
};
