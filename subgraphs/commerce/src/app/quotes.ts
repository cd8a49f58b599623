import { and, desc, eq, gt, lte, sql } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import {
  assertCountry,
  assertCurrency,
  badUserInput,
  newId,
  notFound,
  runMutation,
  scopeCondition,
  systemActor,
  wireMoney,
  type BusEvent,
  type Database,
  type EventBus,
  type Logger,
  type Subscription,
} from '@ipay/platform';
import { auditHead, auditLog, outbox, quoteSettings, quotes, type QuoteDelivery, type QuoteRow, type QuoteSettingsRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { validateOrderInput, type OrderInput } from '../domain/order-input.ts';
import { quoteAcceptable, quoteTotals, QuoteRuleError, validateColour, validateLogoUrl, validateMarginRule, type QuoteMarginKind } from '../domain/quotes.ts';
import type { Context } from '../context.ts';
import { insertOrders, knownMerchant, orderRowFor } from './orders.ts';

type Db = Database<typeof schema>;

/**
 * The quote engine (issue 14). A merchant requests a quote for one or more deliveries; commerce stores the inputs and
 * announces `quote.requested`. Logistics prices the carrier cost with its cost engine and finance the IPAY fee from
 * its fee schedule, each keeping its part keyed by the quote id (served on the `Quote` entity) and answering with
 * `quote.carrier_priced` / `quote.fee_priced`. When both parts are in, commerce applies the merchant's margin rule
 * and tax and freezes the numbers (ISSUED, valid until issuedAt + validity). Accepting an issued quote before it
 * expires creates the order at the frozen total; nothing is recomputed at acceptance.
 */

/** Quote refusals: the REST facade maps them to these statuses. */
export const QUOTE_ERRORS = {
  /** requestQuote for a merchant without quote settings (setQuoteSettings first). */
  QUOTE_NOT_CONFIGURED: 422,
  /** acceptQuote while the quote is still PRICING or was REFUSED. */
  QUOTE_NOT_ISSUED: 409,
  /** acceptQuote of a quote that is already an order. */
  QUOTE_ALREADY_ACCEPTED: 409,
  /** acceptQuote at or after validUntil: gone for good (a new quote is needed). */
  QUOTE_EXPIRED: 410,
} as const;
export type QuoteErrorCode = keyof typeof QUOTE_ERRORS;

export const quoteError = (code: QuoteErrorCode, message: string, extensions: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code, retryable: false, ...extensions } });

const ruleInput = <T>(work: () => T): T => {
  try {
    return work();
  } catch (error) {
    if (error instanceof QuoteRuleError) throw badUserInput(error.field, error.message);
    throw error;
  }
};

const MAX_DELIVERIES = 50;
const SERVICE_LEVELS = ['STANDARD', 'EXPRESS', 'SAME_DAY', 'PICKUP_POINT', 'LOCKER'];
const DELIVERY_METHODS = ['DOOR', 'PICKUP_POINT', 'LOCKER'];

export const readableQuotes = (ctx: Pick<Context, 'auth'>) => scopeCondition(ctx.auth.require('orders:read'), ctx.auth.livemode, quotes);

/** The merchant's quotes, newest first; EXPIRED is ISSUED past validUntil (expiry is time, not a stored status). */
export async function listQuotes(ctx: Context, merchantId: string, status: string | null, limit: number): Promise<QuoteRow[]> {
  ctx.auth.requireMerchant('orders:read', merchantId);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 100) throw badUserInput('limit', 'must be 1 to 100');
  const now = new Date();
  const byStatus =
    status === 'EXPIRED'
      ? and(eq(quotes.status, 'ISSUED'), lte(quotes.validUntil, now))
      : status === 'ISSUED'
        ? and(eq(quotes.status, 'ISSUED'), gt(quotes.validUntil, now))
        : status
          ? eq(quotes.status, status as QuoteRow['status'])
          : undefined;
  return ctx.db
    .select()
    .from(quotes)
    .where(and(eq(quotes.merchantId, merchantId), readableQuotes(ctx), byStatus))
    .orderBy(desc(quotes.createdAt), desc(quotes.id))
    .limit(limit);
}

