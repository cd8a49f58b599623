import { and, desc, eq, gte, isNull, lt, ne, sql } from 'drizzle-orm';
import { badUserInput, domainError, newId, notFound, scopeCondition, wireMoney, type UnitOfWork } from '@ipay/platform';
import type { Context } from '../context.ts';
import {
  merchants,
  orders,
  retentionOffers,
  returnReasons,
  returns,
  storeCredits,
  type AcceptedOffer,
  type OrderRow,
  type RetentionOfferRow,
  type ReturnReasonRow,
  type ReturnRow,
} from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { transitionForEvent } from '../domain/order-status.ts';
import {
  REASON_CODE,
  RETURNABLE_ORDER_STATUSES,
  REVERSES_SALE,
  ReturnInputError,
  assertReturnTransition,
  offersFor,
  orderStatusAfterReturns,
  returnLinesFor,
  returnValue,
  validateOfferRule,
  type RetentionOfferKind,
  type ReturnMethod,
  type ReturnStatus,
} from '../domain/returns.ts';
import { transitionOrder } from './orders.ts';

type Uow = UnitOfWork<typeof schema>;
type Tx = Uow['tx'];

const MAX_TEXT = 1000;

export const inputError = (error: unknown): never => {
  if (error instanceof ReturnInputError) throw badUserInput(error.field, error.message);
  throw error;
};

/** The readable returns of the caller, in its mode (the same scope as orders). */
export const readableReturns = (ctx: Pick<Context, 'auth'>) => scopeCondition(ctx.auth.require('orders:read'), ctx.auth.livemode, returns);

/** What the audit trail keeps of a return. */
export const returnAuditView = (r: ReturnRow) => ({
  orderId: r.orderId,
  status: r.status,
  method: r.method,
  reasonCode: r.reasonCode,
  outcome: r.outcome,
  value: r.valueAmount,
  currency: r.currency,
  lines: r.lines.map((l) => `${l.sku}×${l.quantity}`),
  acceptedOffer: r.acceptedOffer?.offerId ?? null,
  trackingNumber: r.trackingNumber,
  inspectionApproved: r.inspectionApproved,
  refundRequested: r.refundRequestedAmount,
  refunded: r.refundedAmount,
  refundFailure: r.refundFailureCode,
  storeCredit: r.storeCreditAmount,
});

/** The `return` object of every return.* event. */
export const returnPayload = (r: ReturnRow) => ({
  id: r.id,
  status: r.status,
  method: r.method,
  reason_code: r.reasonCode,
  outcome: r.outcome,
  value: wireMoney(r.valueAmount, r.currency),
  lines: r.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unit_amount: wireMoney(l.unitAmount, r.currency) })),
});

export const offerPayload = (o: AcceptedOffer, currency: string) => ({
  id: o.offerId,
  kind: o.kind,
  refund: wireMoney(o.refundAmount, currency),
  store_credit: wireMoney(o.storeCreditAmount, currency),
  saved: wireMoney(o.savedAmount, currency),
  goods_returned: o.goodsReturned,
});

export async function merchantSlugOf(tx: Tx | Context['db'], merchantId: string): Promise<string> {
  const [m] = await tx.select({ slug: merchants.slug }).from(merchants).where(eq(merchants.id, merchantId));
  return m?.slug ?? merchantId;
}

/** Emits one return.* event for a return. */
export function emitReturn(uow: Uow, type: Parameters<Uow['emit']>[0]['type'], r: ReturnRow, slug: string, extra: Record<string, unknown> = {}) {
  uow.emit({
    type,
    subjectId: r.id,
    merchantId: r.merchantId,
    livemode: r.livemode,
    payload: { order_id: r.orderId, merchant: slug, return: returnPayload(r), ...extra },
  });
}

/** Moves a locked return to `to` (state machine checked), audits it and returns the new row. */
export async function moveReturn(
  uow: Uow,
  before: ReturnRow,
  to: ReturnStatus,
  action: string,
  set: Partial<typeof returns.$inferInsert> = {},
): Promise<ReturnRow> {
  assertReturnTransition(before.status, to);
  const [after] = await uow.tx
    .update(returns)
    .set({ ...set, status: to, updatedAt: new Date() })
    .where(and(eq(returns.id, before.id), eq(returns.status, before.status)))
    .returning();
  uow.audit({
    action,
    entityType: 'Return',
    entityId: before.id,
    merchantId: before.merchantId,
    livemode: before.livemode,
    before: returnAuditView(before),
    after: returnAuditView(after!),
  });
  return after!;
}

