import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database, type DatabaseHandle } from '@ipay/platform';
import { createTestDatabase, type TestDatabase } from '@ipay/platform/testing';
import * as schema from '../src/db/schema.ts';

/** Migration 0006 moves the stored British spellings to the US ones without losing a row. */
const MIGRATIONS = fileURLToPath(new URL('../drizzle', import.meta.url));

/** A copy of the migrations folder that ends at `tag`. */
function folderUpTo(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'payments-drizzle-'));
  cpSync(MIGRATIONS, dir, { recursive: true });
  const journal = JSON.parse(readFileSync(join(dir, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  journal.entries = journal.entries.slice(0, journal.entries.findIndex((e) => e.tag === tag) + 1);
  writeFileSync(join(dir, 'meta/_journal.json'), JSON.stringify(journal));
  return dir;
}

describe('migration 0006: authorize, one spelling', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle<typeof schema>;
  let db: Database<typeof schema>;
  let before: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    handle = openDatabase(database.target, { schema });
    db = handle.db;
    before = folderUpTo('0005_order_payment_state');
    await handle.migrate('payments', before);
    await db.execute(
      sql.raw(`insert into payments.payment_sessions (id, reference, order_id, merchant_id, livemode, status, amount, currency, psp, method, psp_reference, authorised_amount, expires_at)
       values ('pay_held', 'IPAY-HELD', 'ord_held', 'mer_spell', false, 'AUTHORISED', 5000, 'EUR', 'adyen', 'card', 'PSP-1', 5000, '2026-12-01T10:00:00Z')`),
    );
    await db.execute(
      sql.raw(`insert into payments.payment_events (id, session_id, event_id, event_type, source, psp_reference, psp_status_code, occurred_at, recorded_at, outcome, from_status, to_status, reason, amount, currency, authorised_amount, captured_amount, refunded_amount)
       values ('pev_1', 'pay_held', 'adyen:PSP-1:AUTHORISATION:true', 'AUTHORISE', 'psp-notification', 'PSP-1', 'AUTHORISATION', '2026-12-01T09:00:00Z', '2026-12-01T09:00:00Z', 'applied', 'REQUESTED', 'AUTHORISED', 'funds authorised', 5000, 'EUR', 5000, 0, 0)`),
    );
    await handle.migrate('payments', MIGRATIONS);
  });
  afterAll(async () => {
    await handle?.close();
    await database?.cleanup();
    if (before) rmSync(before, { recursive: true, force: true });
  });

  it('renames the status value and the amount columns in place and rewrites the history event type; the PSP code stays', async () => {
    const [session] = await db.select().from(schema.paymentSessions).where(eq(schema.paymentSessions.id, 'pay_held'));
    expect(session).toMatchObject({ status: 'AUTHORIZED', authorizedAmount: 5000 });
    const [event] = await db.select().from(schema.paymentEvents).where(eq(schema.paymentEvents.id, 'pev_1'));
    expect(event).toMatchObject({
      eventType: 'AUTHORIZE',
      toStatus: 'AUTHORIZED',
      authorizedAmount: 5000,
      pspStatusCode: 'AUTHORISATION',
      eventId: 'adyen:PSP-1:AUTHORISATION:true',
    });
  });

  it('leaves no British value in the enum', async () => {
    // postgres-js answers rows as an array, PGlite as { rows }.
    const answer = (await db.execute(sql`select unnest(enum_range(null::payments.payment_session_status))::text as v`)) as unknown as
      { v: string }[] | { rows: { v: string }[] };
    const values = (Array.isArray(answer) ? answer : answer.rows).map((r) => r.v);
    expect(values).toContain('AUTHORIZED');
    expect(values).not.toContain('AUTHORISED');
  });
});
