import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, openDatabase, wireMoney, type Database, type DatabaseHandle } from '@ipay/platform';
import { createTestDatabase, type TestDatabase } from '@ipay/platform/testing';
import { applyPaymentState } from '../src/app/engine.ts';
import * as schema from '../src/db/schema.ts';

/**
 * Migration 0009 folds `settlement_orders` (the settlement engine's copy of each order's payment state) into
 * `order_payment_states` (the controls' copy): one row per order, the higher version winning, nothing lost.
 */
const MIGRATIONS = fileURLToPath(new URL('../drizzle', import.meta.url));

/** The migrations folder as it was before 0009. */
function foldersUpTo(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'finance-drizzle-'));
  cpSync(MIGRATIONS, dir, { recursive: true });
  const journal = JSON.parse(readFileSync(join(dir, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  const end = journal.entries.findIndex((e) => e.tag === tag);
  journal.entries = journal.entries.slice(0, end + 1);
  writeFileSync(join(dir, 'meta/_journal.json'), JSON.stringify(journal));
  return dir;
}

const MERCHANT = 'mer_fold';

describe('migration 0009: one order payment state projection', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle<typeof schema>;
  let db: Database<typeof schema>;
  let before: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    handle = openDatabase(database.target, { schema });
    db = handle.db;
    before = foldersUpTo('0008_quote_engine');
    await handle.migrate('finance', before);
    const so = (orderId: string, version: number, state: string, captured: number, paidAt: string | null) =>
      db.execute(
        sql.raw(`insert into finance.settlement_orders (order_id, merchant_id, merchant_slug, livemode, version, state, currency, amount_due, captured, refunded, payment_session_id, psp, paid_at, last_event_id, updated_at)
         values ('${orderId}', '${MERCHANT}', 'fold-shop', false, ${version}, '${state}', 'EUR', 5000, ${captured}, 0, 'pay_${orderId}', 'adyen', ${paidAt ? `'${paidAt}'` : 'null'}, 'evt_${orderId}_${version}', '2026-10-05T10:00:00Z')`),
      );
    const ops = (orderId: string, version: number, state: string, captured: number, paidAt: string | null) =>
      db.execute(
        sql.raw(`insert into finance.order_payment_states (order_id, merchant_id, livemode, version, state, fully_paid, currency, amount_due_minor, captured_minor, refunded_minor, payment_session_id, paid_at, updated_at)
         values ('${orderId}', '${MERCHANT}', false, ${version}, '${state}', ${state === 'PAID'}, 'EUR', 5000, ${captured}, 0, 'pay_${orderId}', ${paidAt ? `'${paidAt}'` : 'null'}, '2026-10-06T10:00:00Z')`),
      );
    // Only the engine knew it; the engine ahead; the controls ahead (the engine had not caught up yet); only the controls.
    await so('ord_engine_only', 2, 'PAID', 5000, '2026-10-05T09:00:00Z');
    await so('ord_engine_ahead', 3, 'PARTIALLY_REFUNDED', 5000, '2026-10-05T09:00:00Z');
    await ops('ord_engine_ahead', 2, 'PAID', 5000, '2026-10-05T09:00:00Z');
    await so('ord_controls_ahead', 1, 'PARTIALLY_CAPTURED', 3000, null);
    await ops('ord_controls_ahead', 2, 'PAID', 5000, '2026-10-06T09:00:00Z');
    await ops('ord_controls_only', 1, 'UNPAID', 0, null);
    await handle.migrate('finance', MIGRATIONS);
  });
  afterAll(async () => {
    await handle?.close();
    await database?.cleanup();
    if (before) rmSync(before, { recursive: true, force: true });
  });

  it('keeps every order once, with the higher version and what only the engine knew', async () => {
    const rows = await db.select().from(schema.orderPaymentStates).orderBy(asc(schema.orderPaymentStates.orderId));
    const view = rows.map((r) => [
      r.orderId,
      r.version,
      r.state,
      r.fullyPaid,
      r.capturedMinor,
      r.merchantSlug,
      r.psp,
      r.lastEventId,
      r.paidAt?.toISOString() ?? null,
    ]);
    expect(view).toEqual([
      ['ord_controls_ahead', 2, 'PAID', true, 5000, 'fold-shop', 'adyen', null, '2026-10-06T09:00:00.000Z'],
      ['ord_controls_only', 1, 'UNPAID', false, 0, '', null, null, null],
      ['ord_engine_ahead', 3, 'PARTIALLY_REFUNDED', true, 5000, 'fold-shop', 'adyen', 'evt_ord_engine_ahead_3', '2026-10-05T09:00:00.000Z'],
      ['ord_engine_only', 2, 'PAID', true, 5000, 'fold-shop', 'adyen', 'evt_ord_engine_only_2', '2026-10-05T09:00:00.000Z'],
    ]);
    // postgres-js answers rows as an array, PGlite as { rows }.
    const answer = (await db.execute(sql`select to_regclass('finance.settlement_orders')::text as t`)) as unknown as
      { t: string | null }[] | { rows: { t: string | null }[] };
    expect(Array.isArray(answer) ? answer : answer.rows).toEqual([{ t: null }]);
  });

  it('collects an order the folded projection holds as fully paid once the engine receives its event', async () => {
    const event = {
      id: 'evt_ord_controls_ahead_2',
      type: 'order.payment_state_changed' as const,
      merchantId: MERCHANT,
      livemode: false,
      occurredAt: '2026-10-06T09:00:00Z',
      payload: {
        order_id: 'ord_controls_ahead',
        merchant: 'fold-shop',
        version: 2,
        state: 'PAID',
        amount_due: wireMoney(5000, 'EUR'),
        captured: wireMoney(5000, 'EUR'),
        refunded: wireMoney(0, 'EUR'),
        outstanding: wireMoney(0, 'EUR'),
        payment_session_id: 'pay_ord_controls_ahead',
        psp: 'adyen',
        paid_at: '2026-10-06T09:00:00Z',
      },
    };
    const logger = createLogger('fold', 'silent');
    expect(await applyPaymentState(db, event, logger)).toBe(true);
    const lines = await db.select().from(schema.settlementLines).where(eq(schema.settlementLines.orderId, 'ord_controls_ahead'));
    expect(lines.map((l) => [l.kind, l.grossAmount, l.occurredAt.toISOString()])).toEqual([['COLLECTION', 5000, '2026-10-06T09:00:00.000Z']]);
    // Delivered again: nothing more to apply.
    expect(await applyPaymentState(db, event, logger)).toBe(false);
  });
});