// ─── Settings (margin rule, tax, validity, branding) ────────────────────────────────────────────────────────

export interface QuoteSettingsInput {
  merchantId: string;
  marginKind: QuoteMarginKind;
  marginBasisPoints?: number | null;
  marginAmount?: number | null;
  marginCurrency?: string | null;
  taxBasisPoints?: number | null;
  taxLabel?: string | null;
  validityHours?: number | null;
  brandName?: string | null;
  logoUrl?: string | null;
  primaryColor?: string | null;
  accentColor?: string | null;
}

const settingsAudit = (row: QuoteSettingsRow | null) =>
  row && {
    marginKind: row.marginKind,
    marginBasisPoints: row.marginBasisPoints,
    marginAmount: row.marginAmount,
    marginCurrency: row.marginCurrency,
    taxBasisPoints: row.taxBasisPoints,
    taxLabel: row.taxLabel,
    validityHours: row.validityHours,
    brandName: row.brandName,
    logoUrl: row.logoUrl,
    primaryColor: row.primaryColor,
    accentColor: row.accentColor,
  };

export async function quoteSettingsOf(ctx: Context, merchantId: string): Promise<QuoteSettingsRow | null> {
  ctx.auth.requireMerchant('orders:read', merchantId);
  const [row] = await ctx.db
    .select()
    .from(quoteSettings)
    .where(and(eq(quoteSettings.merchantId, merchantId), eq(quoteSettings.livemode, ctx.auth.livemode)));
  return row ?? null;
}

export async function setQuoteSettings(ctx: Context, input: QuoteSettingsInput): Promise<QuoteSettingsRow> {
  ctx.auth.requireMerchant('orders:update', input.merchantId);
  await knownMerchant(ctx.db, input.merchantId, 'input.merchantId');
  const rule = ruleInput(() => validateMarginRule({ kind: input.marginKind, basisPoints: input.marginBasisPoints, amount: input.marginAmount }));
  const marginCurrency = rule.amount ? assertCurrency((input.marginCurrency ?? '').trim().toUpperCase(), 'input.marginCurrency') : null;
  const tax = input.taxBasisPoints ?? 0;
  if (!Number.isSafeInteger(tax) || tax < 0 || tax > 10_000)
    throw badUserInput('input.taxBasisPoints', 'must be a whole number of basis points from 0 to 10000');
  const validityHours = input.validityHours ?? 72;
  if (!Number.isSafeInteger(validityHours) || validityHours < 1 || validityHours > 2160)
    throw badUserInput('input.validityHours', 'must be 1 to 2160 hours (90 days)');
  const text = (value: string | null | undefined, field: string, max: number) => {
    const t = value?.trim() ?? '';
    if (t.length > max) throw badUserInput(field, `must be at most ${max} characters`);
    return t || null;
  };
  const values = {
    merchantId: input.merchantId,
    livemode: ctx.auth.livemode,
    marginKind: rule.kind,
    marginBasisPoints: rule.basisPoints,
    marginAmount: rule.amount,
    marginCurrency,
    taxBasisPoints: tax,
    taxLabel: tax ? (text(input.taxLabel, 'input.taxLabel', 40) ?? 'Tax') : null,
    validityHours,
    brandName: text(input.brandName, 'input.brandName', 120),
    logoUrl: ruleInput(() => validateLogoUrl(input.logoUrl ?? null)),
    primaryColor: ruleInput(() => validateColour(input.primaryColor ?? '#1A1A2E', 'input.primaryColor')),
    accentColor: ruleInput(() => validateColour(input.accentColor ?? '#E94560', 'input.accentColor')),
    updatedAt: new Date(),
  };
  return ctx.mutate(async (uow) => {
    const [before] = await uow.tx
      .select()
      .from(quoteSettings)
      .where(and(eq(quoteSettings.merchantId, input.merchantId), eq(quoteSettings.livemode, ctx.auth.livemode)))
      .for('update');
    const [row] = await uow.tx
      .insert(quoteSettings)
      .values(values)
      .onConflictDoUpdate({ target: [quoteSettings.merchantId, quoteSettings.livemode], set: values })
      .returning();
    uow.audit({
      action: 'quote_settings.set',
      entityType: 'QuoteSettings',
      entityId: `${input.merchantId}:${ctx.auth.livemode ? 'live' : 'test'}`,
      merchantId: input.merchantId,
      livemode: ctx.auth.livemode,
      before: settingsAudit(before ?? null),
      after: settingsAudit(row!),
    });
    return row!;
  });
}

