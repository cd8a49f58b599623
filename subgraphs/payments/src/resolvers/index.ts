import { DateTime } from '@ipay/platform';
import type { Resolvers } from '../generated/graphql.ts';
import { Order } from './order.ts';
import { PaymentSession } from './payment-session.ts';
import { Query } from './query.ts';

export const resolvers: Resolvers = { Query, PaymentSession, Order, DateTime };
