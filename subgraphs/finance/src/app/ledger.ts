import { and, asc, desc, eq, gt, inArray, lt, lte, sql } from 'drizzle-orm';
import { newId, signedMoney, wireMoney } from '@ipay/platform';
import {
  feeSchedules,
  settlementLines,
  settlementSettings,
  settlements,
  type FeeScheduleRow,
  type SettlementLineRow,
  type SettlementRow,
} from '../db/schema.ts';
import { feeInForce, PLATFORM_MERCHANT } from '../domain/fees.ts';
import { acceptsLines, type SettlementStatus } from '../domain/lifecycle.ts';
import { periodContaining, type PeriodKind } from '../domain/periods.ts';
import type { LineAmounts, LineKind } from '../domain/settlement.ts';
import type { Db, Uow } from './context.ts';

/** The payload fields every settlement event carries (catalogue: settlement.*). */
export function settlementEventPayload(s: SettlementRow) {
  return {
    settlement_id: s.id,
    merchant: s.merchantSlug || s.merchantId,
    merchant_id: s.merchantId,
    period: { kind: s.periodKind, start: s.periodStart.toISOString(), end: s.periodEnd.toISOString() },
    currency: s.currency,
    status: s.status,
    gross: wireMoney(s.grossAmount, s.currency),
    fees: wireMoney(s.feeAmount, s.currency),
    net: wireMoney(s.netAmount, s.currency),
    line_count: s.lineCount,
  };
}

/** A settlement as the audit trail records it. */
export const settlementSnapshot = (s: SettlementRow) => ({
  status: s.status,
  currency: s.currency,
  periodStart: s.periodStart.toISOString(),
  periodEnd: s.periodEnd.toISOString(),
  gross: s.grossAmount,
  fees: s.feeAmount,
  net: s.netAmount,
  lineCount: s.lineCount,
  closedBy: s.closedBy,
  requiresFourEyes: s.requiresFourEyes,
  approvedBy: s.approvedBy,
  paidBy: s.paidBy,
  payoutReference: s.payoutReference,
});

export async function periodKindOf(tx: Db, merchantId: string): Promise<PeriodKind> {
  const [row] = await tx.select().from(settlementSettings).where(eq(settlementSettings.merchantId, merchantId));
  return row?.periodKind ?? 'MONTHLY';
}

export interface SettlementKey {
  merchantId: string;
  merchantSlug: string;
  livemode: boolean;
  currency: string;
}

/**
 * The OPEN settlement a fact of instant `at` belongs to, locked for update: the one whose period contains `at`; if
 * that one is closed already, the next one after it (a late refund lands in the next settlement). A missing period
 * is created (clipped so that it never overlaps a neighbour when the merchant's period kind changed), and
 * `settlement.created` is emitted for it by `addLine`.
 */
export async function openSettlementFor(uow: Uow, key: SettlementKey, at: Date): Promise<{ settlement: SettlementRow; created: boolean }> {
  const tx = uow.tx;
  const kind = await periodKindOf(tx, key.merchantId);
  const same = and(eq(settlements.merchantId, key.merchantId), eq(settlements.livemode, key.livemode), eq(settlements.currency, key.currency));
  let instant = at;
  for (let hops = 0; hops < 10_000; hops++) {
    const [containing] = await tx
      .select()
      .from(settlements)
      .where(and(same, lte(settlements.periodStart, instant), gt(settlements.periodEnd, instant)))
      .for('update');
    if (containing) {
      if (acceptsLines(containing.status as SettlementStatus)) return { settlement: containing, created: false };
      instant = containing.periodEnd;
      continue;
    }
    const period = periodContaining(kind, instant);
    const [before] = await tx
      .select({ end: settlements.periodEnd })
      .from(settlements)
      .where(and(same, lte(settlements.periodEnd, instant), gt(settlements.periodEnd, period.start)))
      .orderBy(desc(settlements.periodEnd))
      .limit(1);
    const [after] = await tx
      .select({ start: settlements.periodStart })
      .from(settlements)
      .where(and(same, gt(settlements.periodStart, instant), lt(settlements.periodStart, period.end)))
      .orderBy(asc(settlements.periodStart))
      .limit(1);
    const start = before ? before.end : period.start;
    const end = after ? after.start : period.end;
    const inserted = await tx
      .insert(settlements)
      .values({
        id: newId('stl'),
        ...key,
        periodKind: kind,
        periodStart: start,
        periodEnd: end,
        status: 'OPEN',
        grossAmount: 0,
        feeAmount: 0,
        netAmount: 0,
        lineCount: 0,
      })
      .onConflictDoNothing()
      .returning();
    if (inserted[0]) return { settlement: inserted[0], created: true };
    // Another transaction created it meanwhile: take that one (locked) on the next round.
  }
  throw new Error('no open settlement period found');
}