// ─── Request ────────────────────────────────────────────────────────────────────────────────────────────────

export interface QuoteDeliveryInput {
  carrierCode: string;
  serviceLevel: string;
  deliveryMethod: string;
  weightGrams: number;
  lengthMm: number;
  widthMm: number;
  heightMm: number;
  country: string;
  postcode: string;
}

function validDeliveries(input: readonly QuoteDeliveryInput[]): QuoteDelivery[] {
  if (!Array.isArray(input) || input.length === 0) throw badUserInput('input.deliveries', 'must hold at least one delivery');
  if (input.length > MAX_DELIVERIES) throw badUserInput('input.deliveries', `must hold at most ${MAX_DELIVERIES} deliveries`);
  return input.map((d, i) => {
    const f = (name: string) => `input.deliveries[${i}].${name}`;
    const carrierCode = d.carrierCode.trim().toLowerCase();
    if (!/^[a-z0-9_-]{2,32}$/.test(carrierCode)) throw badUserInput(f('carrierCode'), 'must be a carrier code');
    if (!SERVICE_LEVELS.includes(d.serviceLevel)) throw badUserInput(f('serviceLevel'), `must be one of ${SERVICE_LEVELS.join(', ')}`);
    if (!DELIVERY_METHODS.includes(d.deliveryMethod)) throw badUserInput(f('deliveryMethod'), `must be one of ${DELIVERY_METHODS.join(', ')}`);
    for (const k of ['weightGrams', 'lengthMm', 'widthMm', 'heightMm'] as const) {
      if (!Number.isSafeInteger(d[k]) || d[k] < 1 || d[k] > 10_000_000) throw badUserInput(f(k), 'must be a positive whole number');
    }
    const postcode = d.postcode.trim().toUpperCase();
    if (!postcode || postcode.length > 16) throw badUserInput(f('postcode'), 'must be 1 to 16 characters');
    return {
      carrierCode,
      serviceLevel: d.serviceLevel,
      deliveryMethod: d.deliveryMethod,
      weightGrams: d.weightGrams,
      lengthMm: d.lengthMm,
      widthMm: d.widthMm,
      heightMm: d.heightMm,
      country: assertCountry(d.country.trim().toUpperCase(), f('country')),
      postcode,
    };
  });
}

