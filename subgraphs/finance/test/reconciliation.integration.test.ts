import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { simpleParser } from 'mailparser';
import { PDFParse } from 'pdf-parse';
import {
  PERMISSIONS,
  createLogger,
  newId,
  openEventBus,
  wireMoney,
  type DomainEvent,
  type EventBus,
  type Principal,
  type SubgraphServer,
} from '@ipay/platform';
import { callSubgraph, createTestDatabase, type TestDatabase } from '@ipay/platform/testing';
import { createFinanceServer } from '../src/server.ts';
import { auditLog, carrierInvoices, orderPaymentStates, outbox, releaseProjections, sandboxMail, shipmentProjections } from '../src/db/schema.ts';
import type { FinanceServices } from '../src/app/services.ts';
import { upsRow } from './fixtures/ups.ts';

const operator: Principal = {
  kind: 'operator',
  id: 'usr_finance_controller',
  credentialId: 'key_test_controller',
  livemode: false,
  grants: Object.fromEntries(PERMISSIONS.map((p) => [p, { kind: 'ALL' }])),
};
const merchantOnly: Principal = {
  ...operator,
  id: 'usr_merchant',
  grants: { 'settlements:read': { kind: 'MERCHANTS', merchantIds: ['mer_1'] }, 'carrier_invoices:read': { kind: 'MERCHANTS', merchantIds: ['mer_1'] } },
};

let db: TestDatabase;
let bus: EventBus;
let server: SubgraphServer<any, FinanceServices>;
let url: string;

const gql = async (query: string, variables: Record<string, unknown> = {}, principal: Principal = operator): Promise<any> =>
  (await callSubgraph(url, query, variables, { principal })).body;

async function until<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const event = (type: DomainEvent['type'], subjectId: string, payload: Record<string, unknown>, over: Partial<DomainEvent> = {}): DomainEvent => ({
  id: newId('evt'),
  type,
  version: 1,
  occurredAt: new Date().toISOString(),
  source: 'test',
  merchantId: 'mer_1',
  livemode: false,
  carrierCode: null,
  subjectType: 'Shipment',
  subjectId,
  payload,
  ...over,
});

/** `shipment.created` as logistics publishes it (expectation inside `shipment`, `expected_cost` at the top level). */
const shipmentCreated = (n: string, tracking: string, expected: number, weight: number, zone: string) =>
  event(
    'shipment.created',
    `shp_${n}`,
    {
      order_id: `ord_${n}`,
      merchant: 'shop-one',
      carrier: 'ups',
      shipment: {
        id: `shp_${n}`,
        tracking_number: tracking,
        carrier_reference: `ref-${n}`,
        service_level: 'STANDARD',
        delivery_method: 'HOME',
        weight_grams: weight - 300,
        chargeable_weight_grams: weight,
        zone,
        rate_card_id: 'rc_ups_standard',
        priced_on: '2026-11-28',
      },
      expected_cost: wireMoney(expected, 'EUR'),
    },
    { carrierCode: 'ups' },
  );