export interface NewLine {
  kind: LineKind;
  amounts: LineAmounts;
  orderId?: string | null;
  paymentSessionId?: string | null;
  refundId?: string | null;
  feeScheduleId?: string | null;
  occurredAt: Date;
  reason?: string | null;
  correctsSettlementId?: string | null;
}

/**
 * Adds a line to an OPEN settlement and moves its totals by the line's amounts in the same statement set, so the
 * totals stay the sums of the lines (the deferred database check verifies it at commit). Audited; emits
 * `settlement.created` for a settlement this transaction created.
 */
export async function addLine(
  uow: Uow,
  settlement: SettlementRow,
  line: NewLine,
  created: boolean,
): Promise<{ line: SettlementLineRow; settlement: SettlementRow }> {
  const tx = uow.tx;
  const { gross, fee, net } = line.amounts;
  if (gross.currency !== settlement.currency) throw new Error(`a ${gross.currency} line cannot go into a ${settlement.currency} settlement`);
  const [row] = await tx
    .insert(settlementLines)
    .values({
      id: newId('sli'),
      settlementId: settlement.id,
      kind: line.kind,
      orderId: line.orderId ?? null,
      paymentSessionId: line.paymentSessionId ?? null,
      refundId: line.refundId ?? null,
      grossAmount: gross.amount,
      feeAmount: fee.amount,
      netAmount: net.amount,
      feeScheduleId: line.feeScheduleId ?? null,
      occurredAt: line.occurredAt,
      reason: line.reason ?? null,
      correctsSettlementId: line.correctsSettlementId ?? null,
    })
    .returning();
  const [updated] = await tx
    .update(settlements)
    .set({
      grossAmount: sql`${settlements.grossAmount} + ${gross.amount}`,
      feeAmount: sql`${settlements.feeAmount} + ${fee.amount}`,
      netAmount: sql`${settlements.netAmount} + ${net.amount}`,
      lineCount: sql`${settlements.lineCount} + 1`,
    })
    .where(eq(settlements.id, settlement.id))
    .returning();
  uow.audit({
    action: created ? 'settlement.create' : 'settlement.add_line',
    entityType: 'Settlement',
    entityId: settlement.id,
    merchantId: settlement.merchantId,
    livemode: settlement.livemode,
    before: created ? undefined : settlementSnapshot(settlement),
    after: {
      ...settlementSnapshot(updated!),
      line: {
        id: row!.id,
        kind: row!.kind,
        orderId: row!.orderId,
        paymentSessionId: row!.paymentSessionId,
        refundId: row!.refundId,
        gross: row!.grossAmount,
        fee: row!.feeAmount,
        net: row!.netAmount,
        reason: row!.reason,
      },
    },
  });
  if (created)
    uow.emit({
      type: 'settlement.created',
      subjectId: settlement.id,
      merchantId: settlement.merchantId,
      livemode: settlement.livemode,
      payload: settlementEventPayload(updated!),
    });
  return { line: row!, settlement: updated! };
}

/** Every fee entry of a merchant and the platform's, for one currency. */
export async function feeEntries(tx: Db, merchantId: string, currency: string): Promise<FeeScheduleRow[]> {
  return tx
    .select()
    .from(feeSchedules)
    .where(and(inArray(feeSchedules.merchantId, [merchantId, PLATFORM_MERCHANT]), eq(feeSchedules.currency, currency)));
}

/** The fee in force for a merchant's order collected at `at`, or null when no schedule covers it. */
export async function feeFor(tx: Db, merchantId: string, currency: string, at: Date) {
  const entry = feeInForce(await feeEntries(tx, merchantId, currency), merchantId, currency, at);
  return entry ? { entry, fee: signedMoney(entry.feeAmount, currency) } : null;
}
