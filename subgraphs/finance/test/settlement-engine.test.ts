import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, sandboxId } from '@ipay/platform';
import { auditLog, outbox, settlementLines, settlements } from '../src/db/schema.ts';
import {
  CFO,
  CONTROLLER,
  OPS_KEY,
  eventually,
  expectTotalsAreSumsOfLines,
  linesOf,
  merchantKey,
  paid,
  publishPaymentState,
  publishRefund,
  settlementsOf,
  startFinance,
  type FinanceHarness,
  type Merchant,
} from './support.ts';

const merchant = (slug: string): Merchant => ({ id: sandboxId('mer', `fin-test:${slug}`), slug });
const ord = () => newId('ord');
const CLOSE = `mutation($id: ID!) { closeSettlement(id: $id) { id status closedBy requiresFourEyes net { amount currency } } }`;
const APPROVE = `mutation($id: ID!) { approveSettlement(id: $id) { id status approvedBy } }`;
const PAY = `mutation($id: ID!, $ref: String!) { markSettlementPaid(id: $id, payoutReference: $ref) { id status payoutReference paidAt } }`;
const FEE = `mutation($input: SetFeeScheduleInput!) { setFeeSchedule(input: $input) { id merchantId currency feePerOrder { amount currency } validFrom } }`;
const THRESHOLD = `mutation($currency: String!, $amount: Int!) { setApprovalThreshold(currency: $currency, amount: $amount) { currency amount { amount currency } } }`;
/** A database refusal: drizzle wraps PostgreSQL's error (the trigger's message) as the cause. */
async function expectRefused(work: Promise<unknown>, message: RegExp) {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).not.toBeNull();
  const messages: string[] = [];
  for (let e = error as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) messages.push(String(e.message));
  expect(messages.join(' | ')).toMatch(message);
}
const code = (body: { errors?: { extensions?: Record<string, any> }[] }) => body.errors?.[0]?.extensions?.code;

