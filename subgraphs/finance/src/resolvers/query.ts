import type { QueryResolvers } from '../generated/graphql.ts';

export const Query: QueryResolvers = {
  settlement: (_, { id }, { loaders }) => loaders.settlementById.load(id),
};
