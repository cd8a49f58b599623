import { and, asc, eq, gt, inArray, isNull, or } from 'drizzle-orm';
import { BUILT_IN_ROLES, PERMISSIONS, auditTrailRoot, decodeCursor, deliveredEvent, notFound, pageSize, toConnection } from '@ipay/platform';
import { apiKeys, merchants, roleAssignments, roles, users } from '../db/schema.ts';
import type { QueryResolvers } from '../generated/graphql.ts';
import { merchantScope } from '../loaders.ts';

export const Query: QueryResolvers = {
  viewer: (_, __, { auth }) => auth.principal,
  merchant: async (_, { id }, { loaders }) => (await loaders.merchantById.load(id)) ?? Promise.reject(notFound('Merchant', id)),
  merchantBySlug: async (_, { slug }, { db, auth }) => {
    const [row] = await db.select().from(merchants).where(and(eq(merchants.slug, slug), merchantScope(auth.require('merchants:read'))));
    if (!row) throw notFound('Merchant', slug);
    return row;
  },
  merchants: async (_, { first, after }, { db, auth }) => {
    const scope = auth.require('merchants:read');
    const size = pageSize(first);
    const [afterSlug] = after ? decodeCursor(after, 1) : [];
    const rows = await db
      .select()
      .from(merchants)
      .where(and(merchantScope(scope), afterSlug === undefined ? undefined : gt(merchants.slug, afterSlug)))
      .orderBy(asc(merchants.slug))
      .limit(size + 1);
    return toConnection(rows, size, (row) => [row.slug]);
  },
  permissions: (_, __, { auth }) => {
    auth.requirePrincipal();
    return [...PERMISSIONS];
  },
  roles: async (_, { merchantId }, { db, auth }) => {
    if (merchantId) auth.requireMerchant('roles:read', merchantId);
    else auth.require('roles:read');
    const builtIn = BUILT_IN_ROLES.map((r) => `rol_${r.key}`);
    return db
      .select()
      .from(roles)
      .where(merchantId ? or(inArray(roles.id, builtIn), eq(roles.merchantId, merchantId)) : inArray(roles.id, builtIn))
      .orderBy(asc(roles.key));
  },
  apiKeys: async (_, { merchantId, partnerId }, { db, auth }) => {
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
  },
  user: async (_, { id }, { db, auth }) => {
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
  },
  auditTrail: auditTrailRoot,
  _event_events: (_, { event }, { auth }) => deliveredEvent(auth, event),
};
