import { and, asc, eq, lte } from 'drizzle-orm';
import { badUserInput, notFound, scopeCondition, signedMoney } from '@ipay/platform';
import { approvalThresholds, orderPaymentStates, settlements, type SettlementLineRow, type SettlementRow } from '../db/schema.ts';
import { fourEyesRefusal, needsFourEyes, transition, type SettlementAction, type SettlementStatus } from '../domain/lifecycle.ts';
import { adjustmentLine } from '../domain/settlement.ts';
import type { Context } from '../context.ts';
import { readableSettlements } from '../db/loaders.ts';
import { NothingToApply, type Db, type Uow } from './context.ts';
import { applyAsEngine, ENGINE_ACTOR } from './engine.ts';
import { refusalError } from './errors.ts';
import { addLine, openSettlementFor, settlementEventPayload, settlementSnapshot } from './ledger.ts';

/** The settlement in the caller's scope and mode, locked for the transition; NOT_FOUND outside the scope. */
async function lockSettlement(uow: Uow, ctx: Context, id: string, permission: 'settlements:manage' | 'settlements:approve'): Promise<SettlementRow> {
  const scope = ctx.auth.require(permission);
  const [row] = await uow.tx
    .select()
    .from(settlements)
    .where(and(eq(settlements.id, id), scopeCondition(scope, ctx.auth.livemode, settlements)))
    .for('update');
  if (!row) throw notFound('Settlement', id);
  return row;
}

function move(row: SettlementRow, action: SettlementAction): SettlementStatus {
  const result = transition(row.status as SettlementStatus, action);
  if ('refusal' in result) throw refusalError(result.refusal, { status: row.status });
  return result.to;
}

async function finish(uow: Uow, before: SettlementRow, after: SettlementRow, action: SettlementAction, extra: Record<string, unknown>) {
  uow.audit({
    action: `settlement.${action}`,
    entityType: 'Settlement',
    entityId: after.id,
    merchantId: after.merchantId,
    livemode: after.livemode,
    before: settlementSnapshot(before),
    after: settlementSnapshot(after),
  });
  const type = action === 'close' ? 'settlement.closed' : action === 'approve' ? 'settlement.approved' : 'settlement.paid';
  uow.emit({ type, subjectId: after.id, merchantId: after.merchantId, livemode: after.livemode, payload: { ...settlementEventPayload(after), ...extra } });
  return after;
}

/** OPEN → CLOSED: totals fixed; whether approval needs four eyes is decided now, from the currency's threshold. */
export function closeSettlement(ctx: Context, id: string): Promise<SettlementRow> {
  return ctx.mutate(async (uow) => closeLocked(uow, await lockSettlement(uow, ctx, id, 'settlements:manage'), ctx.auth.requirePrincipal().id));
}

async function closeLocked(uow: Uow, row: SettlementRow, closedBy: string): Promise<SettlementRow> {
  const status = move(row, 'close');
  const [threshold] = await uow.tx.select().from(approvalThresholds).where(eq(approvalThresholds.currency, row.currency));
  const requiresFourEyes = needsFourEyes(row.netAmount, threshold?.amount);
  const [updated] = await uow.tx
    .update(settlements)
    .set({ status, closedAt: new Date(), closedBy, requiresFourEyes })
    .where(eq(settlements.id, row.id))
    .returning();
  return finish(uow, row, updated!, 'close', { closed_by: closedBy, requires_four_eyes: requiresFourEyes });
}

/**
 * The scheduled close: every OPEN settlement whose period ended at least `graceMs` ago is closed by the settlement
 * engine (late facts after that land in the next settlement). Returns the ids closed.
 */
export async function closeDueSettlements(db: Db, now: Date, graceMs: number): Promise<string[]> {
  const due = await db
    .select({ id: settlements.id, livemode: settlements.livemode })
    .from(settlements)
    .where(and(eq(settlements.status, 'OPEN'), lte(settlements.periodEnd, new Date(now.getTime() - graceMs))))
    .orderBy(asc(settlements.periodEnd), asc(settlements.id));
  const closed: string[] = [];
  for (const { id, livemode } of due) {
    const done = await applyAsEngine(db, livemode, async (uow) => {
      const [row] = await uow.tx.select().from(settlements).where(eq(settlements.id, id)).for('update');
      if (!row || row.status !== 'OPEN') throw new NothingToApply();
      await closeLocked(uow, row, ENGINE_ACTOR);
    });
    if (done) closed.push(id);
  }
  return closed;
}