/** Updates a locked return without changing its status (confirmation, offer, refund failure) and audits it. */
async function updateReturn(uow: Uow, before: ReturnRow, action: string, set: Partial<typeof returns.$inferInsert>): Promise<ReturnRow> {
  const [after] = await uow.tx
    .update(returns)
    .set({ ...set, updatedAt: new Date() })
    .where(eq(returns.id, before.id))
    .returning();
  uow.audit({
    action,
    entityType: 'Return',
    entityId: before.id,
    merchantId: before.merchantId,
    livemode: before.livemode,
    before: returnAuditView(before),
    after: returnAuditView(after!),
  });
  return after!;
}

export async function lockReturn(tx: Tx, id: string): Promise<ReturnRow | undefined> {
  const [row] = await tx.select().from(returns).where(eq(returns.id, id)).for('update');
  return row;
}

/** A return the caller may change (orders:update over its merchant); outside the scope it does not exist. */
async function returnForUpdate(ctx: Context, id: string): Promise<ReturnRow> {
  const row = await ctx.loaders.returnById.load(id);
  if (!row) throw notFound('Return', id);
  ctx.auth.requireMerchant('orders:update', row.merchantId, 'Return', id);
  return row;
}

// ─── Reasons and offers (merchant configuration) ────────────────────────────────────────────────────────────

const reasonAudit = (r: ReturnReasonRow) => ({ code: r.code, label: r.label, requiresText: r.requiresText, archived: r.archivedAt !== null });
const offerAudit = (o: RetentionOfferRow) => ({
  kind: o.kind,
  partialRefundBps: o.partialRefundBps,
  bonusBps: o.bonusBps,
  reasonCodes: o.reasonCodes,
  active: o.active,
});

function labelOf(label: string | null | undefined): string {
  const text = (label ?? '').trim();
  if (!text || text.length > 200) throw badUserInput('label', 'must be 1 to 200 characters');
  return text;
}

export async function createReturnReason(
  ctx: Context,
  merchantId: string,
  input: { code: string; label: string; requiresText?: boolean | null },
): Promise<ReturnReasonRow> {
  ctx.auth.requireMerchant('orders:update', merchantId);
  const code = input.code.trim().toUpperCase();
  if (!REASON_CODE.test(code)) throw badUserInput('code', 'must be 2 to 40 of A–Z, 0–9 and _, starting with a letter');
  const label = labelOf(input.label);
  return ctx.mutate(async (uow) => {
    const [row] = await uow.tx
      .insert(returnReasons)
      .values({ id: newId('rrs'), merchantId, livemode: ctx.auth.livemode, code, label, requiresText: input.requiresText ?? false })
      .onConflictDoNothing()
      .returning();
    if (!row) throw badUserInput('code', `the merchant already has a return reason ${code}`);
    uow.audit({
      action: 'return_reason.create',
      entityType: 'ReturnReason',
      entityId: row.id,
      merchantId,
      livemode: row.livemode,
      before: null,
      after: reasonAudit(row),
    });
    return row;
  });
}

async function reasonForUpdate(ctx: Context, id: string): Promise<ReturnReasonRow> {
  const scope = ctx.auth.require('orders:update');
  const [row] = await ctx.db
    .select()
    .from(returnReasons)
    .where(and(eq(returnReasons.id, id), scopeCondition(scope, ctx.auth.livemode, returnReasons)));
  if (!row) throw notFound('ReturnReason', id);
  return row;
}

export async function updateReturnReason(
  ctx: Context,
  id: string,
  input: { label?: string | null; requiresText?: boolean | null },
  archive = false,
): Promise<ReturnReasonRow> {
  const before = await reasonForUpdate(ctx, id);
  const set: Partial<typeof returnReasons.$inferInsert> = { updatedAt: new Date() };
  if (input.label !== undefined && input.label !== null) set.label = labelOf(input.label);
  if (input.requiresText !== undefined && input.requiresText !== null) set.requiresText = input.requiresText;
  if (archive) set.archivedAt = before.archivedAt ?? new Date();
  return ctx.mutate(async (uow) => {
    const [after] = await uow.tx.update(returnReasons).set(set).where(eq(returnReasons.id, id)).returning();
    uow.audit({
      action: archive ? 'return_reason.archive' : 'return_reason.update',
      entityType: 'ReturnReason',
      entityId: id,
      merchantId: before.merchantId,
      livemode: before.livemode,
      before: reasonAudit(before),
      after: reasonAudit(after!),
    });
    return after!;
  });
}

