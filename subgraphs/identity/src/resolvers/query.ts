import { PERMISSIONS, auditTrailRoot, deliveredEvent, notFound, pageSize, toConnection } from '@ipay/platform';
import type { QueryResolvers } from '../generated/graphql.ts';
import { listApiKeys, listRoles, userVisibleTo } from '../app/access.ts';
import { listMerchants, merchantBySlug } from '../app/merchants.ts';

export const Query: QueryResolvers = {
  viewer: (_, __, { auth }) => auth.principal,
  merchant: async (_, { id }, { loaders }) => (await loaders.merchantById.load(id)) ?? Promise.reject(notFound('Merchant', id)),
  merchantBySlug: (_, { slug }, { db, auth }) => merchantBySlug(db, auth, slug),
  merchants: async (_, { first, after }, { db, auth }) => {
    const size = pageSize(first);
    return toConnection(await listMerchants(db, auth, size, after ?? null), size, (row) => [row.slug]);
  },
  permissions: (_, __, { auth }) => {
    auth.requirePrincipal();
    return [...PERMISSIONS];
  },
  roles: (_, { merchantId }, { db, auth }) => listRoles(db, auth, merchantId ?? null),
  apiKeys: (_, { merchantId, partnerId }, { db, auth }) => listApiKeys(db, auth, { merchantId: merchantId ?? null, partnerId: partnerId ?? null }),
  user: (_, { id }, { db, auth }) => userVisibleTo(db, auth, id),
  auditTrail: auditTrailRoot,
  _event_events: (_, { event }, { auth }) => deliveredEvent(auth, event),
};
