import { and, eq, gt, gte, inArray, lt, ne, sql } from 'drizzle-orm';
import { assertCurrency, badUserInput, money, newId } from '@ipay/platform';
import { approvalThresholds, feeSchedules, settlementLines, settlementSettings, settlements, type FeeScheduleRow } from '../db/schema.ts';
import { feeInForce, PLATFORM_MERCHANT } from '../domain/fees.ts';
import type { PeriodKind } from '../domain/periods.ts';
import { collectionLine } from '../domain/settlement.ts';
import type { Context } from '../context.ts';
import type { Uow } from './context.ts';
import { refusalError } from './errors.ts';
import { feeEntries, settlementSnapshot } from './ledger.ts';

export interface FeeScheduleInput {
  merchantId?: string | null;
  currency: string;
  feePerOrder: number;
  validFrom: Date;
  validTo?: Date | null;
  reason?: string | null;
}

/**
 * A fee schedule entry from `validFrom` (IPAY staff only). It may not reach back into a settlement that is no longer
 * OPEN (FEE_PERIOD_CLOSED): closed totals never change. Orders of open settlements paid from `validFrom` on are
 * re-priced in the same transaction, so a change mid-period applies from its date.
 */
export function setFeeSchedule(ctx: Context, input: FeeScheduleInput): Promise<FeeScheduleRow> {
  const merchantId = input.merchantId ?? PLATFORM_MERCHANT;
  if (merchantId) ctx.auth.requireMerchant('settlements:manage', merchantId);
  else if (ctx.auth.require('settlements:manage').kind !== 'ALL')
    throw badUserInput('input.merchantId', 'the platform schedule is set by platform staff with full scope');
  const fee = money(input.feePerOrder, assertCurrency(input.currency, 'input.currency'), 'input.feePerOrder');
  if (Number.isNaN(input.validFrom.getTime())) throw badUserInput('input.validFrom', 'must be an instant');
  if (input.validTo && input.validTo.getTime() <= input.validFrom.getTime()) throw badUserInput('input.validTo', 'must be after validFrom');
  return ctx.mutate(async (uow) => {
    const tx = uow.tx;
    const affected = and(
      eq(settlements.currency, fee.currency),
      merchantId ? eq(settlements.merchantId, merchantId) : undefined,
      gt(settlements.periodEnd, input.validFrom),
      input.validTo ? lt(settlements.periodStart, input.validTo) : undefined,
    );
    const [closed] = await tx
      .select({ id: settlements.id, status: settlements.status })
      .from(settlements)
      .where(and(affected, ne(settlements.status, 'OPEN')))
      .limit(1);
    if (closed) {
      throw refusalError(
        {
          code: 'FEE_PERIOD_CLOSED',
          message: `settlement ${closed.id} of that time is ${closed.status}: a fee change cannot reach back into it (correct it with an adjustment)`,
        },
        { field: 'input.validFrom' },
      );
    }
    const [taken] = await tx
      .select({ id: feeSchedules.id })
      .from(feeSchedules)
      .where(and(eq(feeSchedules.merchantId, merchantId), eq(feeSchedules.currency, fee.currency), eq(feeSchedules.validFrom, input.validFrom)));
    if (taken) throw badUserInput('input.validFrom', `entry ${taken.id} already starts at that instant`);
    const [entry] = await tx
      .insert(feeSchedules)
      .values({
        id: newId('fee'),
        merchantId,
        currency: fee.currency,
        feeAmount: fee.amount,
        validFrom: input.validFrom,
        validTo: input.validTo ?? null,
        reason: input.reason?.trim() || null,
        createdBy: ctx.auth.requirePrincipal().id,
      })
      .returning();
    uow.audit({
      action: 'fee_schedule.set',
      entityType: 'FeeSchedule',
      entityId: entry!.id,
      merchantId: merchantId || null,
      after: {
        merchantId: merchantId || null,
        currency: entry!.currency,
        feeAmount: entry!.feeAmount,
        validFrom: entry!.validFrom.toISOString(),
        validTo: entry!.validTo?.toISOString() ?? null,
        reason: entry!.reason,
      },
    });
    await repriceOpenLines(uow, merchantId, fee.currency, input.validFrom);
    return entry!;
  });
}