async function offerValues(
  ctx: Context,
  merchantId: string,
  input: {
    kind: RetentionOfferKind;
    partialRefundBps?: number | null;
    bonusBps?: number | null;
    reasonCodes?: readonly string[] | null;
    active?: boolean | null;
  },
) {
  const rule = (() => {
    try {
      return validateOfferRule(input);
    } catch (error) {
      return inputError(error);
    }
  })();
  let reasonCodes: string[] | null = null;
  if (input.reasonCodes) {
    reasonCodes = [...new Set(input.reasonCodes.map((c) => c.trim().toUpperCase()))];
    if (!reasonCodes.length) throw badUserInput('reasonCodes', 'leave it out for every reason, or name at least one');
    const known = new Set(
      (
        await ctx.db
          .select({ code: returnReasons.code })
          .from(returnReasons)
          .where(and(eq(returnReasons.merchantId, merchantId), eq(returnReasons.livemode, ctx.auth.livemode)))
      ).map((r) => r.code),
    );
    const unknown = reasonCodes.filter((c) => !known.has(c));
    if (unknown.length) throw badUserInput('reasonCodes', `not reasons of this merchant: ${unknown.join(', ')}`);
  }
  return { kind: input.kind, ...rule, reasonCodes, active: input.active ?? true };
}

export async function createRetentionOffer(ctx: Context, merchantId: string, input: Parameters<typeof offerValues>[2]): Promise<RetentionOfferRow> {
  ctx.auth.requireMerchant('orders:update', merchantId);
  const values = await offerValues(ctx, merchantId, input);
  return ctx.mutate(async (uow) => {
    const [row] = await uow.tx
      .insert(retentionOffers)
      .values({ id: newId('rof'), merchantId, livemode: ctx.auth.livemode, ...values })
      .returning();
    uow.audit({
      action: 'retention_offer.create',
      entityType: 'RetentionOffer',
      entityId: row!.id,
      merchantId,
      livemode: row!.livemode,
      before: null,
      after: offerAudit(row!),
    });
    return row!;
  });
}

async function offerForUpdate(ctx: Context, id: string): Promise<RetentionOfferRow> {
  const scope = ctx.auth.require('orders:update');
  const [row] = await ctx.db
    .select()
    .from(retentionOffers)
    .where(and(eq(retentionOffers.id, id), scopeCondition(scope, ctx.auth.livemode, retentionOffers)));
  if (!row) throw notFound('RetentionOffer', id);
  return row;
}

export async function updateRetentionOffer(ctx: Context, id: string, input: Parameters<typeof offerValues>[2]): Promise<RetentionOfferRow> {
  const before = await offerForUpdate(ctx, id);
  const values = await offerValues(ctx, before.merchantId, input);
  return ctx.mutate(async (uow) => {
    const [after] = await uow.tx
      .update(retentionOffers)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(retentionOffers.id, id))
      .returning();
    uow.audit({
      action: 'retention_offer.update',
      entityType: 'RetentionOffer',
      entityId: id,
      merchantId: before.merchantId,
      livemode: before.livemode,
      before: offerAudit(before),
      after: offerAudit(after!),
    });
    return after!;
  });
}

export async function deleteRetentionOffer(ctx: Context, id: string): Promise<RetentionOfferRow> {
  const before = await offerForUpdate(ctx, id);
  return ctx.mutate(async (uow) => {
    await uow.tx.delete(retentionOffers).where(eq(retentionOffers.id, id));
    uow.audit({
      action: 'retention_offer.delete',
      entityType: 'RetentionOffer',
      entityId: id,
      merchantId: before.merchantId,
      livemode: before.livemode,
      before: offerAudit(before),
      after: null,
    });
    return before;
  });
}

// ─── The return's life ──────────────────────────────────────────────────────────────────────────────────────

export interface RequestReturnArgs {
  orderId: string;
  lines?: readonly { sku: string; quantity: number }[] | null;
  reasonCode: string;
  reasonText?: string | null;
  method: ReturnMethod;
}