describe('settlement engine from payment events', () => {
  let h: FinanceHarness;
  beforeAll(async () => {
    h = await startFinance();
  });
  afterAll(() => h?.stop());

  it('settles fully paid orders less the fee and refunds, tracing each line to order and session (hand-computed)', async () => {
    const m = merchant('acme');
    const [a, b, c] = [ord(), ord(), ord()];
    // a: 78.40 paid 5 Oct; b: 19.90 paid 10 Oct; c: only partly captured (never settled).
    await publishPaymentState(h, m, { orderId: a, version: 1, state: 'UNPAID', currency: 'EUR', due: 7840, captured: 0, sessionId: null });
    await paid(h, m, a, 7840, 'EUR', '2026-10-05T10:00:00Z');
    await paid(h, m, b, 1990, 'EUR', '2026-10-10T10:00:00Z');
    await publishPaymentState(h, m, { orderId: c, version: 1, state: 'PARTIALLY_CAPTURED', currency: 'EUR', due: 5000, captured: 2000, paidAt: null });
    await publishRefund(h, m, { orderId: a, amount: 1000, currency: 'EUR', occurredAt: '2026-10-12T09:00:00Z' });
    // A stale version (1 after 2) and a redelivered refund change nothing.
    await publishPaymentState(h, m, { orderId: b, version: 1, state: 'UNPAID', currency: 'EUR', due: 1990, captured: 0, sessionId: null });
    await expectTotalsAreSumsOfLines(h.db);

    const [october] = await settlementsOf(h.db, m.id);
    expect(october).toMatchObject({
      currency: 'EUR',
      status: 'OPEN',
      periodKind: 'MONTHLY',
      periodStart: new Date('2026-10-01T00:00:00Z'),
      periodEnd: new Date('2026-11-01T00:00:00Z'),
    });
    // gross 7840 + 1990 − 1000 = 8830; fees 2 × 95 = 190; net 8640.
    expect([october!.grossAmount, october!.feeAmount, october!.netAmount, october!.lineCount]).toEqual([8830, 190, 8640, 3]);
    const lines = await linesOf(h.db, october!.id);
    expect(lines.map((l) => [l.kind, l.orderId, l.paymentSessionId, l.grossAmount, l.feeAmount, l.netAmount, l.feeScheduleId])).toEqual([
      ['COLLECTION', a, `pay_${a.slice(4)}`, 7840, 95, 7745, 'fee_platform_eur'],
      ['COLLECTION', b, `pay_${b.slice(4)}`, 1990, 95, 1895, 'fee_platform_eur'],
      ['REFUND', a, `pay_${a.slice(4)}`, -1000, 0, -1000, null],
    ]);
    expect(lines[2]!.refundId).toMatch(/^rfd_/);
    expect((await h.db.select().from(settlementLines).where(eq(settlementLines.orderId, c))).length).toBe(0);

    // settlement.created went out with its catalogue fields.
    const [created] = await h.db.select().from(outbox).where(eq(outbox.subjectId, october!.id));
    expect(created!.type).toBe('settlement.created');
    expect(created!.payload).toMatchObject({
      settlement_id: october!.id,
      merchant: 'acme',
      currency: 'EUR',
      period: { kind: 'MONTHLY', start: '2026-10-01T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z' },
      gross: { amount_minor: 7840 },
    });

    // Through GraphQL, the merchant reads its own settlement.
    const read = await h.gql(
      `query($id: ID!) { settlement(id: $id) { status gross { amount currency } fees { amount } net { amount } lineCount lines { kind order { id } paymentSessionId net { amount currency } } } }`,
      { id: october!.id },
      merchantKey(m.id),
    );
    expect(read.data.settlement).toMatchObject({
      status: 'OPEN',
      gross: { amount: 8830, currency: 'EUR' },
      fees: { amount: 190 },
      net: { amount: 8640 },
      lineCount: 3,
    });
    expect(code(await h.gql(`query($id: ID!) { settlement(id: $id) { id } }`, { id: october!.id }, merchantKey(merchant('other').id)))).toBe('NOT_FOUND');
  });

  it('a refund that arrives before the order is fully paid waits for the collection', async () => {
    const m = merchant('early-refund');
    const o = ord();
    await publishRefund(h, m, { orderId: o, amount: 500, currency: 'EUR', occurredAt: '2026-10-03T09:00:00Z' });
    expect(await settlementsOf(h.db, m.id)).toEqual([]);
    await publishPaymentState(h, m, {
      orderId: o,
      version: 3,
      state: 'PARTIALLY_REFUNDED',
      currency: 'EUR',
      due: 3000,
      captured: 3000,
      refunded: 500,
      paidAt: '2026-10-02T09:00:00Z',
    });
    const [s] = await settlementsOf(h.db, m.id);
    expect([s!.grossAmount, s!.feeAmount, s!.netAmount, s!.lineCount]).toEqual([2500, 95, 2405, 2]);
    await expectTotalsAreSumsOfLines(h.db);
  });

  it('applies a fee change from its date: scheduled ahead, and re-pricing the open period when set mid-period', async () => {
    const m = merchant('fee-change');
    // Scheduled before the orders: 0.80 from 15 Oct.
    const ahead = await h.gql(
      FEE,
      { input: { merchantId: m.id, currency: 'EUR', feePerOrder: 80, validFrom: '2026-10-15T00:00:00Z', reason: 'volume tier' } },
      OPS_KEY,
    );
    expect(ahead.data.setFeeSchedule).toMatchObject({ merchantId: m.id, feePerOrder: { amount: 80, currency: 'EUR' } });
    const [o1, o2, o3] = [ord(), ord(), ord()];
    await paid(h, m, o1, 5000, 'EUR', '2026-10-03T12:00:00Z'); // platform 0.95
    await paid(h, m, o2, 5000, 'EUR', '2026-10-20T12:00:00Z'); // 0.80
    await paid(h, m, o3, 5000, 'EUR', '2026-10-28T12:00:00Z'); // 0.80, then 0.50 from 25 Oct (set below)
    let [s] = await settlementsOf(h.db, m.id);
    expect([s!.feeAmount, s!.netAmount]).toEqual([95 + 80 + 80, 15000 - 255]);
    // Set mid-period: 0.50 from 25 Oct re-prices o3 only.
    const mid = await h.gql(FEE, { input: { merchantId: m.id, currency: 'EUR', feePerOrder: 50, validFrom: '2026-10-25T00:00:00Z' } }, OPS_KEY);
    expect(mid.errors).toBeUndefined();
    [s] = await settlementsOf(h.db, m.id);
    expect([s!.feeAmount, s!.netAmount]).toEqual([95 + 80 + 50, 15000 - 225]);
    expect((await linesOf(h.db, s!.id)).map((l) => l.feeAmount)).toEqual([95, 80, 50]);
    await expectTotalsAreSumsOfLines(h.db);
    // Merchants cannot set their own fees; audit trail has the change.
    expect(code(await h.gql(FEE, { input: { merchantId: m.id, currency: 'EUR', feePerOrder: 1, validFrom: '2026-10-26T00:00:00Z' } }, merchantKey(m.id)))).toBe(
      'FORBIDDEN',
    );
    const trail = await h.db.select().from(auditLog).where(eq(auditLog.action, 'fee_schedule.set'));
    expect(trail.filter((r) => r.merchantId === m.id)).toHaveLength(2);
    expect(trail.find((r) => r.merchantId === m.id)!.principalId).toBe('key_ops');
    const schedule = await h.gql(
      `query($m: ID!) { feeSchedule(merchantId: $m, currency: "EUR") { id merchantId feePerOrder { amount } } }`,
      { m: m.id },
      merchantKey(m.id),
    );
    expect(schedule.data.feeSchedule.map((e: any) => [e.merchantId, e.feePerOrder.amount])).toEqual([
      [null, 95],
      [m.id, 80],
      [m.id, 50],
    ]);
  });

  it('keeps one settlement per currency, zero-decimal JPY and three-decimal KWD included', async () => {
    const m = merchant('multi');
    await paid(h, m, ord(), 7840, 'EUR', '2026-10-05T10:00:00Z');
    await paid(h, m, ord(), 12000, 'JPY', '2026-10-06T10:00:00Z');
    await paid(h, m, ord(), 3480, 'JPY', '2026-10-07T10:00:00Z');
    await paid(h, m, ord(), 12345, 'KWD', '2026-10-08T10:00:00Z');
    const all = await settlementsOf(h.db, m.id);
    expect(all.map((s) => [s.currency, s.grossAmount, s.feeAmount, s.netAmount])).toEqual([
      ['EUR', 7840, 95, 7745],
      ['JPY', 15480, 300, 15180],
      ['KWD', 12345, 350, 11995],
    ]);
    await expectTotalsAreSumsOfLines(h.db);
  });

  it('closes, approves with four eyes, pays; immutable once approved; a refund after payout is a negative line of the next settlement', async () => {
    const m = merchant('lifecycle');
    const [a, b] = [ord(), ord()];
    await paid(h, m, a, 7840, 'EUR', '2026-09-05T10:00:00Z');
    await paid(h, m, b, 1990, 'EUR', '2026-09-10T10:00:00Z');
    const [september] = await settlementsOf(h.db, m.id);
    const id = september!.id;
    expect((await h.gql(THRESHOLD, { currency: 'EUR', amount: 5000 }, OPS_KEY)).data.setApprovalThreshold).toEqual({
      currency: 'EUR',
      amount: { amount: 5000, currency: 'EUR' },
    });

    expect(code(await h.gql(APPROVE, { id }, CONTROLLER))).toBe('SETTLEMENT_INVALID_TRANSITION');
    expect(code(await h.gql(CLOSE, { id }, merchantKey(m.id)))).toBe('FORBIDDEN');
    const closed = await h.gql(CLOSE, { id }, CFO);
    expect(closed.data.closeSettlement).toEqual({ id, status: 'CLOSED', closedBy: 'usr_cfo', requiresFourEyes: true, net: { amount: 9640, currency: 'EUR' } });

    // Four eyes: not the closer, not an API key; refusals are audited.
    const same = await h.gql(APPROVE, { id }, CFO);
    expect(same.errors?.[0]?.extensions).toMatchObject({ code: 'FOUR_EYES_REQUIRED', reason: 'SAME_PERSON' });
    const key = await h.gql(APPROVE, { id }, OPS_KEY);
    expect(key.errors?.[0]?.extensions).toMatchObject({ code: 'FOUR_EYES_REQUIRED', reason: 'APPROVER_NOT_A_PERSON' });
    expect(code(await h.gql(APPROVE, { id }, merchantKey(m.id)))).toBe('FORBIDDEN');
    const approved = await h.gql(APPROVE, { id }, CONTROLLER);
    expect(approved.data.approveSettlement).toEqual({ id, status: 'APPROVED', approvedBy: 'usr_controller' });
    const trail = await h.db.select().from(auditLog).where(eq(auditLog.entityId, id)).orderBy(auditLog.position);
    expect(trail.map((r) => [r.action, r.principalId])).toEqual(
      expect.arrayContaining([
        ['settlement.close', 'usr_cfo'],
        ['settlement.approval_refused', 'usr_cfo'],
        ['settlement.approval_refused', 'key_ops'],
        ['settlement.approve', 'usr_controller'],
      ]),
    );

    // Immutable at the database, whatever the application does.
    await expectRefused(h.db.update(settlements).set({ netAmount: 1, grossAmount: 96 }).where(eq(settlements.id, id)), /APPROVED: it is immutable/);
    await expectRefused(
      h.db
        .insert(settlementLines)
        .values({ id: newId('sli'), settlementId: id, kind: 'ADJUSTMENT', grossAmount: 1, feeAmount: 0, netAmount: 1, reason: 'sneaky' }),
      /no line can be added/,
    );
    await expectRefused(h.db.delete(settlementLines).where(eq(settlementLines.settlementId, id)), /lines are fixed/);
    await expectRefused(h.db.delete(settlements).where(eq(settlements.id, id)), /cannot be deleted/);
    await expectRefused(h.db.update(settlements).set({ status: 'OPEN' }).where(eq(settlements.id, id)), /cannot move from APPROVED to OPEN/);

    const paidOut = await h.gql(PAY, { id, ref: 'SEPA-2026-10-001' }, OPS_KEY);
    expect(paidOut.data.markSettlementPaid).toMatchObject({ id, status: 'PAID', payoutReference: 'SEPA-2026-10-001' });
    expect(code(await h.gql(PAY, { id, ref: 'again' }, OPS_KEY))).toBe('SETTLEMENT_INVALID_TRANSITION');
    const events = await h.db.select().from(outbox).where(eq(outbox.subjectId, id)).orderBy(outbox.id);
    expect(events.map((e) => e.type)).toEqual(['settlement.created', 'settlement.closed', 'settlement.approved', 'settlement.paid']);
    expect(events[3]!.payload).toMatchObject({
      settlement_id: id,
      status: 'PAID',
      payout_reference: 'SEPA-2026-10-001',
      net: { amount: 96.4, amount_minor: 9640, currency: 'EUR' },
    });

    // Refund of b dated inside September, after the payout: a negative line of the next (October) settlement.
    const refundId = await publishRefund(h, m, { orderId: b, amount: 1990, currency: 'EUR', occurredAt: '2026-09-20T09:00:00Z' });
    // A collection paid in September that arrives late also lands in October.
    const late = ord();
    await paid(h, m, late, 3000, 'EUR', '2026-09-29T10:00:00Z');
    const after = await settlementsOf(h.db, m.id);
    expect(after.map((s) => [s.periodStart.toISOString().slice(0, 10), s.status, s.grossAmount, s.feeAmount, s.netAmount])).toEqual([
      ['2026-09-01', 'PAID', 9830, 190, 9640],
      ['2026-10-01', 'OPEN', -1990 + 3000, 95, -1990 + 2905],
    ]);
    const next = await linesOf(h.db, after[1]!.id);
    expect(next.map((l) => [l.kind, l.orderId, l.refundId, l.netAmount])).toEqual([
      ['REFUND', b, refundId, -1990],
      ['COLLECTION', late, null, 2905],
    ]);

    // A correction of the paid settlement is an adjustment line with a reason in an open settlement.
    const ADJUST = `mutation($input: SettlementAdjustmentInput!) { addSettlementAdjustment(input: $input) { kind reason correctsSettlementId net { amount currency } } }`;
    expect(code(await h.gql(ADJUST, { input: { merchantId: m.id, currency: 'EUR', amount: -250, reason: ' ', correctsSettlementId: id } }, OPS_KEY))).toBe(
      'BAD_USER_INPUT',
    );
    const adjusted = await h.gql(
      ADJUST,
      { input: { merchantId: m.id, currency: 'EUR', amount: -250, reason: 'shipping fee charged twice in September', correctsSettlementId: id } },
      OPS_KEY,
    );
    expect(adjusted.data.addSettlementAdjustment).toEqual({
      kind: 'ADJUSTMENT',
      reason: 'shipping fee charged twice in September',
      correctsSettlementId: id,
      net: { amount: -250, currency: 'EUR' },
    });
    await expectTotalsAreSumsOfLines(h.db);

    // A fee change cannot reach back into a settlement that is no longer open.
    expect(code(await h.gql(FEE, { input: { merchantId: m.id, currency: 'EUR', feePerOrder: 10, validFrom: '2026-09-15T00:00:00Z' } }, OPS_KEY))).toBe(
      'FEE_PERIOD_CLOSED',
    );
  });

  it('below the threshold the closer may approve alone', async () => {
    const m = merchant('small');
    await h.gql(THRESHOLD, { currency: 'EUR', amount: 5000 }, OPS_KEY);
    await paid(h, m, ord(), 2000, 'EUR', '2026-08-05T10:00:00Z');
    const [s] = await settlementsOf(h.db, m.id);
    expect((await h.gql(CLOSE, { id: s!.id }, CFO)).data.closeSettlement).toMatchObject({ requiresFourEyes: false });
    expect((await h.gql(APPROVE, { id: s!.id }, CFO)).data.approveSettlement).toMatchObject({ status: 'APPROVED', approvedBy: 'usr_cfo' });
  });

  it('refuses totals that differ from the sum of the lines at commit (deferred database check)', async () => {
    const m = merchant('tamper');
    await paid(h, m, ord(), 2000, 'EUR', '2026-10-05T10:00:00Z');
    const [s] = await settlementsOf(h.db, m.id);
    await expectRefused(
      h.db.update(settlements).set({ grossAmount: 2100, netAmount: 2005 }).where(eq(settlements.id, s!.id)),
      /differ from the sum of its lines/,
    );
    await expectRefused(
      h.db
        .insert(settlementLines)
        .values({ id: newId('sli'), settlementId: s!.id, kind: 'COLLECTION', orderId: ord(), grossAmount: 100, feeAmount: 0, netAmount: 100 }),
      /differ from the sum of its lines/,
    );
    // Lines and totals moved together commit.
    await h.db.transaction(async (tx) => {
      await tx
        .insert(settlementLines)
        .values({ id: newId('sli'), settlementId: s!.id, kind: 'ADJUSTMENT', grossAmount: 100, feeAmount: 0, netAmount: 100, reason: 'test' });
      await tx
        .update(settlements)
        .set({ grossAmount: sql`gross_amount + 100`, netAmount: sql`net_amount + 100`, lineCount: sql`line_count + 1` })
        .where(eq(settlements.id, s!.id));
    });
    await expectTotalsAreSumsOfLines(h.db);
  });

  it('the scheduled close closes settlements whose period ended, as the settlement engine', async () => {
    const m = merchant('auto-close');
    await paid(h, m, ord(), 2000, 'EUR', '2026-07-05T10:00:00Z');
    const closed = await h.services.closeDue(new Date('2026-08-02T00:00:00Z'));
    const [s] = await settlementsOf(h.db, m.id);
    expect(closed).toContain(s!.id);
    expect(s).toMatchObject({ status: 'CLOSED', closedBy: 'system:settlement-engine' });
    // Any person may then approve it (the engine is not a person).
    await h.gql(THRESHOLD, { currency: 'EUR', amount: 0 }, OPS_KEY);
    expect((await h.gql(APPROVE, { id: s!.id }, CFO)).data.approveSettlement.status).toBe('APPROVED');
  });

  it('the scheduled close runs as the settlement-close job on the platform queue', async () => {
    const m = merchant('job-close');
    await paid(h, m, ord(), 1500, 'EUR', '2026-06-05T10:00:00Z');
    const jobId = await h.server.jobs.send('settlement-close', {});
    await eventually(async () => (await h.server.jobs.job('settlement-close', jobId!))?.state === 'completed');
    const [s] = await settlementsOf(h.db, m.id);
    expect(s).toMatchObject({ status: 'CLOSED', closedBy: 'system:settlement-engine' });
  });
});
