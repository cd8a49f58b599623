import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, newId, sandboxId, wireMoney } from '@ipay/platform';
import { applyPaymentState } from '../src/app/engine.ts';
import { settlementLines } from '../src/db/schema.ts';
import { CFO, expectTotalsAreSumsOfLines, linesOf, paid, settlementsOf, startFinance, type FinanceHarness } from './support.ts';

const m = { id: sandboxId('mer', 'fin-test:race'), slug: 'race-shop' };
const logger = createLogger('race', 'silent');

/** The event the consumer would hand the engine (applied directly, many at once, on several connections). */
const paidEvent = (orderId: string, amount: number, paidAt: string) => ({
  id: newId('evt'),
  type: 'order.payment_state_changed' as const,
  merchantId: m.id,
  livemode: false,
  occurredAt: paidAt,
  payload: {
    order_id: orderId,
    merchant: m.slug,
    version: 2,
    state: 'PAID',
    amount_due: wireMoney(amount, 'EUR'),
    captured: wireMoney(amount, 'EUR'),
    refunded: wireMoney(0, 'EUR'),
    outstanding: wireMoney(0, 'EUR'),
    payment_session_id: `pay_${orderId.slice(4)}`,
    psp: 'mollie',
    paid_at: paidAt,
  },
});

// PGlite is a single connection: nothing runs concurrently there, so the race needs a real PostgreSQL server.
describe.skipIf(!process.env.DATABASE_URL)('settlement close racing the engine (PostgreSQL)', () => {
  let h: FinanceHarness;
  beforeAll(async () => {
    h = await startFinance();
  });
  afterAll(() => h?.stop());

  it('no line lands in a settlement after it closed; totals stay the sums of the lines; each order is collected once', async () => {
    await paid(h, m, newId('ord'), 1000, 'EUR', '2026-10-01T08:00:00Z');
    const [october] = await settlementsOf(h.db, m.id);
    const orders = Array.from({ length: 40 }, () => newId('ord'));
    const applying = orders.map((o, i) =>
      applyPaymentState(h.db, paidEvent(o, 1000 + i, `2026-10-${String(2 + (i % 20)).padStart(2, '0')}T10:00:00Z`), logger),
    );
    // The same order announced twice at once is still collected once.
    const twice = [applyPaymentState(h.db, paidEvent(orders[0]!, 1000, '2026-10-02T10:00:00Z'), logger).catch(() => false)];
    const closing = h.gql(
      `mutation($id: ID!) { closeSettlement(id: $id) { status gross { amount } fees { amount } net { amount } lineCount } }`,
      { id: october!.id },
      CFO,
    );
    const [closed] = await Promise.all([closing, Promise.allSettled([...applying, ...twice])]);
    expect(closed.errors).toBeUndefined();
    const fixed = closed.data.closeSettlement;

    const after = await settlementsOf(h.db, m.id);
    expect(after[0]).toMatchObject({
      id: october!.id,
      status: 'CLOSED',
      grossAmount: fixed.gross.amount,
      feeAmount: fixed.fees.amount,
      netAmount: fixed.net.amount,
      lineCount: fixed.lineCount,
    });
    expect((await linesOf(h.db, october!.id)).length).toBe(fixed.lineCount);
    // Orders that lost the race to the close are in the next (November) settlement.
    const inNext = after[1] ? (await linesOf(h.db, after[1].id)).length : 0;
    expect(fixed.lineCount + inNext).toBe(1 + orders.length);
    for (const o of orders) expect((await h.db.select().from(settlementLines).where(eq(settlementLines.orderId, o))).length).toBe(1);
    await expectTotalsAreSumsOfLines(h.db);
  });
});
