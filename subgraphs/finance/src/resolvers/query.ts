import { auditTrailRoot, notFound } from '@ipay/platform';
import type { QueryResolvers } from '../generated/graphql.ts';

export const Query: QueryResolvers = {
  settlement: async (_, { id }, { loaders }) => (await loaders.settlementById.load(id)) ?? Promise.reject(notFound('Settlement', id)),
  auditTrail: auditTrailRoot,
};