beforeAll(async () => {
  db = await createTestDatabase();
  const logger = createLogger('finance-test', 'silent');
  bus = await openEventBus(db.target, logger);
  server = (await createFinanceServer({
    database: db.target,
    bus,
    logger,
    config: { reconciliation: { controls: { tickMs: 0, hourUtc: 6, digestTo: ['cfo@ipay.localhost'] } } },
  })) as never;
  url = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}/graphql`;
  await bus.publish([
    shipmentCreated('a', '1Z0000000000000A', 1250, 1800, '3'),
    shipmentCreated('b', '1Z0000000000000B', 1250, 1800, '3'),
    shipmentCreated('c', '1Z0000000000000C', 1250, 1800, '3'),
    shipmentCreated('d', '1Z0000000000000D', 1250, 1800, '3'),
  ]);
  await until(async () => (await server.database.db.select().from(shipmentProjections)).length === 4, 'the shipment projection');
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await bus?.close();
  await db?.cleanup();
});

const INVOICE_FIELDS = `id carrier invoiceNumber invoiceDate status layout total { amount currency } open { amount }
  summary { lines matched mismatched unmatched unresolved disputed byReason { reason count } billed { amount } expected { amount } difference { amount } approved { amount } reconciled }
  lines(first: 20) { edges { node { id lineNumber trackingNumber classification reason billed { amount } expected { amount } difference { amount } shipment { id } order { id } billedWeightGrams billedZone resolution approved { amount } } } pageInfo { hasNextPage endCursor } }`;

const IMPORT = `mutation($input: ImportCarrierInvoiceInput!) { importCarrierInvoice(input: $input) { ${INVOICE_FIELDS} } }`;
const RESOLVE = `mutation($input: ResolveCarrierInvoiceLineInput!) { resolveCarrierInvoiceLine(input: $input) { id resolution approved { amount currency } } }`;

const base = { invoice: '0000E1234A', date: '2026-11-30' };
const upsInvoice = [
  // A: 11.00 + 1.50 fuel = 12.50 as expected.
  upsRow({ ...base, tracking: '1Z0000000000000A', weight: '2.0', unit: 'K', zone: '003', cls: 'FRT', desc: 'UPS Standard', net: '11.00' }),
  upsRow({ ...base, tracking: '1Z0000000000000A', zone: '003', cls: 'FSC', code: 'FSC', desc: 'Fuel Surcharge', net: '1.50' }),
  upsRow({ ...base, tracking: '1Z0000000000000A', cls: 'TAX', desc: 'VAT', net: '2.63' }),
  // B: billed in zone 5.
  upsRow({ ...base, tracking: '1Z0000000000000B', weight: '2.0', unit: 'K', zone: '005', cls: 'FRT', desc: 'UPS Standard', net: '14.00' }),
  // C: re-weighed to 3.2 kg.
  upsRow({ ...base, tracking: '1Z0000000000000C', weight: '3.2', unit: 'K', zone: '003', cls: 'FRT', desc: 'UPS Standard', net: '15.80' }),
  // D: residential surcharge added.
  upsRow({ ...base, tracking: '1Z0000000000000D', weight: '2.0', unit: 'K', zone: '003', cls: 'FRT', desc: 'UPS Standard', net: '12.50' }),
  upsRow({ ...base, tracking: '1Z0000000000000D', zone: '003', cls: 'ACC', code: 'RES', desc: 'Residential Surcharge', net: '3.95' }),
  // X: no such shipment.
  upsRow({ ...base, tracking: '1Z000000000000XX', weight: '1.0', unit: 'K', zone: '002', cls: 'FRT', desc: 'UPS Standard', net: '9.90' }),
  // A billed a second time.
  upsRow({ ...base, tracking: '1Z0000000000000A', weight: '2.0', unit: 'K', zone: '003', cls: 'FRT', desc: 'UPS Standard', net: '12.50' }),
].join('\r\n');

describe('carrier invoice reconciliation through the finance subgraph', () => {
  let invoice: any;
  const line = (n: number) => invoice.lines.edges[n - 1].node;

  it('imports a UPS Billing Data invoice and classifies every line', async () => {
    const body = await gql(IMPORT, { input: { carrier: 'ups', layout: 'UPS_BILLING_DATA', csv: upsInvoice } });
    expect(body.errors).toBeUndefined();
    invoice = body.data.importCarrierInvoice;
    expect(invoice).toMatchObject({
      carrier: 'ups',
      invoiceNumber: '0000E1234A',
      invoiceDate: '2026-11-30',
      status: 'RECONCILING',
      layout: 'UPS_BILLING_DATA',
      total: { amount: 1250 + 1400 + 1580 + 1645 + 990 + 1250, currency: 'EUR' },
    });
    expect(
      invoice.lines.edges.map((e: any) => [
        e.node.trackingNumber,
        e.node.classification,
        e.node.reason,
        e.node.billed.amount,
        e.node.expected?.amount ?? null,
        e.node.difference?.amount ?? null,
      ]),
    ).toEqual([
      ['1Z0000000000000A', 'MATCHED', null, 1250, 1250, 0],
      ['1Z0000000000000B', 'MISMATCH', 'ZONE', 1400, 1250, 150],
      ['1Z0000000000000C', 'MISMATCH', 'WEIGHT_BAND', 1580, 1250, 330],
      ['1Z0000000000000D', 'MISMATCH', 'SURCHARGE', 1645, 1250, 395],
      ['1Z000000000000XX', 'UNMATCHED', 'NO_SHIPMENT', 990, null, null],
      ['1Z0000000000000A', 'MISMATCH', 'DUPLICATE', 1250, 0, 1250],
    ]);
    expect(line(1)).toMatchObject({ shipment: { id: 'shp_a' }, order: { id: 'ord_a' }, billedWeightGrams: 2000, billedZone: '003' });
    expect(invoice.summary).toMatchObject({
      lines: 6,
      matched: 1,
      mismatched: 4,
      unmatched: 1,
      unresolved: 5,
      disputed: 0,
      approved: { amount: 1250 },
      reconciled: false,
    });
    const [outboxed] = await server.database.db.select().from(outbox).where(eq(outbox.type, 'carrier_invoice.imported'));
    expect(outboxed!.payload).toMatchObject({
      invoice_id: invoice.id,
      carrier: 'ups',
      invoice_number: '0000E1234A',
      summary: { matched: 1, mismatched: 4, unmatched: 1 },
    });
  });

  it('refuses the same invoice twice and a matched line resolution, with their codes', async () => {
    const again = await gql(IMPORT, { input: { carrier: 'ups', layout: 'UPS_BILLING_DATA', csv: upsInvoice } });
    expect(again.errors[0].extensions.code).toBe('CARRIER_INVOICE_ALREADY_IMPORTED');
    const matched = await gql(RESOLVE, { input: { lineId: line(1).id, resolution: 'DISPUTE' } });
    expect(matched.errors[0].extensions.code).toBe('INVOICE_LINE_MATCHED');
    const noExpected = await gql(RESOLVE, { input: { lineId: line(5).id, resolution: 'ACCEPT_EXPECTED' } });
    expect(noExpected.errors[0].extensions.code).toBe('INVOICE_LINE_HAS_NO_EXPECTED_COST');
    const merchant = await gql(IMPORT, { input: { carrier: 'ups', layout: 'UPS_BILLING_DATA', csv: upsInvoice } }, merchantOnly);
    expect(merchant.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('resolves lines by hand with audit records until the invoice is reconciled', async () => {
    const resolve = async (n: number, resolution: string, note?: string) => {
      const body = await gql(RESOLVE, { input: { lineId: line(n).id, resolution, note } });
      expect(body.errors).toBeUndefined();
      return body.data.resolveCarrierInvoiceLine;
    };
    expect(await resolve(2, 'ACCEPT_CARRIER')).toMatchObject({ resolution: 'ACCEPT_CARRIER', approved: { amount: 1400, currency: 'EUR' } });
    expect(await resolve(3, 'ACCEPT_EXPECTED')).toMatchObject({ approved: { amount: 1250 } });
    expect(await resolve(4, 'DISPUTE', 'no residential address')).toMatchObject({ approved: { amount: 0 } });
    await resolve(5, 'ACCEPT_CARRIER');
    await resolve(6, 'ACCEPT_EXPECTED');
    const accepted = await gql(RESOLVE, { input: { lineId: line(2).id, resolution: 'DISPUTE' } });
    expect(accepted.errors[0].extensions.code).toBe('INVOICE_LINE_ALREADY_RESOLVED');
    let current = (
      await gql(`query($id: ID!) { carrierInvoice(id: $id) { status summary { unresolved disputed approved { amount } reconciled } } }`, { id: invoice.id })
    ).data.carrierInvoice;
    expect(current).toEqual({
      status: 'RECONCILING',
      summary: { unresolved: 0, disputed: 1, approved: { amount: 1250 + 1400 + 1250 + 990 + 0 }, reconciled: false },
    });
    // The carrier credited the surcharge: the dispute ends by accepting the expected cost.
    await resolve(4, 'ACCEPT_EXPECTED');
    current = (await gql(`query($id: ID!) { carrierInvoice(id: $id) { status summary { approved { amount } reconciled } } }`, { id: invoice.id })).data
      .carrierInvoice;
    expect(current).toEqual({ status: 'RECONCILED', summary: { approved: { amount: 1250 + 1400 + 1250 + 1250 + 990 + 0 }, reconciled: true } });
    const audits = await server.database.db.select().from(auditLog).where(eq(auditLog.action, 'carrier_invoice_line.resolve'));
    expect(audits).toHaveLength(6);
    expect(audits.find((a) => a.entityId === line(4).id && (a.after as any).resolution === 'DISPUTE')).toMatchObject({
      principalId: 'usr_finance_controller',
      after: { note: 'no residential address' },
    });
    const reconciled = await server.database.db.select().from(outbox).where(eq(outbox.type, 'carrier_invoice.reconciled'));
    expect(reconciled.map((r) => (r.payload as any).invoice_id)).toEqual([invoice.id]);
  });

  it('imports a generic CSV with a column mapping', async () => {
    const csv = 'Tracking,Freight,Fuel,Kg\n1Z0000000000000B,12.50,,1.8\n';
    const body = await gql(IMPORT, {
      input: {
        carrier: 'ups',
        layout: 'GENERIC',
        csv,
        invoiceNumber: 'G-1',
        invoiceDate: '2026-12-01',
        currency: 'EUR',
        mapping: { trackingNumber: 'Tracking', amount: 'Freight', surcharges: ['Fuel'], weight: 'Kg' },
      },
    });
    expect(body.errors).toBeUndefined();
    // B was billed on the UPS invoice already.
    expect(body.data.importCarrierInvoice.lines.edges.map((e: any) => [e.node.classification, e.node.reason])).toEqual([['MISMATCH', 'DUPLICATE']]);
  });
});

describe('carrier statements with aging, mailed through the sandbox SMTP server', () => {
  const generic = (number: string, date: string, amount: string) =>
    gql(IMPORT, {
      input: {
        carrier: 'dhl',
        layout: 'GENERIC',
        csv: `t,a\nJJD${number},${amount}\n`,
        invoiceNumber: number,
        invoiceDate: date,
        currency: 'EUR',
        mapping: { trackingNumber: 't', amount: 'a' },
      },
    });

  it('buckets open items at the 30/31, 60/61 and 90/91 day boundaries and mails the PDF', async () => {
    // As of 2026-12-01: 30, 31, 60, 61, 90 and 91 days old.
    for (const [n, date, amount] of [
      ['D30', '2026-11-01', '10.00'],
      ['D31', '2026-10-31', '20.00'],
      ['D60', '2026-10-02', '30.00'],
      ['D61', '2026-10-01', '40.00'],
      ['D90', '2026-09-02', '50.00'],
      ['D91', '2026-09-01', '60.00'],
    ] as const) {
      expect((await generic(n, date, amount)).errors).toBeUndefined();
    }
    // D31 half paid.
    const [d31] = await server.database.db.select().from(carrierInvoices).where(eq(carrierInvoices.invoiceNumber, 'D31'));
    const paid = await gql(
      `mutation($input: RecordCarrierInvoicePaymentInput!) { recordCarrierInvoicePayment(input: $input) { open { amount } paid { amount } } }`,
      { input: { invoiceId: d31!.id, amount: 1000 } },
    );
    expect(paid.data.recordCarrierInvoicePayment).toEqual({ open: { amount: 1000 }, paid: { amount: 1000 } });
    const over = await gql(`mutation($input: RecordCarrierInvoicePaymentInput!) { recordCarrierInvoicePayment(input: $input) { id } }`, {
      input: { invoiceId: d31!.id, amount: 1001 },
    });
    expect(over.errors[0].extensions.code).toBe('PAYMENT_EXCEEDS_OPEN_AMOUNT');

    const statement = (
      await gql(
        `{ carrierStatement(carrier: "dhl", asOf: "2026-12-01") { items { invoice { invoiceNumber } ageDays bucket open { amount } } totals { currency buckets { bucket amount { amount } } total { amount } } } }`,
      )
    ).data.carrierStatement;
    expect(statement.items.map((i: any) => [i.invoice.invoiceNumber, i.ageDays, i.bucket, i.open.amount])).toEqual([
      ['D91', 91, 'DAYS_OVER_90', 6000],
      ['D90', 90, 'DAYS_61_90', 5000],
      ['D61', 61, 'DAYS_61_90', 4000],
      ['D60', 60, 'DAYS_31_60', 3000],
      ['D31', 31, 'DAYS_31_60', 1000],
      ['D30', 30, 'DAYS_0_30', 1000],
    ]);
    expect(statement.totals).toEqual([
      {
        currency: 'EUR',
        buckets: [
          { bucket: 'DAYS_0_30', amount: { amount: 1000 } },
          { bucket: 'DAYS_31_60', amount: { amount: 4000 } },
          { bucket: 'DAYS_61_90', amount: { amount: 9000 } },
          { bucket: 'DAYS_OVER_90', amount: { amount: 6000 } },
        ],
        total: { amount: 20000 },
      },
    ]);

    const noOne = await gql(`mutation { sendCarrierStatement(input: { carrier: "dhl", asOf: "2026-12-01" }) { messageId } }`);
    expect(noOne.errors[0].extensions.code).toBe('NO_STATEMENT_RECIPIENTS');
    expect(
      (await gql(`mutation { setCarrierContacts(input: { carrier: "dhl", emails: ["ap@dhl.example", "billing@dhl.example"] }) { carrier emails } }`)).data
        .setCarrierContacts,
    ).toEqual({ carrier: 'dhl', emails: ['ap@dhl.example', 'billing@dhl.example'] });
    const sent = await gql(
      `mutation { sendCarrierStatement(input: { carrier: "dhl", asOf: "2026-12-01" }) { carrier asOf recipients messageId attachment { filename size } statement { totals { total { amount } } } } }`,
    );
    expect(sent.errors).toBeUndefined();
    const delivery = sent.data.sendCarrierStatement;
    expect(delivery).toMatchObject({
      carrier: 'dhl',
      asOf: '2026-12-01',
      recipients: ['ap@dhl.example', 'billing@dhl.example'],
      attachment: { filename: 'statement-dhl-2026-12-01.pdf' },
      statement: { totals: [{ total: { amount: 20000 } }] },
    });

    const listed = (
      await gql(`{ sandboxMail(first: 5, to: "ap@dhl.example") { edges { node { messageId subject to attachments { filename contentType size } } } } }`)
    ).data.sandboxMail.edges;
    expect(listed).toHaveLength(1);
    expect(listed[0].node).toMatchObject({
      messageId: delivery.messageId,
      to: ['ap@dhl.example', 'billing@dhl.example'],
      attachments: [{ filename: 'statement-dhl-2026-12-01.pdf', contentType: 'application/pdf', size: delivery.attachment.size }],
    });
    expect(listed[0].node.subject).toContain('DHL');

    // Read the PDF back out of the mail the SMTP server received.
    const [stored] = await server.database.db.select().from(sandboxMail).where(eq(sandboxMail.messageId, delivery.messageId));
    const parsed = await simpleParser(stored!.raw);
    const pdf = parsed.attachments[0]!.content;
    const text = (await new PDFParse({ data: new Uint8Array(pdf) }).getText()).text;
    expect(text).toContain('Carrier statement: DHL');
    expect(text).toMatch(/Total open\s+200\.00\s+EUR/);
    expect(text).toMatch(/61–90 days\s+90\.00\s+EUR/);
    expect(text).toMatch(/D91\s+2026-09-01\s+91\s+90\+ days\s+60\.00/);
    const audits = await server.database.db.select().from(auditLog).where(eq(auditLog.action, 'carrier_statement.send'));
    expect(audits[0]!.after).toMatchObject({ messageId: delivery.messageId, recipients: ['ap@dhl.example', 'billing@dhl.example'] });
  });

  it('serves captured mail only in the sandbox', async () => {
    const live = await gql(`{ sandboxMail(first: 1) { edges { node { id } } } }`, {}, { ...operator, livemode: true });
    expect(live.errors[0].extensions.code).toBe('SANDBOX_ONLY');
  });
});

describe('internal controls', () => {
  const RUN = `mutation($input: RunControlsInput) { runControls(input: $input) { id trigger result digestMessageId digestError results { control result evidenceCount evidence } } }`;
  const paymentState = (orderId: string, version: number, state: string, captured: number) =>
    event(
      'order.payment_state_changed',
      orderId,
      {
        order_id: orderId,
        merchant: 'shop-one',
        version,
        state,
        amount_due: wireMoney(5000, 'EUR'),
        captured: wireMoney(captured, 'EUR'),
        refunded: wireMoney(0, 'EUR'),
        outstanding: wireMoney(5000 - captured, 'EUR'),
        payment_session_id: `ps_${orderId}`,
        psp: 'adyen',
        paid_at: state === 'PAID' ? new Date().toISOString() : null,
      },
      { subjectType: 'Order' },
    );

  it('fails "released parcels are fully paid" with the offending order as evidence, and mails the digest', async () => {
    await bus.publish([
      paymentState('ord_ok', 1, 'PAID', 5000),
      paymentState('ord_short', 2, 'PARTIALLY_CAPTURED', 3000),
      // An older version arriving late never overwrites the newer state.
      paymentState('ord_short', 1, 'PAID', 5000),
      event(
        'parcel.released',
        'rel_ok',
        { order_id: 'ord_ok', merchant: 'shop-one', carrier: 'ups', release: { id: 'rel_ok' } },
        { subjectType: 'ReleaseAuthorization' },
      ),
      event(
        'parcel.released',
        'rel_short',
        { order_id: 'ord_short', merchant: 'shop-one', carrier: 'ups', release: { id: 'rel_short' } },
        { subjectType: 'ReleaseAuthorization' },
      ),
    ]);
    await until(async () => (await server.database.db.select().from(releaseProjections)).length === 2, 'the release projection');
    await until(async () => (await server.database.db.select().from(orderPaymentStates)).length === 2, 'the payment projection');

    const body = await gql(RUN, { input: { sendDigest: true } });
    expect(body.errors).toBeUndefined();
    const run = body.data.runControls;
    expect(run).toMatchObject({ trigger: 'ON_DEMAND', result: 'FAIL', digestError: null });
    const released = run.results.find((r: any) => r.control === 'RELEASED_PARCELS_FULLY_PAID');
    expect(released).toMatchObject({ result: 'FAIL', evidenceCount: 1 });
    expect(released.evidence).toEqual([
      expect.objectContaining({ order_id: 'ord_short', release_id: 'rel_short', event: 'parcel.released', payment_state: 'PARTIALLY_CAPTURED' }),
    ]);
    const byControl = Object.fromEntries(run.results.map((r: any) => [r.control, r.result]));
    expect(byControl).toEqual({
      AUDIT_CHAINS_VERIFY: 'FAIL', // no subgraph attested yet
      CARRIER_INVOICES_RECONCILED: 'PASS',
      PAID_ORDERS_SETTLED: 'PASS',
      REFUNDS_WITHIN_CAPTURE: 'PASS',
      RELEASED_PARCELS_FULLY_PAID: 'FAIL',
      SETTLEMENT_TOTALS_MATCH_LINES: 'PASS',
    });
    const mail = (await gql(`{ sandboxMail(first: 1, to: "cfo@ipay.localhost") { edges { node { messageId subject text } } } }`)).data.sandboxMail.edges[0]
      .node;
    expect(mail.messageId).toBe(run.digestMessageId);
    expect(mail.subject).toContain(': FAIL');
    expect(mail.text).toContain('FAIL  RELEASED_PARCELS_FULLY_PAID');
    expect(mail.text).toContain('"order_id":"ord_short"');
    // The run and its digest are two audit records of the run; read the run's own.
    const [audit] = await server.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entityId, run.id), eq(auditLog.action, 'controls.run')));
    expect(audit).toMatchObject({ action: 'controls.run', principalId: 'usr_finance_controller' });
  });

  it('passes the audit-chain control once the finance chain attests itself, and fails it when an attestation reports a break', async () => {
    // The attestation runs as the audit-attestation job of the platform queue (as on its schedule).
    const attestation = await server.jobs.send('audit-attestation', {});
    await until(async () => (await server.jobs.job('audit-attestation', attestation!))?.state === 'completed', 'the attestation job');
    const attested = await until(
      async () => (await server.database.db.select().from(outbox).where(eq(outbox.type, 'audit.chain_verified')))[0],
      'the attestation event',
    );
    expect(attested.payload).toMatchObject({ subgraph: 'finance', valid: true });
    const now = new Date().toISOString();
    await bus.publish(
      ['identity', 'commerce', 'payments', 'logistics'].map((subgraph) =>
        event(
          'audit.chain_verified',
          subgraph,
          {
            subgraph,
            valid: subgraph !== 'payments',
            checked_records: 12,
            broken_at_position: subgraph === 'payments' ? 7 : null,
            reason: subgraph === 'payments' ? 'record content does not match its hash (edited)' : null,
            verified_at: now,
          },
          { subjectType: 'AuditChain', merchantId: null },
        ),
      ),
    );
    await until(async () => {
      const run = (await gql(RUN)).data.runControls;
      const audit = run.results.find((r: any) => r.control === 'AUDIT_CHAINS_VERIFY');
      return audit.evidenceCount === 1 ? audit : null;
    }, 'attestations of all five subgraphs').then((audit: any) => {
      expect(audit.evidence).toEqual([
        { subgraph: 'payments', problem: 'CHAIN_BROKEN', verified_at: now, broken_at_position: 7, reason: 'record content does not match its hash (edited)' },
      ]);
    });
  });

  it('fails the audit-chain control with evidence when a real row of a chain is edited in the database', async () => {
    // Whoever can write the database (and disable the append-only trigger) edits one record of finance's own chain.
    const db = server.database.db;
    const [victim] = await db.select().from(auditLog).where(eq(auditLog.action, 'controls.run')).limit(1);
    expect(victim).toBeDefined();
    const tamper = async (action: string) => {
      await db.execute(sql`alter table finance.audit_log disable trigger audit_log_no_update_delete`);
      try {
        await db.update(auditLog).set({ action }).where(eq(auditLog.position, victim!.position));
      } finally {
        await db.execute(sql`alter table finance.audit_log enable trigger audit_log_no_update_delete`);
      }
    };
    await tamper('controls.run.rewritten');
    try {
      const verification = await server.attestAuditChain();
      expect(verification).toMatchObject({ valid: false, brokenAtPosition: victim!.position, reason: 'record content does not match its hash (edited)' });
      const audit = await until(async () => {
        const run = (await gql(RUN)).data.runControls;
        const result = run.results.find((r: any) => r.control === 'AUDIT_CHAINS_VERIFY');
        return result.evidence.some((e: any) => e.subgraph === 'finance') ? result : null;
      }, 'the broken finance attestation in the control');
      expect(audit.result).toBe('FAIL');
      expect(audit.evidence.find((e: any) => e.subgraph === 'finance')).toEqual({
        subgraph: 'finance',
        problem: 'CHAIN_BROKEN',
        verified_at: expect.any(String),
        broken_at_position: victim!.position,
        reason: 'record content does not match its hash (edited)',
      });
    } finally {
      await tamper(victim!.action);
    }
    // Put back as it was, the chain verifies again and finance drops out of the evidence.
    expect(await server.attestAuditChain()).toMatchObject({ valid: true, brokenAtPosition: null });
    await until(async () => {
      const run = (await gql(RUN)).data.runControls;
      return !run.results.find((r: any) => r.control === 'AUDIT_CHAINS_VERIFY').evidence.some((e: any) => e.subgraph === 'finance');
    }, 'the repaired finance chain');
  });

  it('runs the scheduled controls once per day, whatever the number of ticks', async () => {
    const at = new Date();
    at.setUTCHours(7, 0, 0, 0);
    const first = await server.services.reconciliation.runDueControls(at);
    expect(first.map((r) => [r.trigger, r.livemode])).toEqual([
      ['SCHEDULED', false],
      ['SCHEDULED', true],
    ]);
    expect(first[0]!.digestMessageId).toMatch(/@/);
    expect(await server.services.reconciliation.runDueControls(new Date(at.getTime() + 3_600_000))).toEqual([]);
    const runs = (await gql(`{ controlRuns(first: 10) { edges { node { trigger runDate } } } }`)).data.controlRuns.edges.map((e: any) => e.node.trigger);
    expect(runs.filter((t: string) => t === 'SCHEDULED')).toHaveLength(1);
  });

  it('the controls tick runs as the controls-tick job: the day already ran, so nothing runs twice', async () => {
    const jobId = await server.jobs.send('controls-tick', {});
    await until(async () => (await server.jobs.job('controls-tick', jobId!))?.state === 'completed', 'the controls-tick job');
    const runs = (await gql(`{ controlRuns(first: 10) { edges { node { trigger } } } }`)).data.controlRuns.edges.map((e: any) => e.node.trigger);
    expect(runs.filter((t: string) => t === 'SCHEDULED')).toHaveLength(1);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('concurrent imports (real PostgreSQL; PGlite has one connection)', () => {
  it('two invoices billing the same parcel at once: exactly one is the duplicate', async () => {
    await bus.publish([shipmentCreated('e', '1Z0000000000000E', 1250, 1800, '3')]);
    await until(async () => (await server.database.db.select().from(shipmentProjections).where(eq(shipmentProjections.shipmentId, 'shp_e')))[0], 'shipment e');
    const importOne = (n: string) =>
      gql(IMPORT, {
        input: {
          carrier: 'ups',
          layout: 'GENERIC',
          csv: 'T,A\n1Z0000000000000E,12.50\n',
          invoiceNumber: n,
          invoiceDate: '2026-12-01',
          currency: 'EUR',
          mapping: { trackingNumber: 'T', amount: 'A' },
        },
      });
    const [a, b] = await Promise.all([importOne('CONC-A'), importOne('CONC-B')]);
    const classes = [a, b]
      .map((r: any) => r.data.importCarrierInvoice.lines.edges[0].node)
      .map((l: any) => [l.classification, l.reason])
      .sort();
    expect(classes).toEqual([
      ['MATCHED', null],
      ['MISMATCH', 'DUPLICATE'],
    ]);
  });
});

describe('captured mail survives a restart', () => {
  it('lists the same mail from a new finance server on the same database', async () => {
    const list = async () =>
      (await gql(`{ sandboxMail(first: 50) { edges { node { id messageId subject attachments { filename size } } } } }`)).data.sandboxMail.edges.map(
        (e: any) => e.node,
      );
    const before = await list();
    expect(before.length).toBeGreaterThanOrEqual(3);
    await server.stop();
    server = (await createFinanceServer({
      database: db.target,
      bus,
      logger: createLogger('finance-test', 'silent'),
      config: { reconciliation: { controls: { tickMs: 0 } } },
    })) as never;
    url = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}/graphql`;
    expect(await list()).toEqual(before);
    expect(before.some((m: any) => m.attachments.some((a: any) => a.filename === 'statement-dhl-2026-12-01.pdf'))).toBe(true);
  });
});
