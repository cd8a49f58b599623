import { badUserInput } from '@ipay/platform';
import type { ConsumerOrderResolvers, MutationResolvers, QueryResolvers } from '../generated/graphql.ts';
import * as access from '../app/consumer-access.ts';
import { isPaidStatus } from '../domain/consumer.ts';
import { knownLocales, parseLocale, renderMany } from '../app/templates.ts';
import { messageKeySpec, negotiateLocale } from '../domain/localization/index.ts';

type View = access.ConsumerOrderView & { textLocale?: string };

/** The order's own facts a consumer text may use; the caller's values add to (never replace) them. */
const orderValues = (order: View) => ({
  merchant: order.merchantName,
  reference: order.reference,
  amount: { amount: order.totalAmount, currency: order.currency },
});

function valuesFor(key: string, order: View, extra: Record<string, unknown> = {}) {
  const spec = messageKeySpec(key);
  if (!spec) throw badUserInput('key', `"${key}" is not a message key (see messageKeys)`);
  const base = Object.fromEntries(Object.entries(orderValues(order)).filter(([name]) => name in spec.arguments));
  return { ...extra, ...base };
}

const renderFor = (order: View, key: string, extra: Record<string, unknown> | undefined, db: Parameters<typeof renderMany>[0]) =>
  renderMany(db, {
    merchantId: order.merchantId,
    livemode: order.livemode,
    locale: order.textLocale ?? order.locale,
    messages: [{ key, values: valuesFor(key, order, extra) }],
  }).then(([m]) => m!);

export const consumerQueries: Pick<QueryResolvers, 'consumerOrder'> = {
  // The texts' locale: the argument, else the client's Accept-Language (among locales with templates), else the token's.
  consumerOrder: async (_, { locale }, { db, auth, acceptLanguage }) => {
    const order = await access.consumerOrderOf(db, auth);
    if (locale) return { ...order, locale: parseLocale(locale) };
    const negotiated = acceptLanguage ? negotiateLocale(acceptLanguage, await knownLocales(db, order.merchantId, order.livemode)) : null;
    return { ...order, locale: negotiated ?? order.locale };
  },
};

export const consumerMutations: Pick<MutationResolvers, 'issueConsumerToken' | 'consumerAccess' | 'revokeConsumerToken'> = {
  issueConsumerToken: (_, args, { db, auth, mutate, services }) => access.issueConsumerToken(db, auth, mutate, services.tokens, args),
  consumerAccess: (_, { input }, { mutateAs, services, requestId, sourceIp }) =>
    access.consumerAccess(mutateAs, services.tokens, input, { requestId, sourceIp }),
  revokeConsumerToken: (_, { id }, { db, auth, mutate }) => access.revokeConsumerToken(db, auth, mutate, id),
};

export const ConsumerOrder: ConsumerOrderResolvers = {
  order: (order) => ({ __typename: 'Order', id: order.orderId }),
  paymentText: (order, _, { db }) => renderFor(order, isPaidStatus(order.status) ? 'consumer.payment.paid' : 'consumer.payment.due', undefined, db),
  supportText: (order, _, { db }) => renderFor(order, 'support.contact', undefined, db),
  message: (order, { key, values }, { db }) => {
    if (values != null && (typeof values !== 'object' || Array.isArray(values))) throw badUserInput('values', 'must be an object of argument values');
    return renderFor(order, key, (values ?? {}) as Record<string, unknown>, db);
  },
};
