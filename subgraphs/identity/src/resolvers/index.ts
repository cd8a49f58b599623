import { DateTime } from '@ipay/platform';
import type { Resolvers } from '../generated/graphql.ts';
import { Merchant } from './merchant.ts';
import { Query } from './query.ts';

export const resolvers: Resolvers = { Query, Merchant, DateTime };
