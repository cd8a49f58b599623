import { DateTime } from '@ipay/platform';
import type { Resolvers } from '../generated/graphql.ts';
import { Order } from './order.ts';
import { Query } from './query.ts';
import { Shipment } from './shipment.ts';

export const resolvers: Resolvers = { Query, Shipment, Order, DateTime };
