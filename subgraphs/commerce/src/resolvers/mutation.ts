import { badUserInput } from '@ipay/platform';
import type { MutationResolvers } from '../generated/graphql.ts';
import { createImportJob, parseImport, runImportJob } from '../app/imports.ts';
import { knownMerchant } from '../app/orders.ts';
import { cancelOrder, createOrderIdempotently, integrationFor } from '../app/order-commands.ts';
import * as returns from '../app/returns.ts';

export const Mutation: MutationResolvers = {
  createOrder: (_, { input, idempotencyKey }, ctx) => createOrderIdempotently(ctx, input, idempotencyKey),
  cancelOrder: (_, { id, reason }, ctx) => cancelOrder(ctx, id, reason),

  importOrders: async (_, { merchantId, format, content }, ctx) => {
    ctx.auth.requireMerchant('orders:import', merchantId);
    const merchant = await knownMerchant(ctx.db, merchantId);
    const rows = parseImport(format, content);
    const job = await createImportJob(ctx.mutate, merchantId, ctx.auth.livemode, format, rows.length);
    // The job runs after the response; clients poll importJob(id). Its transactions still carry the caller as actor.
    // runImportJob records its own failure on the job; if even that write fails (the database went away), the job stays
    // RUNNING for the operator and the error is logged, never left as an unhandled rejection that ends the process.
    void runImportJob(ctx.db, ctx.mutate, job, rows, merchant.slug, ctx.logger).catch((err) =>
      ctx.logger.error({ err, jobId: job.id }, 'order import could not record its outcome'),
    );
    return job;
  },

  connectIntegration: async (_, { merchantId, platform, credentials, baseUrl, authBaseUrl }, ctx) => {
    ctx.auth.requireMerchant('integrations:manage', merchantId);
    return ctx.services.integrations.connect(ctx.mutate, {
      merchantId,
      livemode: ctx.auth.livemode,
      platform: platform.trim().toLowerCase(),
      credentials,
      baseUrl,
      authBaseUrl,
    });
  },

  disconnectIntegration: async (_, { id }, ctx) => ctx.services.integrations.disconnect(ctx.mutate, await integrationFor(ctx, id, 'integrations:manage')),

  syncIntegrationNow: async (_, { id }, ctx) => {
    const row = await integrationFor(ctx, id, 'integrations:manage');
    if (row.status === 'DISCONNECTED' || row.status === 'PENDING') throw badUserInput('id', `integration is ${row.status}; connect it first`);
    return (await ctx.services.integrations.syncNow(id)).row;
  },

  createReturnReason: (_, { merchantId, input }, ctx) => returns.createReturnReason(ctx, merchantId, input),
  updateReturnReason: (_, { id, input }, ctx) => returns.updateReturnReason(ctx, id, input),
  archiveReturnReason: (_, { id }, ctx) => returns.updateReturnReason(ctx, id, {}, true),
  createRetentionOffer: (_, { merchantId, input }, ctx) => returns.createRetentionOffer(ctx, merchantId, input),
  updateRetentionOffer: (_, { id, input }, ctx) => returns.updateRetentionOffer(ctx, id, input),
  deleteRetentionOffer: (_, { id }, ctx) => returns.deleteRetentionOffer(ctx, id),
  requestReturn: (_, { input }, ctx) => returns.requestReturn(ctx, input),
  confirmReturn: (_, { id }, ctx) => returns.confirmReturn(ctx, id),
  acceptRetentionOffer: (_, { returnId, offerId }, ctx) => returns.acceptRetentionOffer(ctx, returnId, offerId),
  inspectReturn: (_, { id, approved, note }, ctx) => returns.inspectReturn(ctx, id, approved, note),
};