export async function requestQuote(
  ctx: Context,
  input: { merchantId: string; currency: string; deliveries: QuoteDeliveryInput[]; customerName?: string | null; customerEmail?: string | null },
): Promise<QuoteRow> {
  ctx.auth.requireMerchant('orders:create', input.merchantId);
  const currency = assertCurrency(input.currency.trim().toUpperCase(), 'input.currency');
  const deliveries = validDeliveries(input.deliveries);
  const merchant = await knownMerchant(ctx.db, input.merchantId, 'input.merchantId');
  const [settings] = await ctx.db
    .select()
    .from(quoteSettings)
    .where(and(eq(quoteSettings.merchantId, input.merchantId), eq(quoteSettings.livemode, ctx.auth.livemode)));
  if (!settings)
    throw quoteError(
      'QUOTE_NOT_CONFIGURED',
      `merchant ${input.merchantId} has no quote settings (margin rule, validity, branding) in this mode: setQuoteSettings first`,
    );
  if (settings.marginCurrency && settings.marginCurrency !== currency)
    throw badUserInput('input.currency', `the merchant's ${settings.marginKind} margin is set in ${settings.marginCurrency}`);
  const { merchantId: _m, livemode: _l, updatedAt: _u, ...terms } = settings;
  return ctx.mutate(async (uow) => {
    const [row] = await uow.tx
      .insert(quotes)
      .values({
        id: newId('quo'),
        merchantId: input.merchantId,
        livemode: ctx.auth.livemode,
        currency,
        deliveries,
        customerName: input.customerName?.trim() || null,
        customerEmail: input.customerEmail?.trim().toLowerCase() || null,
        terms: { ...terms, brandName: settings.brandName ?? merchant.name },
      })
      .returning();
    const quote = row!;
    uow.audit({
      action: 'quote.request',
      entityType: 'Quote',
      entityId: quote.id,
      merchantId: quote.merchantId,
      livemode: quote.livemode,
      before: null,
      after: { currency, deliveries: deliveries.length, marginKind: settings.marginKind },
    });
    uow.emit({
      type: 'quote.requested',
      subjectId: quote.id,
      merchantId: quote.merchantId,
      livemode: quote.livemode,
      payload: {
        quote_id: quote.id,
        merchant: merchant.slug,
        merchant_id: quote.merchantId,
        currency,
        deliveries: deliveries.map((d) => ({
          carrier: d.carrierCode,
          service_level: d.serviceLevel,
          delivery_method: d.deliveryMethod,
          weight_grams: d.weightGrams,
          dimensions_mm: { length: d.lengthMm, width: d.widthMm, height: d.heightMm },
          destination: { country: d.country, postcode: d.postcode },
        })),
      },
    });
    return quote;
  });
}

// ─── Pricing answers from logistics and finance ─────────────────────────────────────────────────────────────

export async function consumeQuoteEvents(db: Db, bus: EventBus, logger: Logger, kick: () => void): Promise<Subscription> {
  return bus.consume('commerce-quotes', (event) => applyQuoteEvent(db, event, logger, kick));
}

const minorOf = (value: unknown): number | null => {
  const m = (value as { amount_minor?: unknown } | null | undefined)?.amount_minor;
  return typeof m === 'number' && Number.isSafeInteger(m) && m >= 0 ? m : null;
};

