import type { QuoteCarrierCostResolvers, QuoteResolvers } from '../generated/graphql.ts';

/** Commerce owns quotes; logistics contributes the carrier cost its cost engine priced for the quote's deliveries. */
export const Quote: QuoteResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  carrierCost: (quote, _, { loaders }) => loaders.quoteCarrierCostByQuoteId.load(quote.id),
};

export const QuoteCarrierCost: QuoteCarrierCostResolvers = {
  total: (row) => (row.totalAmount === null ? null : { amount: row.totalAmount, currency: row.currency }),
  deliveries: (row) => row.deliveries,
};