/**
 * CLOSED → APPROVED. Above the threshold (four eyes) only a signed-in person other than the one who closed it may
 * approve; a refusal is itself recorded in the audit trail (`settlement.approval_refused`) before FOUR_EYES_REQUIRED.
 */
export async function approveSettlement(ctx: Context, id: string): Promise<SettlementRow> {
  const approver = ctx.auth.requirePrincipal();
  let refused: ReturnType<typeof fourEyesRefusal> = null;
  const approved = await ctx.mutate(async (uow) => {
    const row = await lockSettlement(uow, ctx, id, 'settlements:approve');
    const status = move(row, 'approve');
    refused = fourEyesRefusal(row, { principalId: approver.id });
    if (refused) {
      uow.audit({
        action: 'settlement.approval_refused',
        entityType: 'Settlement',
        entityId: row.id,
        merchantId: row.merchantId,
        livemode: row.livemode,
        after: { ...settlementSnapshot(row), refusal: refused.reason, approver: approver.id },
      });
      return null;
    }
    const [updated] = await uow.tx
      .update(settlements)
      .set({ status, approvedAt: new Date(), approvedBy: approver.id })
      .where(eq(settlements.id, id))
      .returning();
    return finish(uow, row, updated!, 'approve', { approved_by: approver.id, closed_by: row.closedBy, four_eyes: !!row.requiresFourEyes });
  });
  if (!approved) throw refusalError(refused!);
  return approved;
}

/** APPROVED → PAID with the payout's reference. */
export function markSettlementPaid(ctx: Context, id: string, payoutReference: string): Promise<SettlementRow> {
  const reference = payoutReference.trim();
  if (!reference || reference.length > 140) throw badUserInput('payoutReference', 'must be 1 to 140 characters');
  return ctx.mutate(async (uow) => {
    const row = await lockSettlement(uow, ctx, id, 'settlements:manage');
    const status = move(row, 'pay');
    const paidAt = new Date();
    const [updated] = await uow.tx
      .update(settlements)
      .set({ status, paidAt, paidBy: ctx.auth.requirePrincipal().id, payoutReference: reference })
      .where(eq(settlements.id, id))
      .returning();
    return finish(uow, row, updated!, 'pay', { payout_reference: reference, paid_at: paidAt.toISOString() });
  });
}

export interface AdjustmentInput {
  merchantId: string;
  currency: string;
  amount: number;
  reason: string;
  orderId?: string | null;
  correctsSettlementId?: string | null;
}

/** A correction: an ADJUSTMENT line with its reason in the merchant's open settlement of today's period. */
export function addSettlementAdjustment(ctx: Context, input: AdjustmentInput): Promise<SettlementLineRow> {
  ctx.auth.requireMerchant('settlements:manage', input.merchantId);
  const amount = signedMoney(input.amount, input.currency, 'input.amount');
  if (amount.amount === 0) throw badUserInput('input.amount', 'an adjustment of zero changes nothing');
  const reason = input.reason.trim();
  if (!reason) throw badUserInput('input.reason', 'an adjustment needs a reason');
  return ctx.mutate(async (uow) => {
    let slug = '';
    if (input.correctsSettlementId) {
      const [corrected] = await uow.tx
        .select()
        .from(settlements)
        .where(and(eq(settlements.id, input.correctsSettlementId), readableSettlements(ctx.auth)));
      if (!corrected || corrected.merchantId !== input.merchantId) throw notFound('Settlement', input.correctsSettlementId);
      if (corrected.currency !== amount.currency) throw badUserInput('input.currency', `the corrected settlement is in ${corrected.currency}`);
      slug = corrected.merchantSlug;
    }
    if (!slug) {
      const [known] = await uow.tx.select({ slug: settlements.merchantSlug }).from(settlements).where(eq(settlements.merchantId, input.merchantId)).limit(1);
      const [order] = known
        ? []
        : await uow.tx
            .select({ slug: orderPaymentStates.merchantSlug })
            .from(orderPaymentStates)
            .where(eq(orderPaymentStates.merchantId, input.merchantId))
            .limit(1);
      slug = known?.slug ?? order?.slug ?? '';
    }
    const now = new Date();
    const target = await openSettlementFor(
      uow,
      { merchantId: input.merchantId, merchantSlug: slug, livemode: ctx.auth.livemode, currency: amount.currency },
      now,
    );
    const { line } = await addLine(
      uow,
      target.settlement,
      {
        kind: 'ADJUSTMENT',
        amounts: adjustmentLine(amount),
        orderId: input.orderId ?? null,
        occurredAt: now,
        reason,
        correctsSettlementId: input.correctsSettlementId ?? null,
      },
      target.created,
    );
    return line;
  });
}
