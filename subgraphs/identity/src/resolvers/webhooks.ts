import { encodeCursor, pageSize } from '@ipay/platform';
import type { MutationResolvers, QueryResolvers, WebhookAttemptResolvers, WebhookDeliveryResolvers, WebhookEndpointResolvers } from '../generated/graphql.ts';
import * as endpoints from '../app/webhooks/endpoints.ts';

/** Webhook endpoints, deliveries and attempts (IPAY → merchant); the machinery lives in src/app/webhooks and src/adapters/webhooks. */
export const webhookQueries: Pick<QueryResolvers, 'webhookEndpoints' | 'webhookEndpoint'> = {
  webhookEndpoints: (_, { merchantId }, { db, auth }) => endpoints.listEndpoints(db, auth, merchantId),
  webhookEndpoint: (_, { id }, { db, auth }) => endpoints.endpointInScope(db, auth, 'webhooks:read', id),
};

export const webhookMutations: Pick<
  MutationResolvers,
  'createWebhookEndpoint' | 'updateWebhookEndpoint' | 'deleteWebhookEndpoint' | 'rotateWebhookSecret' | 'replayWebhookEvent' | 'replayWebhooks'
> = {
  createWebhookEndpoint: async (_, { input }, { auth, mutate, services }) => {
    auth.requireMerchant('webhooks:manage', input.merchantId);
    const { options } = services.webhooks;
    // DNS before the transaction: a network call must not hold one open.
    const url = await endpoints.checkEndpointUrl(input.url, auth.livemode, options.resolve, 'input.url');
    return mutate((uow) => endpoints.createEndpoint(uow, auth, { ...input, url }, options.encryptionKey, options.clock()));
  },
  updateWebhookEndpoint: async (_, { id, input }, { db, auth, mutate, services }) => {
    const { options } = services.webhooks;
    await endpoints.endpointInScope(db, auth, 'webhooks:manage', id);
    const url = input.url == null ? null : await endpoints.checkEndpointUrl(input.url, auth.livemode, options.resolve, 'input.url');
    return mutate((uow) => endpoints.updateEndpoint(uow, auth, id, { ...input, url }, options.clock()));
  },
  deleteWebhookEndpoint: (_, { id }, { auth, mutate, services }) => mutate((uow) => endpoints.deleteEndpoint(uow, auth, id, services.webhooks.options.clock())),
  rotateWebhookSecret: (_, { id, gracePeriodSeconds }, { auth, mutate, services }) =>
    mutate((uow) => endpoints.rotateSecret(uow, auth, id, gracePeriodSeconds, services.webhooks.options.encryptionKey, services.webhooks.options.clock())),
  replayWebhookEvent: async (_, { endpointId, eventId }, { auth, mutate, services }) => {
    const delivery = await mutate((uow) => endpoints.replayEvent(uow, auth, endpointId, eventId, services.webhooks.options.clock()));
    services.webhooks.kick();
    return delivery;
  },
  replayWebhooks: async (_, { endpointId, from, to }, { auth, mutate, services }) => {
    const deliveries = await mutate((uow) => endpoints.replayRange(uow, auth, endpointId, from, to, services.webhooks.options.clock()));
    services.webhooks.kick();
    return deliveries;
  },
};

export const WebhookEndpoint: WebhookEndpointResolvers = {
  merchant: (endpoint, _, { loaders }) => loaders.merchantById.load(endpoint.merchantId),
  deliveries: async (endpoint, { status, first, after }, { loaders }) => {
    const size = pageSize(first);
    const rows = await loaders.deliveryPages.load({ endpointId: endpoint.id, status: status ?? null, limit: size + 1, after: after ?? null });
    const edges = rows.slice(0, size).map((node) => ({ node, cursor: encodeCursor([node.createdAt.toISOString(), node.id]) }));
    return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
  },
};

export const WebhookDelivery: WebhookDeliveryResolvers = {
  attemptCount: (delivery) => delivery.attempts,
  nextAttemptAt: (delivery) => (delivery.status === 'PENDING' ? delivery.nextAttemptAt : null),
  payload: (delivery) => JSON.parse(delivery.body) as unknown,
  attempts: (delivery, _, { loaders }) => loaders.attemptsByDelivery.load(delivery.id),
};

export const WebhookAttempt: WebhookAttemptResolvers = {};