export async function applyQuoteEvent(db: Db, event: BusEvent, logger: Logger, kick: () => void = () => {}): Promise<void> {
  const carrier = event.type === 'quote.carrier_priced' && event.source === 'logistics';
  const fee = event.type === 'quote.fee_priced' && event.source === 'finance';
  if (!carrier && !fee) return;
  const quoteId = typeof event.payload.quote_id === 'string' ? event.payload.quote_id : null;
  if (!quoteId) return;
  await runMutation(db, { audit: { auditLog, auditHead }, outbox, afterEvents: kick }, systemActor(`events:${event.type}`, event.livemode), async (uow) => {
    const [before] = await uow.tx.select().from(quotes).where(eq(quotes.id, quoteId)).for('update');
    if (!before || before.livemode !== event.livemode) {
      logger.warn({ eventId: event.id, quoteId }, 'pricing for a quote commerce does not have');
      return;
    }
    if (before.status !== 'PRICING') return;
    const slug = String(event.payload.merchant ?? '');
    const refuse = async (code: string, reason: string) => {
      const [after] = await uow.tx
        .update(quotes)
        .set({ status: 'REFUSED', refusalCode: code, refusalReason: reason, updatedAt: new Date() })
        .where(eq(quotes.id, quoteId))
        .returning();
      uow.audit({
        action: 'quote.refuse',
        entityType: 'Quote',
        entityId: quoteId,
        merchantId: before.merchantId,
        livemode: before.livemode,
        before: { status: before.status },
        after: { status: after!.status, code, reason },
      });
      uow.emit({
        type: 'quote.refused',
        subjectId: quoteId,
        merchantId: before.merchantId,
        livemode: before.livemode,
        payload: { quote_id: quoteId, merchant: slug, code, reason },
      });
    };
    const part = carrier ? event.payload.carrier_cost : event.payload.fee;
    const failure = (carrier ? event.payload.no_tariff : event.payload.no_fee) as { code?: string; message?: string } | undefined;
    if (failure) return refuse(String(failure.code ?? (carrier ? 'NO_TARIFF' : 'NO_FEE')), String(failure.message ?? ''));
    const amount = minorOf(part);
    if (amount === null || (part as { currency?: unknown }).currency !== before.currency) {
      return refuse(carrier ? 'NO_TARIFF' : 'NO_FEE', `the ${carrier ? 'carrier cost' : 'IPAY fee'} is not in ${before.currency}`);
    }
    const perDelivery =
      carrier && Array.isArray(event.payload.deliveries) ? (event.payload.deliveries as { total?: unknown }[]).map((d) => minorOf(d.total)) : null;
    if (
      carrier &&
      (!perDelivery ||
        perDelivery.length !== before.deliveries.length ||
        perDelivery.some((m) => m === null) ||
        perDelivery.reduce<number>((a, b) => a + (b ?? 0), 0) !== amount)
    ) {
      return refuse('NO_TARIFF', 'the carrier cost does not itemise every delivery');
    }
    const set: Partial<QuoteRow> = carrier
      ? { carrierCost: amount, carrierCosts: perDelivery as number[] }
      : { ipayFee: amount, feeScheduleId: typeof event.payload.fee_schedule_id === 'string' ? event.payload.fee_schedule_id : null };
    const carrierCost = set.carrierCost ?? before.carrierCost;
    const ipayFee = set.ipayFee ?? before.ipayFee;
    if (carrierCost !== null && ipayFee !== null) {
      const terms = before.terms;
      const totals = quoteTotals(
        { carrierCost, ipayFee },
        { kind: terms.marginKind, basisPoints: terms.marginBasisPoints, amount: terms.marginAmount },
        terms.taxBasisPoints,
      );
      const issuedAt = new Date();
      Object.assign(set, {
        status: 'ISSUED',
        marginAmount: totals.margin,
        taxAmount: totals.tax,
        totalAmount: totals.total,
        issuedAt,
        validUntil: new Date(issuedAt.getTime() + terms.validityHours * 3_600_000),
      });
    }
    const [after] = await uow.tx
      .update(quotes)
      .set({ ...set, updatedAt: new Date() })
      .where(eq(quotes.id, quoteId))
      .returning();
    const q = after!;
    uow.audit({
      action: carrier ? 'quote.carrier_priced' : 'quote.fee_priced',
      entityType: 'Quote',
      entityId: quoteId,
      merchantId: q.merchantId,
      livemode: q.livemode,
      before: { status: before.status },
      after: { status: q.status, carrierCost: q.carrierCost, ipayFee: q.ipayFee, margin: q.marginAmount, tax: q.taxAmount, total: q.totalAmount },
    });
    if (q.status === 'ISSUED') {
      uow.emit({
        type: 'quote.issued',
        subjectId: quoteId,
        merchantId: q.merchantId,
        livemode: q.livemode,
        payload: {
          quote_id: quoteId,
          merchant: slug,
          carrier_cost: wireMoney(q.carrierCost!, q.currency),
          ipay_fee: wireMoney(q.ipayFee!, q.currency),
          margin: wireMoney(q.marginAmount!, q.currency),
          tax: wireMoney(q.taxAmount!, q.currency),
          total: wireMoney(q.totalAmount!, q.currency),
          valid_until: q.validUntil!.toISOString(),
        },
      });
    }
  });
}

// ─── Acceptance ─────────────────────────────────────────────────────────────────────────────────────────────

export interface AcceptQuoteInput {
  merchantReference: string;
  customer: OrderInput['customer'];
  shippingAddress: OrderInput['shippingAddress'];
}