/** Re-prices the collection lines of OPEN settlements collected from `from` on with the fee now in force for them. */
async function repriceOpenLines(uow: Uow, merchantId: string, currency: string, from: Date) {
  const tx = uow.tx;
  const open = await tx
    .select()
    .from(settlements)
    .where(
      and(
        eq(settlements.status, 'OPEN'),
        eq(settlements.currency, currency),
        merchantId ? eq(settlements.merchantId, merchantId) : undefined,
        gt(settlements.periodEnd, from),
      ),
    )
    .for('update');
  if (!open.length) return;
  const lines = await tx
    .select()
    .from(settlementLines)
    .where(
      and(
        inArray(
          settlementLines.settlementId,
          open.map((s) => s.id),
        ),
        eq(settlementLines.kind, 'COLLECTION'),
        gte(settlementLines.occurredAt, from),
      ),
    );
  const entriesByMerchant = new Map<string, Awaited<ReturnType<typeof feeEntries>>>();
  for (const settlement of open) {
    const mine = lines.filter((l) => l.settlementId === settlement.id);
    if (!mine.length) continue;
    if (!entriesByMerchant.has(settlement.merchantId)) entriesByMerchant.set(settlement.merchantId, await feeEntries(tx, settlement.merchantId, currency));
    const entries = entriesByMerchant.get(settlement.merchantId)!;
    let feeDelta = 0;
    let changed = 0;
    for (const line of mine) {
      const entry = feeInForce(entries, settlement.merchantId, currency, line.occurredAt);
      if (!entry || entry.id === line.feeScheduleId) continue;
      const amounts = collectionLine(money(line.grossAmount, currency), money(entry.feeAmount, currency));
      if (amounts.fee.amount === line.feeAmount && entry.id === line.feeScheduleId) continue;
      await tx
        .update(settlementLines)
        .set({ feeAmount: amounts.fee.amount, netAmount: amounts.net.amount, feeScheduleId: entry.id })
        .where(eq(settlementLines.id, line.id));
      feeDelta += amounts.fee.amount - line.feeAmount;
      changed += 1;
    }
    if (!changed) continue;
    const [updated] = await tx
      .update(settlements)
      .set({ feeAmount: sql`${settlements.feeAmount} + ${feeDelta}`, netAmount: sql`${settlements.netAmount} - ${feeDelta}` })
      .where(eq(settlements.id, settlement.id))
      .returning();
    uow.audit({
      action: 'settlement.reprice',
      entityType: 'Settlement',
      entityId: settlement.id,
      merchantId: settlement.merchantId,
      livemode: settlement.livemode,
      before: settlementSnapshot(settlement),
      after: { ...settlementSnapshot(updated!), repricedLines: changed },
    });
  }
}

export function setSettlementPeriod(ctx: Context, merchantId: string, periodKind: PeriodKind) {
  ctx.auth.requireMerchant('settlements:manage', merchantId);
  return ctx.mutate(async (uow) => {
    const [before] = await uow.tx.select().from(settlementSettings).where(eq(settlementSettings.merchantId, merchantId));
    const values = { merchantId, periodKind, updatedAt: new Date() };
    await uow.tx.insert(settlementSettings).values(values).onConflictDoUpdate({ target: settlementSettings.merchantId, set: values });
    uow.audit({
      action: 'settlement_settings.set',
      entityType: 'SettlementSettings',
      entityId: merchantId,
      merchantId,
      before: before ? { periodKind: before.periodKind } : { periodKind: 'MONTHLY' },
      after: { periodKind },
    });
    return { merchantId, periodKind };
  });
}

export function setApprovalThreshold(ctx: Context, currency: string, amount: number) {
  if (ctx.auth.require('settlements:manage').kind !== 'ALL') throw badUserInput('currency', 'thresholds are set by platform staff with full scope');
  const threshold = money(amount, assertCurrency(currency), 'amount');
  return ctx.mutate(async (uow) => {
    const [before] = await uow.tx.select().from(approvalThresholds).where(eq(approvalThresholds.currency, threshold.currency));
    const [row] = await uow.tx
      .insert(approvalThresholds)
      .values({ currency: threshold.currency, amount: threshold.amount, updatedAt: new Date() })
      .onConflictDoUpdate({ target: approvalThresholds.currency, set: { amount: threshold.amount, updatedAt: new Date() } })
      .returning();
    uow.audit({
      action: 'approval_threshold.set',
      entityType: 'ApprovalThreshold',
      entityId: threshold.currency,
      merchantId: null,
      before: before ? { amount: before.amount } : undefined,
      after: { amount: threshold.amount },
    });
    return row!;
  });
}
