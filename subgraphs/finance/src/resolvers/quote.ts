import type { QuoteFeeResolvers, QuoteResolvers } from '../generated/graphql.ts';

/** Commerce owns quotes; finance contributes the IPAY fee it priced for the quote from its fee schedule. */
export const Quote: QuoteResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  ipayFee: (quote, _, { loaders }) => loaders.quoteFeeByQuoteId.load(quote.id),
};

export const QuoteFee: QuoteFeeResolvers = {
  amount: (row) => (row.feeAmount === null ? null : { amount: row.feeAmount, currency: row.currency }),
  feeSchedule: (row, _, { loaders }) => (row.feeScheduleId ? loaders.feeScheduleEntryById.load(row.feeScheduleId) : null),
};
