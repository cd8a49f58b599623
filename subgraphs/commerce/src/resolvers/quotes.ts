import { formatMinorUnitsDecimal, notFound } from '@ipay/platform';
import { renderQuotePdf } from '../adapters/quote-pdf.ts';
import type { OrderRow, QuoteDelivery as QuoteDeliveryRow, QuoteRow } from '../db/schema.ts';
import type {
  AcceptQuotePayloadResolvers,
  MutationResolvers,
  QueryResolvers,
  QuoteMarginResolvers,
  QuoteResolvers,
  QuoteSettingsResolvers,
  QuoteTaxResolvers,
} from '../generated/graphql.ts';
import { acceptQuote, listQuotes, quoteSettingsOf, requestQuote, setQuoteSettings } from '../app/quotes.ts';

export type QuoteDeliveryView = QuoteDeliveryRow & { carrierCostAmount: number | null; currency: string };
export interface AcceptQuoteResult {
  quote: QuoteRow;
  orderId: string;
}

const money = (amount: number | null | undefined, currency: string) => (amount === null || amount === undefined ? null : { amount, currency });

/** ISSUED past validUntil reads as EXPIRED (the stored status stays ISSUED: expiry is a matter of time, not an event). */
export const quoteStatusOf = (q: QuoteRow, now = new Date()) =>
  q.status === 'ISSUED' && q.validUntil && now.getTime() >= q.validUntil.getTime() ? 'EXPIRED' : q.status;

const branding = (q: Pick<QuoteRow, 'terms'>) => ({
  name: q.terms.brandName,
  logoUrl: q.terms.logoUrl,
  primaryColor: q.terms.primaryColor,
  accentColor: q.terms.accentColor,
});

const decimal = (amount: number | null, currency: string) =>
  amount === null ? null : { amount_minor: amount, amount: formatMinorUnitsDecimal(amount, currency), currency };

/** The quote as a JSON document: what the PDF shows, amounts in minor units and as exact decimals. */
export function quoteDocument(q: QuoteRow) {
  return {
    id: q.id,
    status: quoteStatusOf(q),
    branding: branding(q),
    customer: { name: q.customerName, email: q.customerEmail },
    currency: q.currency,
    deliveries: q.deliveries.map((d, i) => ({ ...d, carrier_cost: decimal(q.carrierCosts?.[i] ?? null, q.currency) })),
    carrier_cost: decimal(q.carrierCost, q.currency),
    ipay_fee: decimal(q.ipayFee, q.currency),
    margin: {
      kind: q.terms.marginKind,
      basis_points: q.terms.marginBasisPoints,
      rule_amount_minor: q.terms.marginAmount,
      amount: decimal(q.marginAmount, q.currency),
    },
    tax: { label: q.terms.taxLabel, basis_points: q.terms.taxBasisPoints, amount: decimal(q.taxAmount, q.currency) },
    total: decimal(q.totalAmount, q.currency),
    issued_at: q.issuedAt?.toISOString() ?? null,
    valid_until: q.validUntil?.toISOString() ?? null,
    order_id: q.orderId,
  };
}

export const Quote: QuoteResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.quoteById.load(ref.id),
  merchant: (q) => ({ id: q.merchantId }),
  status: (q) => quoteStatusOf(q),
  deliveries: (q) => q.deliveries.map((d, i) => ({ ...d, carrierCostAmount: q.carrierCosts?.[i] ?? null, currency: q.currency })),
  branding: (q) => branding(q),
  carrierCostTotal: (q) => money(q.carrierCost, q.currency),
  ipayFeeAmount: (q) => money(q.ipayFee, q.currency),
  margin: (q) => q,
  tax: (q) => q,
  total: (q) => money(q.totalAmount, q.currency),
  order: (q, _, { loaders }) => (q.orderId ? loaders.orderById.load(q.orderId) : null),
  pdfBase64: async (q) => (await renderQuotePdf(q)).toString('base64'),
  document: (q) => quoteDocument(q),
};

export const QuoteDelivery = { carrierCost: (d: QuoteDeliveryView) => money(d.carrierCostAmount, d.currency) };

export const QuoteMargin: QuoteMarginResolvers = {
  kind: (q) => q.terms.marginKind,
  basisPoints: (q) => q.terms.marginBasisPoints,
  ruleAmount: (q) => ({ amount: q.terms.marginAmount, currency: q.terms.marginCurrency ?? q.currency }),
  amount: (q) => money(q.marginAmount, q.currency),
};

export const QuoteTax: QuoteTaxResolvers = {
  label: (q) => q.terms.taxLabel,
  basisPoints: (q) => q.terms.taxBasisPoints,
  amount: (q) => money(q.taxAmount, q.currency),
};

export const QuoteSettings: QuoteSettingsResolvers = {
  branding: (s) => ({ name: s.brandName ?? '', logoUrl: s.logoUrl, primaryColor: s.primaryColor, accentColor: s.accentColor }),
};

export const quoteQueries: Pick<QueryResolvers, 'quote' | 'quotes' | 'quoteSettings'> = {
  quote: (_, { id }, { loaders }) => loaders.quoteById.load(id),
  quotes: (_, { merchantId, status, limit }, ctx) => listQuotes(ctx, merchantId, status ?? null, limit ?? 50),
  quoteSettings: (_, { merchantId }, ctx) => quoteSettingsOf(ctx, merchantId),
};

export const quoteMutations: Pick<MutationResolvers, 'setQuoteSettings' | 'requestQuote' | 'acceptQuote'> = {
  setQuoteSettings: (_, { input }, ctx) => setQuoteSettings(ctx, input),
  requestQuote: (_, { input }, ctx) => requestQuote(ctx, input),
  acceptQuote: (_, { id, input }, ctx) => acceptQuote(ctx, id.trim(), input),
};

export const AcceptQuotePayload: AcceptQuotePayloadResolvers = {
  order: async (result, _, { loaders }) =>
    ((await loaders.orderById.load(result.orderId)) as OrderRow | null) ?? Promise.reject(notFound('Order', result.orderId)),
};
