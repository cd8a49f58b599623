import { auditTrailRoot, badUserInput, deliveredEvent, notFound } from '@ipay/platform';
import { countKpiEvent, kpiSnapshot } from '../app/kpis.ts';
import type { QueryResolvers } from '../generated/graphql.ts';

export const Query: QueryResolvers = {
  settlement: async (_, { id }, { loaders }) => (await loaders.settlementById.load(id)) ?? Promise.reject(notFound('Settlement', id)),
  auditTrail: auditTrailRoot,
  kpis: async (_, { merchantId, day }, { db, auth }) => {
    auth.requireMerchant('events:read', merchantId);
    const when = day ?? new Date().toISOString().slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(when) || Number.isNaN(Date.parse(when))) throw badUserInput('day', 'must be a date YYYY-MM-DD');
    return kpiSnapshot(db, merchantId, auth.livemode, when);
  },
  _event_kpis: async (_, { event }, { db, auth }) => {
    const delivered = deliveredEvent(auth, event);
    // The bus consumer may not have counted this event yet; counting is idempotent, so catch up here.
    await countKpiEvent(db, event as never);
    return {
      eventId: delivered.eventId,
      type: delivered.type,
      snapshot: await kpiSnapshot(db, delivered.merchantId!, auth.livemode, delivered.occurredAt.slice(0, 10)),
    };
  },
};
