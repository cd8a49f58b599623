import { DateTime } from '@ipay/platform';
import type { Resolvers } from '../generated/graphql.ts';
import { Merchant } from './merchant.ts';
import { Order } from './order.ts';
import { Query } from './query.ts';
import { Settlement } from './settlement.ts';
import { SettlementLine } from './settlement-line.ts';

export const resolvers: Resolvers = { Query, Settlement, SettlementLine, Order, Merchant, DateTime };
