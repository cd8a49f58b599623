import { eq, sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { PERMISSIONS, SqlEventBus, createLogger, newId, wireMoney, type Database, type DomainEvent, type Principal } from '@ipay/platform';
import { callSubgraph, createTestDatabase, type TestDatabase } from '@ipay/platform/testing';
import * as schema from '../src/db/schema.ts';
import { createFinanceServer } from '../src/server.ts';
import type { FinanceServices } from '../src/app/services.ts';

export type FinanceDb = Database<typeof schema>;

const all = Object.fromEntries(PERMISSIONS.map((p) => [p, { kind: 'ALL' as const }])) as Principal['grants'];
const person = (id: string, name: string): Principal => ({ kind: 'operator', id, credentialId: `ses_${id}`, livemode: false, grants: all, displayName: name });

/** Platform staff (two people and a platform API key) and a merchant's own key, as the gateway passes them. */
export const CFO = person('usr_cfo', 'Carla CFO');
export const CONTROLLER = person('usr_controller', 'Conrad Controller');
export const OPS_KEY: Principal = { kind: 'operator', id: 'key_ops', credentialId: 'key_ops', livemode: false, grants: all };
export const merchantKey = (merchantId: string): Principal => ({
  kind: 'api_key',
  id: `key_${merchantId}`,
  credentialId: `key_${merchantId}`,
  livemode: false,
  grants: Object.fromEntries(
    PERMISSIONS.filter((p) => p.endsWith(':read')).map((p) => [p, { kind: 'MERCHANTS', merchantIds: [merchantId] }]),
  ) as Principal['grants'],
});

export interface FinanceHarness {
  database: TestDatabase;
  bus: SqlEventBus;
  server: Awaited<ReturnType<typeof createFinanceServer>>;
  url: string;
  db: FinanceDb;
  services: FinanceServices;
  gql(
    query: string,
    variables?: Record<string, unknown>,
    principal?: Principal,
  ): Promise<{ data?: any; errors?: { message: string; extensions?: Record<string, any> }[] }>;
  stop(): Promise<void>;
}

export async function startFinance(): Promise<FinanceHarness> {
  const database = await createTestDatabase();
  const logger = createLogger('finance-test', (process.env.FINANCE_TEST_LOG as 'silent') ?? 'silent');
  const bus = await SqlEventBus.open(database.target, logger);
  const server = await createFinanceServer({ database: database.target, bus, logger, config: { settlementCloseIntervalMs: 0 } });
  const port = await server.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}/graphql`;
  return {
    database,
    bus,
    server,
    url,
    db: server.database.db as FinanceDb,
    services: server.services as FinanceServices,
    gql: async (query, variables = {}, principal = CFO) => (await callSubgraph(url, query, variables, { principal })).body,
    stop: async () => {
      await server.stop();
      await bus.close();
      await database.cleanup();
    },
  };
}

/** Polls until `check` returns a value (not undefined/null/false) or the timeout passes. */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Merchant {
  id: string;
  slug: string;
}

/** Publishes `order.payment_state_changed` exactly per the contract (subgraphs/platform/src/events/payment-state.ts). */
export async function publishPaymentState(
  h: FinanceHarness,
  merchant: Merchant,
  o: {
    orderId: string;
    version: number;
    state: string;
    currency: string;
    due: number;
    captured: number;
    refunded?: number;
    sessionId?: string | null;
    paidAt?: string | null;
  },
) {
  const refunded = o.refunded ?? 0;
  const event: DomainEvent = {
    id: newId('evt'),
    type: 'order.payment_state_changed',
    version: 1,
    occurredAt: o.paidAt ?? new Date().toISOString(),
    source: 'payments',
    merchantId: merchant.id,
    livemode: false,
    carrierCode: null,
    subjectType: 'Order',
    subjectId: o.orderId,
    payload: {
      order_id: o.orderId,
      merchant: merchant.slug,
      version: o.version,
      state: o.state,
      amount_due: wireMoney(o.due, o.currency),
      captured: wireMoney(o.captured, o.currency),
      refunded: wireMoney(refunded, o.currency),
      outstanding: wireMoney(Math.max(0, o.due - o.captured), o.currency),
      payment_session_id: o.sessionId === undefined ? `pay_${o.orderId.slice(4)}` : o.sessionId,
      psp: 'adyen',
      paid_at: o.paidAt ?? null,
    },
  };
  await h.bus.publish([event]);
  await eventually(async () => {
    const [row] = await h.db.select().from(schema.orderPaymentStates).where(eq(schema.orderPaymentStates.orderId, o.orderId));
    return row && row.version >= o.version;
  });
  return event;
}

/** A fully paid order (one session captured the whole amount due). */
export const paid = (h: FinanceHarness, merchant: Merchant, orderId: string, amount: number, currency: string, paidAt: string) =>
  publishPaymentState(h, merchant, { orderId, version: 2, state: 'PAID', currency, due: amount, captured: amount, paidAt });

/** Publishes `refund.created` as payments does (subgraphs/payments/src/payments.ts announceRefund) at `occurredAt`. */
export async function publishRefund(
  h: FinanceHarness,
  merchant: Merchant,
  r: { orderId: string; amount: number; currency: string; occurredAt: string; refundId?: string },
) {
  const refundId = r.refundId ?? newId('rfd');
  const sessionId = `pay_${r.orderId.slice(4)}`;
  await h.bus.publish([
    {
      id: newId('evt'),
      type: 'refund.created',
      version: 1,
      occurredAt: r.occurredAt,
      source: 'payments',
      merchantId: merchant.id,
      livemode: false,
      carrierCode: null,
      subjectType: 'Refund',
      subjectId: refundId,
      payload: {
        order_id: r.orderId,
        merchant: merchant.slug,
        refund: { id: refundId, payment_id: sessionId, reason: 'customer request', ...wireMoney(r.amount, r.currency) },
        payment: { id: sessionId, status: 'partially_refunded', refunded_minor: r.amount, captured_minor: 0 },
      },
    },
  ]);
  await eventually(async () => (await h.db.select().from(schema.settlementRefunds).where(eq(schema.settlementRefunds.refundId, refundId)))[0]);
  return refundId;
}

/** The invariant checked after every write: every settlement's totals are the sums of its lines. */
export async function expectTotalsAreSumsOfLines(db: FinanceDb) {
  const rows = await db.execute(sql`
    select s.id, s.gross_amount as gross, s.fee_amount as fee, s.net_amount as net, s.line_count as n,
           coalesce(sum(l.gross_amount), 0)::int as lgross, coalesce(sum(l.fee_amount), 0)::int as lfee, coalesce(sum(l.net_amount), 0)::int as lnet, count(l.id)::int as ln
    from finance.settlements s left join finance.settlement_lines l on l.settlement_id = s.id group by s.id`);
  const list = ((rows as unknown as { rows?: unknown[] }).rows ?? (rows as unknown as unknown[])) as Record<string, number>[];
  for (const r of list)
    expect({ id: r.id, gross: r.gross, fee: r.fee, net: r.net, n: r.n }).toEqual({ id: r.id, gross: r.lgross, fee: r.lfee, net: r.lnet, n: r.ln });
}

export async function settlementsOf(db: FinanceDb, merchantId: string) {
  return db
    .select()
    .from(schema.settlements)
    .where(eq(schema.settlements.merchantId, merchantId))
    .orderBy(schema.settlements.currency, schema.settlements.periodStart);
}

export async function linesOf(db: FinanceDb, settlementId: string) {
  return db
    .select()
    .from(schema.settlementLines)
    .where(eq(schema.settlementLines.settlementId, settlementId))
    .orderBy(schema.settlementLines.occurredAt, schema.settlementLines.id);
}