/** Units of each SKU that other returns of the order (not rejected) already claim. */
async function claimedUnits(tx: Tx, orderId: string): Promise<Map<string, number>> {
  const rows = await tx
    .select({ lines: returns.lines })
    .from(returns)
    .where(and(eq(returns.orderId, orderId), ne(returns.status, 'REJECTED')));
  const claimed = new Map<string, number>();
  for (const r of rows) for (const l of r.lines) claimed.set(l.sku, (claimed.get(l.sku) ?? 0) + l.quantity);
  return claimed;
}

export async function requestReturn(ctx: Context, args: RequestReturnArgs): Promise<ReturnRow> {
  const order = await ctx.loaders.orderById.load(args.orderId);
  if (!order) throw notFound('Order', args.orderId);
  ctx.auth.requireMerchant('orders:update', order.merchantId, 'Order', args.orderId);
  if (!RETURNABLE_ORDER_STATUSES.includes(order.status)) {
    throw domainError('ORDER_NOT_RETURNABLE', `orderId: an order in status ${order.status} cannot be returned (only ${RETURNABLE_ORDER_STATUSES.join(', ')})`, {
      field: 'orderId',
    });
  }
  const reasonCode = args.reasonCode.trim().toUpperCase();
  const [reason] = await ctx.db
    .select()
    .from(returnReasons)
    .where(
      and(
        eq(returnReasons.merchantId, order.merchantId),
        eq(returnReasons.livemode, order.livemode),
        eq(returnReasons.code, reasonCode),
        isNull(returnReasons.archivedAt),
      ),
    );
  if (!reason) throw badUserInput('reasonCode', `"${reasonCode}" is not one of the merchant's return reasons`);
  const reasonText = args.reasonText?.trim() || null;
  if (reasonText && reasonText.length > MAX_TEXT) throw badUserInput('reasonText', `must be at most ${MAX_TEXT} characters`);
  if (reason.requiresText && !reasonText) throw badUserInput('reasonText', `is required with the reason ${reasonCode}`);
  const rules = await ctx.db
    .select()
    .from(retentionOffers)
    .where(and(eq(retentionOffers.merchantId, order.merchantId), eq(retentionOffers.livemode, order.livemode), eq(retentionOffers.active, true)));
  const slug = await merchantSlugOf(ctx.db, order.merchantId);

  return ctx.mutate(async (uow) => {
    // The order row lock serialises returns of one order: two cannot both claim the last unit.
    const [locked] = await uow.tx.select().from(orders).where(eq(orders.id, order.id)).for('update');
    if (!locked || !RETURNABLE_ORDER_STATUSES.includes(locked.status))
      throw domainError('ORDER_NOT_RETURNABLE', `orderId: the order is ${locked?.status ?? 'gone'}`, { field: 'orderId' });
    let lines;
    try {
      lines = returnLinesFor(locked.lines, args.lines, await claimedUnits(uow.tx, order.id));
    } catch (error) {
      return inputError(error);
    }
    const value = returnValue(lines);
    const offers = offersFor(rules, reasonCode, value);
    const now = new Date();
    const [row] = await uow.tx
      .insert(returns)
      .values({
        id: newId('ret'),
        orderId: order.id,
        merchantId: order.merchantId,
        livemode: order.livemode,
        status: 'REQUESTED',
        method: args.method,
        reasonCode,
        reasonText,
        lines,
        currency: order.currency,
        valueAmount: value,
        offeredOffers: offers,
        // Nothing to offer: the return goes ahead at once.
        confirmedAt: offers.length ? null : now,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    const created = row!;
    uow.audit({
      action: 'return.request',
      entityType: 'Return',
      entityId: created.id,
      merchantId: created.merchantId,
      livemode: created.livemode,
      before: null,
      after: returnAuditView(created),
    });
    emitReturn(uow, 'return.initiated', created, slug, { offers: offers.map((o) => offerPayload(o, created.currency)) });
    if (!offers.length) emitReturn(uow, 'return.confirmed', created, slug);
    return created;
  });
}

function assertOpen(row: ReturnRow): void {
  if (row.confirmedAt) throw domainError('RETURN_ALREADY_CONFIRMED', `return ${row.id} was already confirmed (${row.outcome})`, { field: 'id' });
  if (row.status !== 'REQUESTED') throw domainError('RETURN_ALREADY_CONFIRMED', `return ${row.id} is ${row.status}`, { field: 'id' });
}

export async function confirmReturn(ctx: Context, id: string): Promise<ReturnRow> {
  await returnForUpdate(ctx, id);
  return ctx.mutate(async (uow) => {
    const before = (await lockReturn(uow.tx, id))!;
    assertOpen(before);
    const after = await updateReturn(uow, before, 'return.confirm', { confirmedAt: new Date(), outcome: 'REFUND' });
    emitReturn(uow, 'return.confirmed', after, await merchantSlugOf(uow.tx, after.merchantId));
    return after;
  });
}

export async function acceptRetentionOffer(ctx: Context, id: string, offerId: string): Promise<ReturnRow> {
  await returnForUpdate(ctx, id);
  return ctx.mutate(async (uow) => {
    const before = (await lockReturn(uow.tx, id))!;
    assertOpen(before);
    const offer = before.offeredOffers.find((o) => o.offerId === offerId);
    if (!offer) throw domainError('RETENTION_OFFER_NOT_AVAILABLE', `offerId: ${offerId} is not one of the offers of return ${id}`, { field: 'offerId' });
    const after = await updateReturn(uow, before, 'return.accept_offer', {
      confirmedAt: new Date(),
      outcome: offer.kind,
      acceptedOffer: offer,
      ...(offer.kind === 'PARTIAL_REFUND' ? { refundRequestedAmount: offer.refundAmount } : {}),
    });
    const slug = await merchantSlugOf(uow.tx, after.merchantId);
    uow.emit({
      type: 'retention.offer.accepted',
      subjectId: after.id,
      merchantId: after.merchantId,
      livemode: after.livemode,
      payload: {
        order_id: after.orderId,
        merchant: slug,
        offer: offerPayload(offer, after.currency),
        return: returnPayload(after),
        reason_code: after.reasonCode,
      },
    });
    if (offer.goodsReturned) emitReturn(uow, 'return.confirmed', after, slug);
    else emitReturn(uow, 'return.refund_requested', after, slug, { amount: wireMoney(offer.refundAmount, after.currency) });
    return after;
  });
}

export async function inspectReturn(ctx: Context, id: string, approved: boolean, note: string | null | undefined): Promise<ReturnRow> {
  await returnForUpdate(ctx, id);
  const text = note?.trim() || null;
  if (text && text.length > MAX_TEXT) throw badUserInput('note', `must be at most ${MAX_TEXT} characters`);
  if (!approved && !text) throw badUserInput('note', 'say why the goods are rejected');
  return ctx.mutate(async (uow) => {
    const before = (await lockReturn(uow.tx, id))!;
    const slug = await merchantSlugOf(uow.tx, before.merchantId);
    const inspected = await moveReturn(uow, before, 'INSPECTED', 'return.inspect', {
      inspectionApproved: approved,
      inspectionNote: text,
      inspectedAt: new Date(),
    });
    emitReturn(uow, 'return.inspected', inspected, slug, { approved, ...(text ? { note: text } : {}) });
    if (!approved) {
      const rejected = await moveReturn(uow, inspected, 'REJECTED', 'return.reject');
      emitReturn(uow, 'return.rejected', rejected, slug, { reason: text });
      return rejected;
    }
    let result = inspected;
    switch (inspected.outcome) {
      case 'REFUND':
        // Refunded when payments' refund.created comes back (src/app/return-events.ts).
        result = await updateReturn(uow, inspected, 'return.request_refund', { refundRequestedAmount: inspected.valueAmount });
        emitReturn(uow, 'return.refund_requested', result, slug, { amount: wireMoney(inspected.valueAmount, inspected.currency) });
        break;
      case 'EXCHANGE':
        result = await moveReturn(uow, inspected, 'EXCHANGED', 'return.exchange');
        emitReturn(uow, 'return.completed', result, slug, { outcome: 'EXCHANGE' });
        break;
      case 'STORE_CREDIT': {
        const amount = inspected.acceptedOffer?.storeCreditAmount ?? inspected.valueAmount;
        const [order] = await uow.tx.select({ email: orders.customerEmail }).from(orders).where(eq(orders.id, inspected.orderId));
        await uow.tx.insert(storeCredits).values({
          id: newId('scr'),
          merchantId: inspected.merchantId,
          livemode: inspected.livemode,
          returnId: inspected.id,
          customerEmail: order?.email ?? null,
          amount,
          currency: inspected.currency,
        });
        result = await moveReturn(uow, inspected, 'CREDITED', 'return.credit', { storeCreditAmount: amount });
        emitReturn(uow, 'return.completed', result, slug, { outcome: 'STORE_CREDIT', store_credit: wireMoney(amount, inspected.currency) });
        break;
      }
      case 'PARTIAL_REFUND':
        throw new Error(`return ${id} kept its goods (PARTIAL_REFUND) and cannot have been received`);
    }
    if (REVERSES_SALE.includes(result.outcome)) await settleOrderAfterReturn(uow, result.orderId, slug);
    return result;
  });
}

/** Moves the order to PARTIALLY_RETURNED / RETURNED from the goods accepted back so far (in this transaction). */
async function settleOrderAfterReturn(uow: Uow, orderId: string, slug: string): Promise<OrderRow | null> {
  const [order] = await uow.tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  if (!order) return null;
  const accepted = await uow.tx
    .select({ lines: returns.lines })
    .from(returns)
    .where(and(eq(returns.orderId, orderId), eq(returns.inspectionApproved, true), sql`${returns.outcome} in ('REFUND', 'STORE_CREDIT')`));
  const back = new Map<string, number>();
  for (const r of accepted) for (const l of r.lines) back.set(l.sku, (back.get(l.sku) ?? 0) + l.quantity);
  const to = orderStatusAfterReturns(order.lines, back);
  if (!to) return null;
  const decision = transitionForEvent(order.status, to);
  if (decision.kind === 'ignore') return null;
  return transitionOrder(uow, orderId, to, { action: `order.${to.toLowerCase()}`, merchantSlug: slug });
}

// ─── Retention analytics ────────────────────────────────────────────────────────────────────────────────────

export async function retentionStats(ctx: Context, merchantId: string, from: Date | null | undefined, to: Date | null | undefined) {
  ctx.auth.requireMerchant('orders:read', merchantId);
  if (from && to && from >= to) throw badUserInput('to', 'must be after from');
  const rows = await ctx.db
    .select({
      currency: returns.currency,
      reasonCode: returns.reasonCode,
      returns: sql<number>`count(*)::int`,
      retained: sql<number>`count(*) filter (where ${returns.acceptedOffer} is not null)::int`,
      saved: sql<number>`coalesce(sum((${returns.acceptedOffer}->>'savedAmount')::int), 0)::int`,
    })
    .from(returns)
    .where(
      and(
        readableReturns(ctx),
        eq(returns.merchantId, merchantId),
        sql`${returns.confirmedAt} is not null`,
        from ? gte(returns.confirmedAt, from) : undefined,
        to ? lt(returns.confirmedAt, to) : undefined,
      ),
    )
    .groupBy(returns.currency, returns.reasonCode)
    .orderBy(returns.currency, returns.reasonCode);
  const rate = (retained: number, total: number) => (total ? retained / total : 0);
  const byCurrency = new Map<string, typeof rows>();
  for (const r of rows) byCurrency.set(r.currency, [...(byCurrency.get(r.currency) ?? []), r]);
  return [...byCurrency].map(([currency, list]) => {
    const total = list.reduce((s, r) => s + r.returns, 0);
    const retained = list.reduce((s, r) => s + r.retained, 0);
    const saved = list.reduce((s, r) => s + r.saved, 0);
    return {
      merchant: { id: merchantId },
      currency,
      returns: total,
      retained,
      retentionRate: rate(retained, total),
      savedRevenue: { amount: saved, currency },
      byReason: list.map((r) => ({
        reasonCode: r.reasonCode,
        returns: r.returns,
        retained: r.retained,
        retentionRate: rate(r.retained, r.returns),
        savedRevenue: { amount: r.saved, currency },
      })),
    };
  });
}

export async function listReturns(ctx: Context, merchantId: string, status: ReturnStatus | null | undefined, first: number) {
  ctx.auth.requireMerchant('orders:read', merchantId);
  if (!Number.isSafeInteger(first) || first < 1 || first > 100) throw badUserInput('first', 'must be 1 to 100');
  return ctx.db
    .select()
    .from(returns)
    .where(and(readableReturns(ctx), eq(returns.merchantId, merchantId), status ? eq(returns.status, status) : undefined))
    .orderBy(desc(returns.createdAt), desc(returns.id))
    .limit(first);
}
