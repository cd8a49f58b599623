import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PDFParse } from 'pdf-parse';
import { newId, sandboxId } from '@ipay/platform';
import { CSV_COLUMNS } from '../src/adapters/csv.ts';
import { DATEV_COLUMNS } from '../src/adapters/datev.ts';
import { CFO, CONTROLLER, OPS_KEY, merchantKey, paid, publishRefund, settlementsOf, startFinance, type FinanceHarness } from './support.ts';

const m = { id: sandboxId('mer', 'fin-test:statements'), slug: 'statement-shop' };
const kw = { id: sandboxId('mer', 'fin-test:kuwait'), slug: 'kuwait-shop' };
const DOC = `{ filename contentType contentBase64 byteLength sha256 }`;
const STATEMENT = `query($id: ID!) { settlement(id: $id) { statement ${DOC} csv: export(format: CSV) ${DOC} datev: export(format: DATEV) ${DOC} } }`;
const PERIOD = `query($input: PeriodExportInput!) { settlementPeriodExport(input: $input) ${DOC} }`;
const bytes = (doc: { contentBase64: string }) => Buffer.from(doc.contentBase64, 'base64');

describe('PDF statement and accountant exports', () => {
  let h: FinanceHarness;
  const orders = [newId('ord'), newId('ord'), newId('ord')];
  beforeAll(async () => {
    h = await startFinance();
    await paid(h, m, orders[0]!, 7840, 'EUR', '2026-10-05T10:00:00Z');
    await paid(h, m, orders[1]!, 1990, 'EUR', '2026-10-10T10:00:00Z');
    await paid(h, m, orders[2]!, 12500, 'EUR', '2026-10-11T10:00:00Z');
    await publishRefund(h, m, { orderId: orders[0]!, amount: 1000, currency: 'EUR', occurredAt: '2026-10-12T09:00:00Z' });
    await paid(h, kw, newId('ord'), 12345, 'KWD', '2026-10-08T10:00:00Z');
  });
  afterAll(() => h?.stop());

  it('renders the statement as a PDF whose text carries merchant, period, lines, fee schedule and totals', async () => {
    const [s] = await settlementsOf(h.db, m.id);
    const { data, errors } = await h.gql(STATEMENT, { id: s!.id }, merchantKey(m.id));
    expect(errors).toBeUndefined();
    expect(data.settlement.statement).toMatchObject({ filename: `settlement-${s!.id}.pdf`, contentType: 'application/pdf' });
    const pdf = bytes(data.settlement.statement);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBe(data.settlement.statement.byteLength);
    const { text } = await new PDFParse({ data: new Uint8Array(pdf) }).getText();
    // gross 7840 + 1990 + 12500 − 1000 = 21330; fees 3 × 95 = 285; net 21045.
    expect(text).toContain('Gross collected: EUR 213.30');
    expect(text).toContain('IPAY fees: EUR 2.85');
    expect(text).toContain('Net payout: EUR 210.45');
    expect(text).toContain(`Merchant: statement-shop (${m.id})`);
    expect(text).toContain('Period: 2026-10-01 – 2026-10-31 (monthly, UTC)');
    expect(text).toContain('fee_platform_eur: EUR 0.95 per order, platform schedule');
    expect(text).toContain('Lines (4)');
    for (const order of orders) expect(text).toContain(order);
    expect(text).toContain('-10.00');
    // The same settlement renders the same bytes.
    const again = await h.gql(STATEMENT, { id: s!.id }, merchantKey(m.id));
    expect(again.data.settlement.statement.sha256).toBe(data.settlement.statement.sha256);
  });

  it('renders three-decimal amounts in the statement', async () => {
    const [s] = await settlementsOf(h.db, kw.id);
    const { data } = await h.gql(STATEMENT.replace(/ csv: .*datev: export\(format: DATEV\) \{[^}]*\}/, ''), { id: s!.id });
    const { text } = await new PDFParse({ data: new Uint8Array(bytes(data.settlement.statement)) }).getText();
    expect(text).toContain('Net payout: KWD 11.995');
  });

  it('exports a settlement as CSV with documented columns and as DATEV EXTF', async () => {
    const [s] = await settlementsOf(h.db, m.id);
    const { data } = await h.gql(STATEMENT, { id: s!.id }, merchantKey(m.id));
    const csv = bytes(data.settlement.csv).toString('utf8');
    const rows = csv.split('\r\n').filter(Boolean);
    expect(rows[0]).toBe(CSV_COLUMNS.join(','));
    expect(rows).toHaveLength(1 + 4 + 1);
    const col = (row: string, name: (typeof CSV_COLUMNS)[number]) => row.split(',')[CSV_COLUMNS.indexOf(name)];
    expect(rows.slice(1, 5).map((r) => [col(r, 'line_kind'), col(r, 'order_id'), col(r, 'gross'), col(r, 'fee'), col(r, 'net')])).toEqual([
      ['COLLECTION', orders[0], '78.40', '0.95', '77.45'],
      ['COLLECTION', orders[1], '19.90', '0.95', '18.95'],
      ['COLLECTION', orders[2], '125.00', '0.95', '124.05'],
      ['REFUND', orders[0], '-10.00', '0.00', '-10.00'],
    ]);
    expect([
      col(rows[5]!, 'record_type'),
      col(rows[5]!, 'gross'),
      col(rows[5]!, 'fee'),
      col(rows[5]!, 'net'),
      col(rows[5]!, 'line_count'),
      col(rows[5]!, 'accounting_state'),
    ]).toEqual(['TOTAL', '213.30', '2.85', '210.45', '4', 'ACCRUED']);

    const datev = bytes(data.settlement.datev).toString('latin1').split('\r\n');
    expect(datev[0]).toMatch(/^"EXTF";700;21;"Buchungsstapel";13;20261031235959999;;"RE";"IPAY";;1001;1;20260101;4;20261001;20261031;/);
    expect(datev[1]).toBe(DATEV_COLUMNS.map((c) => `"${c}"`).join(';'));
    // Collection: Soll 1360 an Haben 70000; fee: Soll 70000 an Haben 8400; refund: Soll 70000 an Haben 1360.
    expect(datev[2]).toBe(`78,40;"S";"EUR";;;;1360;70000;;0510;"${s!.id}";"${datev[2]!.split(';')[11]!.slice(1, -1)}";;"Inkasso ${orders[0]}"`);
    expect(datev[3]!.split(';').slice(0, 8)).toEqual(['0,95', '"S"', '"EUR"', '', '', '', '70000', '8400']);
    expect(
      datev
        .find((r) => r.startsWith('10,00;'))!
        .split(';')
        .slice(6, 8),
    ).toEqual(['70000', '1360']);
    expect(data.settlement.datev.filename).toBe(`EXTF_Buchungsstapel_${s!.id}.csv`);
  });

  it('period exports are reproducible byte for byte, include accrual states, and refuse DATEV for three-decimal currencies', async () => {
    const input = { from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', format: 'CSV' };
    const first = (await h.gql(PERIOD, { input })).data.settlementPeriodExport;
    const second = (await h.gql(PERIOD, { input })).data.settlementPeriodExport;
    expect(second.sha256).toBe(first.sha256);
    expect(bytes(second).equals(bytes(first))).toBe(true);
    const csv = bytes(first).toString('utf8');
    expect(csv).toContain('KWD');
    expect(csv).toContain(',12.345,0.350,11.995,');
    // Approving changes the accounting state, and so the bytes.
    const [s] = await settlementsOf(h.db, m.id);
    await h.gql(`mutation($id: ID!) { closeSettlement(id: $id) { id } }`, { id: s!.id }, CFO);
    await h.gql(`mutation($id: ID!) { approveSettlement(id: $id) { id } }`, { id: s!.id }, CONTROLLER);
    const third = (await h.gql(PERIOD, { input: { ...input, merchantId: m.id } }, OPS_KEY)).data.settlementPeriodExport;
    expect(bytes(third).toString('utf8')).toContain(',APPROVED,PAYABLE,');
    expect(third.filename).toBe(`settlements_${m.id}_2026-10-01_2026-10-31.csv`);

    const datev = await h.gql(PERIOD, { input: { ...input, format: 'DATEV' } });
    expect(datev.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(datev.errors?.[0]?.message).toContain('KWD has three decimals');
    const eurOnly = await h.gql(PERIOD, { input: { ...input, format: 'DATEV', merchantId: m.id } });
    expect(bytes(eurOnly.data.settlementPeriodExport).toString('latin1')).toContain('"Buchungsstapel"');
    const crossYear = await h.gql(PERIOD, { input: { from: '2026-12-01T00:00:00Z', to: '2027-02-01T00:00:00Z', format: 'DATEV' } });
    expect(crossYear.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.to' });
    // Outside its scope a merchant gets nothing of another's.
    expect((await h.gql(PERIOD, { input: { ...input, merchantId: kw.id } }, merchantKey(m.id))).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
