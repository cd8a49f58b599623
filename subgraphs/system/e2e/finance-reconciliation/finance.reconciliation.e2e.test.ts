import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBGRAPH_NAMES } from '@ipay/platform';
import { AS_OPERATOR, startTestSystem, type TestSystem } from '../support.ts';

/**
 * The back office over the REST facade of a running system: a carrier invoice imported and resolved, a statement
 * mailed to the sandbox SMTP server, and the controls run with all five subgraphs' audit chains attested.
 */
describe('finance reconciliation, statements and controls over REST', () => {
  let system: TestSystem;
  let base: string;
  const rest = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...AS_OPERATOR, 'content-type': 'application/json', ...(method === 'GET' ? {} : { 'idempotency-key': `${method}-${path}-${Math.random()}` }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  beforeAll(async () => {
    system = await startTestSystem({ seed: true, subgraphConfig: { identity: { crmSyncIntervalMs: 0 } } });
    base = new URL('/', system.gatewayUrl).toString().replace(/\/$/, '');
  });
  afterAll(() => system?.stop());

  it('imports, resolves, mails a statement and runs the controls', { timeout: 120_000 }, async () => {
    const imported = await rest('POST', '/v1/carrier-invoices', {
      carrier: 'gls',
      layout: 'GENERIC',
      csv: 'Parcel,Net,Toll\nGLS-NOT-SHIPPED-1,7.90,0.35\n',
      invoiceNumber: 'GLS-2026-0042',
      invoiceDate: '2026-11-20',
      currency: 'EUR',
      mapping: { trackingNumber: 'Parcel', amount: 'Net', surcharges: ['Toll'] },
    });
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({
      carrier: 'gls',
      status: 'RECONCILING',
      total: { amount: 825, currency: 'EUR' },
      summary: { unmatched: 1, unresolved: 1 },
    });

    const lines = await rest('GET', `/v1/carrier-invoices/${imported.body.id}/lines`);
    expect(lines.status).toBe(200);
    const [line] = lines.body.edges.map((e: any) => e.node);
    expect(line).toMatchObject({
      trackingNumber: 'GLS-NOT-SHIPPED-1',
      classification: 'UNMATCHED',
      reason: 'NO_SHIPMENT',
      charges: [{ kind: 'BASE' }, { kind: 'SURCHARGE', amount: { amount: 35 } }],
    });

    const resolved = await rest('POST', `/v1/carrier-invoice-lines/${line.id}/resolution`, {
      resolution: 'ACCEPT_CARRIER',
      note: 'return label bought by hand',
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ resolution: 'ACCEPT_CARRIER', approved: { amount: 825 } });
    expect((await rest('GET', `/v1/carrier-invoices/${imported.body.id}`)).body.status).toBe('RECONCILED');

    const sent = await rest('POST', '/v1/carriers/gls/statement/send', { asOf: '2026-12-21', recipients: ['ap@gls.example'] });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ recipients: ['ap@gls.example'], attachment: { filename: 'statement-gls-2026-12-21.pdf' } });
    expect(sent.body.statement.totals[0].buckets).toEqual([
      { bucket: 'DAYS_0_30', amount: { amount: 0, currency: 'EUR' } },
      { bucket: 'DAYS_31_60', amount: { amount: 825, currency: 'EUR' } },
      { bucket: 'DAYS_61_90', amount: { amount: 0, currency: 'EUR' } },
      { bucket: 'DAYS_OVER_90', amount: { amount: 0, currency: 'EUR' } },
    ]);
    const mail = await rest('GET', '/v1/sandbox/mail?to=ap%40gls.example');
    expect(mail.status).toBe(200);
    expect(mail.body.edges.map((e: any) => [e.node.messageId, e.node.attachments.map((a: any) => [a.filename, a.size])])).toEqual([
      [sent.body.messageId, [['statement-gls-2026-12-21.pdf', sent.body.attachment.size]]],
    ]);

    // Every subgraph attests its own chain; finance learns the results from the bus.
    for (const name of SUBGRAPH_NAMES) await system.subgraphs[name].attestAuditChain();
    let run: any;
    for (let i = 0; i < 100; i += 1) {
      const ran = await rest('POST', '/v1/controls/runs', { sendDigest: false });
      expect(ran.status).toBe(201);
      run = ran.body;
      if (run.results.find((r: any) => r.control === 'AUDIT_CHAINS_VERIFY').result === 'PASS') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(run.results.find((r: any) => r.control === 'AUDIT_CHAINS_VERIFY')).toMatchObject({ result: 'PASS', evidenceCount: 0 });
    expect(run.results.find((r: any) => r.control === 'CARRIER_INVOICES_RECONCILED').result).toBe('PASS');
    const listed = await rest('GET', '/v1/controls/runs?first=1');
    expect(listed.body.edges[0].node.id).toBe(run.id);
  });
});
