import type { AcceptedOffer, ReturnRow } from '../db/schema.ts';
import type { ReturnResolvers, RetentionOfferResolvers, ReturnReasonResolvers } from '../generated/graphql.ts';

const money = (amount: number, currency: string) => ({ amount, currency });
const offerView = (o: AcceptedOffer, currency: string) => ({
  offerId: o.offerId,
  kind: o.kind,
  refund: money(o.refundAmount, currency),
  storeCredit: money(o.storeCreditAmount, currency),
  saved: money(o.savedAmount, currency),
  goodsReturned: o.goodsReturned,
});

export const Return: ReturnResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.returnById.load(ref.id),
  order: async (r, _, { loaders }) => {
    const order = await loaders.orderById.load(r.orderId);
    if (!order) throw new Error(`order ${r.orderId} of return ${r.id} is not readable`);
    return order;
  },
  merchant: (r) => ({ id: r.merchantId }),
  reasonLabel: async (r, _, { loaders }) => (await loaders.returnReasonByKey.load(`${r.merchantId}:${r.reasonCode}`))?.label ?? null,
  lines: (r) =>
    r.lines.map((l) => ({
      sku: l.sku,
      name: l.name,
      quantity: l.quantity,
      unitAmount: money(l.unitAmount, r.currency),
      total: money(l.unitAmount * l.quantity, r.currency),
    })),
  value: (r) => money(r.valueAmount, r.currency),
  offers: (r) => (r.confirmedAt ? [] : r.offeredOffers.map((o) => offerView(o, r.currency))),
  acceptedOffer: (r) => (r.acceptedOffer ? offerView(r.acceptedOffer, r.currency) : null),
  inspection: (r: ReturnRow) =>
    r.inspectedAt && r.inspectionApproved !== null ? { approved: r.inspectionApproved, note: r.inspectionNote, inspectedAt: r.inspectedAt } : null,
  refundRequested: (r) => (r.refundRequestedAmount === null ? null : money(r.refundRequestedAmount, r.currency)),
  refunded: (r) => (r.refundedAmount === null ? null : money(r.refundedAmount, r.currency)),
  refundFailure: (r) => (r.refundFailureCode ? { code: r.refundFailureCode, reason: r.refundFailureReason ?? '' } : null),
  storeCredit: (r) => (r.storeCreditAmount === null ? null : money(r.storeCreditAmount, r.currency)),
};

export const ReturnReason: ReturnReasonResolvers = {
  archived: (r) => r.archivedAt !== null,
};

export const RetentionOffer: RetentionOfferResolvers = {
  merchant: (o) => ({ id: o.merchantId }),
  reasonCodes: (o) => (o.reasonCodes ? [...o.reasonCodes] : null),
};