/** The order lines of an accepted quote: each delivery at its carrier cost, the service (fee + margin), the tax. */
function orderLinesOf(q: QuoteRow, carrierCosts: readonly number[]) {
  const lines = q.deliveries.map((d, i) => ({
    sku: `QUOTE-DELIVERY-${i + 1}`,
    name: `Delivery ${i + 1}: ${d.carrierCode} ${d.serviceLevel.toLowerCase()} to ${d.country} ${d.postcode}`,
    quantity: 1,
    unitAmount: carrierCosts[i]!,
  }));
  lines.push({ sku: 'QUOTE-SERVICE', name: `Service (quote ${q.id})`, quantity: 1, unitAmount: q.ipayFee! + q.marginAmount! });
  if (q.taxAmount) lines.push({ sku: 'QUOTE-TAX', name: q.terms.taxLabel ?? 'Tax', quantity: 1, unitAmount: q.taxAmount });
  return lines.filter((l) => l.unitAmount > 0 || l.sku.startsWith('QUOTE-DELIVERY'));
}

export async function acceptQuote(ctx: Context, id: string, input: AcceptQuoteInput): Promise<{ quote: QuoteRow; orderId: string }> {
  const [head] = await ctx.db
    .select()
    .from(quotes)
    .where(and(eq(quotes.id, id), readableQuotes(ctx)));
  if (!head) throw notFound('Quote', id);
  ctx.auth.requireMerchant('orders:create', head.merchantId, 'Quote', id);
  const merchant = await knownMerchant(ctx.db, head.merchantId);
  return ctx.mutate(async (uow) => {
    const [q] = await uow.tx.select().from(quotes).where(eq(quotes.id, id)).for('update');
    const now = new Date();
    const verdict = quoteAcceptable(q!.status, q!.validUntil, now);
    if (verdict === 'EXPIRED')
      throw quoteError('QUOTE_EXPIRED', `quote ${id} expired at ${q!.validUntil!.toISOString()}; request a new quote`, {
        validUntil: q!.validUntil!.toISOString(),
      });
    if (verdict === 'ACCEPTED') throw quoteError('QUOTE_ALREADY_ACCEPTED', `quote ${id} is already order ${q!.orderId}`, { orderId: q!.orderId });
    if (verdict === 'NOT_ISSUED')
      throw quoteError('QUOTE_NOT_ISSUED', `quote ${id} is ${q!.status}${q!.refusalCode ? ` (${q!.refusalCode})` : ''}; only an issued quote can be accepted`, {
        status: q!.status,
      });
    const lines = orderLinesOf(q!, q!.carrierCosts!);
    // The order is priced with the frozen numbers only: its total must equal the quoted total.
    const valid = validateOrderInput({
      merchantId: q!.merchantId,
      merchantReference: input.merchantReference,
      currency: q!.currency,
      customer: input.customer,
      shippingAddress: input.shippingAddress,
      lines,
      totalAmount: q!.totalAmount!,
    } as OrderInput);
    if (valid.totalAmount !== q!.totalAmount) throw new Error(`quote ${id}: order total ${valid.totalAmount} differs from the quoted ${q!.totalAmount}`);
    const [order] = await insertOrders(uow, [orderRowFor(valid, q!.merchantId, q!.livemode, 'API', now)], () => merchant.slug, 'order.create_from_quote');
    if (!order) throw badUserInput('input.merchantReference', `"${valid.merchantReference}" is already used by another order of this merchant`);
    const [after] = await uow.tx
      .update(quotes)
      .set({ status: 'ACCEPTED', acceptedAt: now, orderId: order.id, updatedAt: sql`now()` })
      .where(eq(quotes.id, id))
      .returning();
    uow.audit({
      action: 'quote.accept',
      entityType: 'Quote',
      entityId: id,
      merchantId: q!.merchantId,
      livemode: q!.livemode,
      before: { status: q!.status },
      after: { status: 'ACCEPTED', orderId: order.id, total: q!.totalAmount },
    });
    uow.emit({
      type: 'quote.accepted',
      subjectId: id,
      merchantId: q!.merchantId,
      livemode: q!.livemode,
      payload: { quote_id: id, merchant: merchant.slug, order_id: order.id, total: wireMoney(q!.totalAmount!, q!.currency) },
    });
    return { quote: after!, orderId: order.id };
  });
}
