import { eq } from 'drizzle-orm';
import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as commerceSchema from '@ipay/commerce/src/db/schema.ts';
import { formatMinorUnits, type Database } from '@ipay/platform';
import { SANDBOX_KEYS, bearer, startTestSystem, type TestSystem } from '../support.ts';
import { acme, eventually } from '../logistics/logistics.support.ts';

/**
 * The quote engine (issue 14) through the gateway over GraphQL: the breakdown is logistics' cost engine (the same
 * numbers `quoteShipment` gives) + finance's fee from its schedule + the merchant's margin rule (+ tax); acceptance
 * creates the order at the frozen total even after the merchant changed its terms; an expired quote is refused with
 * QUOTE_EXPIRED; the PDF's text carries the breakdown and branding.
 */
const ACME = bearer(SANDBOX_KEYS['acme-owner']!);
const DELIVERIES = [
  {
    carrierCode: 'dhl',
    serviceLevel: 'STANDARD',
    deliveryMethod: 'DOOR',
    weightGrams: 1500,
    lengthMm: 300,
    widthMm: 200,
    heightMm: 100,
    country: 'NL',
    postcode: '1011 AB',
  },
  // A Wadden island postcode: PostNL's remote-area surcharge is part of the cost engine's price.
  {
    carrierCode: 'postnl',
    serviceLevel: 'STANDARD',
    deliveryMethod: 'DOOR',
    weightGrams: 3000,
    lengthMm: 400,
    widthMm: 300,
    heightMm: 200,
    country: 'NL',
    postcode: '8881 AA',
  },
];
const SETTINGS = `mutation($input: QuoteSettingsInput!) { setQuoteSettings(input: $input) { merchantId marginKind marginBasisPoints marginAmount taxBasisPoints validityHours branding { name logoUrl primaryColor accentColor } } }`;
const REQUEST = `mutation($input: RequestQuoteInput!) { requestQuote(input: $input) { id status } }`;
const QUOTE = `query($id: ID!) { quote(id: $id) {
  id status currency validUntil issuedAt
  branding { name logoUrl primaryColor accentColor }
  deliveries { carrierCode carrierCost { amount currency } }
  carrierCostTotal { amount currency } ipayFeeAmount { amount currency }
  margin { kind basisPoints amount { amount } } tax { basisPoints label amount { amount } } total { amount currency }
  carrierCost { total { amount currency } deliveries { breakdown { carrierCode rateCardId total { amount currency } lines { kind amount { amount } } } noTariff { code } } }
  ipayFee { amount { amount currency } feeSchedule { id feePerOrder { amount } } }
  refusalCode refusalReason
} }`;
const QUOTE_SHIPMENT = `query($input: QuoteShipmentInput!) { quoteShipment(input: $input) { breakdown { total { amount currency } } noTariff { code message } } }`;
const FEES = `query($m: ID, $c: String) { feeSchedule(merchantId: $m, currency: $c) { id merchantId feePerOrder { amount } validFrom validTo } }`;
const ACCEPT = `mutation($id: ID!, $input: AcceptQuoteInput!) { acceptQuote(id: $id, input: $input) { quote { id status } order { id status total { amount currency } lines { sku unitAmount { amount } quantity } } } }`;

const bp = (amount: number, basisPoints: number) => Math.floor((amount * basisPoints + 5000) / 10000);

describe('quote engine (issue 14), through the gateway', () => {
  let system: TestSystem;
  const commerceDb = () => system.subgraphs.commerce.database.db as unknown as Database<typeof commerceSchema>;
  beforeAll(async () => {
    system = await startTestSystem({ seed: true });
  });
  afterAll(() => system?.stop());

  /** What logistics' cost engine says for each delivery (quoteShipment), and the fee in force from finance's schedule. */
  async function references() {
    const costs: number[] = [];
    for (const d of DELIVERIES) {
      const { body } = await system.query(
        QUOTE_SHIPMENT,
        {
          input: {
            carrierCode: d.carrierCode,
            serviceLevel: d.serviceLevel,
            deliveryMethod: d.deliveryMethod,
            parcel: {
              weightGrams: d.weightGrams,
              dimensions: { lengthMm: d.lengthMm, widthMm: d.widthMm, heightMm: d.heightMm },
              destination: { country: d.country, postcode: d.postcode },
            },
          },
        },
        ACME,
      );
      expect(body.errors).toBeUndefined();
      expect(body.data.quoteShipment.noTariff).toBeNull();
      costs.push(body.data.quoteShipment.breakdown.total.amount);
    }
    const { body } = await system.query(FEES, { m: acme.id, c: 'EUR' }, ACME);
    expect(body.errors).toBeUndefined();
    const now = Date.now();
    const inForce = (
      body.data.feeSchedule as { id: string; merchantId: string | null; feePerOrder: { amount: number }; validFrom: string; validTo: string | null }[]
    )
      .filter((f) => Date.parse(f.validFrom) <= now && (!f.validTo || now < Date.parse(f.validTo)))
      .sort((a, b) => Number(b.merchantId !== null) - Number(a.merchantId !== null) || Date.parse(b.validFrom) - Date.parse(a.validFrom))[0]!;
    return { costs, fee: inForce.feePerOrder.amount, feeScheduleId: inForce.id };
  }

  async function issuedQuote(settings: Record<string, unknown>) {
    const set = await system.query(
      SETTINGS,
      {
        input: {
          merchantId: acme.id,
          brandName: 'Acme Deliveries',
          logoUrl: 'https://acme-shop.test/logo.png',
          primaryColor: '#0b3d91',
          accentColor: '#fc3d21',
          ...settings,
        },
      },
      ACME,
    );
    expect(set.body.errors).toBeUndefined();
    const requested = await system.query(
      REQUEST,
      { input: { merchantId: acme.id, currency: 'EUR', deliveries: DELIVERIES, customerName: 'Emma de Vries', customerEmail: 'emma@example.com' } },
      ACME,
    );
    expect(requested.body.errors).toBeUndefined();
    expect(requested.body.data.requestQuote.status).toBe('PRICING');
    const id = requested.body.data.requestQuote.id as string;
    return eventually(async () => {
      const { body } = await system.query(QUOTE, { id }, ACME);
      expect(body.errors).toBeUndefined();
      expect(body.data.quote.status).not.toBe('REFUSED');
      return body.data.quote.status === 'ISSUED' ? body.data.quote : null;
    }, 20_000);
  }

  const RULES = [
    { name: 'PERCENTAGE 15 %', settings: { marginKind: 'PERCENTAGE', marginBasisPoints: 1500 }, margin: (cost: number) => bp(cost, 1500), tax: 0 },
    {
      name: 'FIXED 2.50 with 21 % VAT',
      settings: { marginKind: 'FIXED', marginAmount: 250, marginCurrency: 'EUR', taxBasisPoints: 2100, taxLabel: 'VAT' },
      margin: () => 250,
      tax: 2100,
    },
    // 5 % of ~30 EUR is ~1.50: the 9.00 floor applies.
    {
      name: 'MINIMUM 5 % at least 9.00',
      settings: { marginKind: 'MINIMUM', marginBasisPoints: 500, marginAmount: 900, marginCurrency: 'EUR' },
      margin: (cost: number) => Math.max(bp(cost, 500), 900),
      tax: 0,
    },
  ];

  it.each(RULES)('breakdown = cost engine + fee schedule + margin (+ tax): $name', async (rule) => {
    const { costs, fee, feeScheduleId } = await references();
    const quote = await issuedQuote(rule.settings);
    // Logistics' part, entity to entity: the cost engine's breakdown per delivery, equal to quoteShipment's.
    expect(quote.carrierCost.deliveries.map((d: any) => d.breakdown.total.amount)).toEqual(costs);
    expect(quote.carrierCost.total).toEqual({ amount: costs[0]! + costs[1]!, currency: 'EUR' });
    expect(quote.deliveries.map((d: any) => d.carrierCost.amount)).toEqual(costs);
    expect(quote.carrierCostTotal.amount).toBe(costs[0]! + costs[1]!);
    // Finance's part: the fee schedule entry in force.
    expect(quote.ipayFee).toEqual({ amount: { amount: fee, currency: 'EUR' }, feeSchedule: { id: feeScheduleId, feePerOrder: { amount: fee } } });
    expect(quote.ipayFeeAmount.amount).toBe(fee);
    const cost = costs[0]! + costs[1]! + fee;
    const margin = rule.margin(cost);
    const tax = bp(cost + margin, rule.tax);
    expect(quote.margin).toMatchObject({ kind: rule.settings.marginKind, amount: { amount: margin } });
    expect(quote.tax).toMatchObject({ basisPoints: rule.tax, amount: { amount: tax } });
    expect(quote.total).toEqual({ amount: cost + margin + tax, currency: 'EUR' });
    expect(quote.branding).toEqual({ name: 'Acme Deliveries', logoUrl: 'https://acme-shop.test/logo.png', primaryColor: '#0B3D91', accentColor: '#FC3D21' });
    expect(Date.parse(quote.validUntil) - Date.parse(quote.issuedAt)).toBe(72 * 3_600_000);
  });

  it('acceptance creates the order at the frozen quoted total, even after the merchant changed its margin', async () => {
    const quote = await issuedQuote({ marginKind: 'PERCENTAGE', marginBasisPoints: 1000, validityHours: 24 });
    // New terms after issue: acceptance must not recompute.
    await system.query(SETTINGS, { input: { merchantId: acme.id, marginKind: 'FIXED', marginAmount: 99_999, marginCurrency: 'EUR' } }, ACME);
    const input = {
      merchantReference: `Q-${quote.id.slice(-8)}`,
      customer: { name: 'Emma de Vries', email: 'emma@example.com' },
      shippingAddress: { name: 'Emma de Vries', line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1011 AB', country: 'NL' },
    };
    const { body } = await system.query(ACCEPT, { id: quote.id, input }, ACME);
    expect(body.errors).toBeUndefined();
    const { order } = body.data.acceptQuote;
    expect(body.data.acceptQuote.quote.status).toBe('ACCEPTED');
    expect(order.total).toEqual(quote.total);
    expect(order.lines.reduce((sum: number, l: any) => sum + l.unitAmount.amount * l.quantity, 0)).toBe(quote.total.amount);
    const again = await system.query(ACCEPT, { id: quote.id, input: { ...input, merchantReference: `${input.merchantReference}-2` } }, ACME);
    expect(again.body.errors[0].extensions.code).toBe('QUOTE_ALREADY_ACCEPTED');
  });

  it('an expired quote cannot be accepted: QUOTE_EXPIRED, status EXPIRED, no order', async () => {
    const quote = await issuedQuote({ marginKind: 'PERCENTAGE', marginBasisPoints: 1000 });
    await commerceDb()
      .update(commerceSchema.quotes)
      .set({ validUntil: new Date(Date.now() - 1000) })
      .where(eq(commerceSchema.quotes.id, quote.id));
    const reference = `QX-${quote.id.slice(-8)}`;
    const { body } = await system.query(
      ACCEPT,
      {
        id: quote.id,
        input: {
          merchantReference: reference,
          customer: { name: 'Emma de Vries', email: 'emma@example.com' },
          shippingAddress: { name: 'Emma de Vries', line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1011 AB', country: 'NL' },
        },
      },
      ACME,
    );
    expect(body.errors[0].extensions.code).toBe('QUOTE_EXPIRED');
    expect((await system.query(QUOTE, { id: quote.id }, ACME)).body.data.quote.status).toBe('EXPIRED');
    const listed = await system.query(
      `query($m: ID!) { expired: quotes(merchantId: $m, status: EXPIRED) { id } issued: quotes(merchantId: $m, status: ISSUED) { id } }`,
      { m: acme.id },
      ACME,
    );
    expect(listed.body.data.expired.map((q: { id: string }) => q.id)).toContain(quote.id);
    expect(listed.body.data.issued.map((q: { id: string }) => q.id)).not.toContain(quote.id);
    expect(await commerceDb().select().from(commerceSchema.orders).where(eq(commerceSchema.orders.merchantReference, reference))).toHaveLength(0);
  });

  it('renders the quote as a PDF whose text carries the branding and the breakdown, and as JSON', async () => {
    const quote = await issuedQuote({ marginKind: 'FIXED', marginAmount: 250, marginCurrency: 'EUR', taxBasisPoints: 2100, taxLabel: 'VAT' });
    const { body } = await system.query(`query($id: ID!) { quote(id: $id) { pdfBase64 document } }`, { id: quote.id }, ACME);
    expect(body.errors).toBeUndefined();
    const { text } = await new PDFParse({ data: new Uint8Array(Buffer.from(body.data.quote.pdfBase64, 'base64')) }).getText();
    const eur = (minor: number) => `EUR ${formatMinorUnits(minor, 'EUR')}`;
    expect(text).toContain('Acme Deliveries');
    expect(text).toContain(`Delivery quote ${quote.id}`);
    expect(text).toContain(`Carrier cost: ${eur(quote.carrierCostTotal.amount)}`);
    expect(text).toContain(`IPAY fee: ${eur(quote.ipayFeeAmount.amount)}`);
    expect(text).toContain(`Margin (fixed): ${eur(quote.margin.amount.amount)}`);
    expect(text).toContain(`VAT (21 %): ${eur(quote.tax.amount.amount)}`);
    expect(text).toContain(`Total: ${eur(quote.total.amount)}`);
    expect(text).toContain(`Valid until: ${quote.validUntil}`);
    expect(body.data.quote.document).toMatchObject({
      id: quote.id,
      status: 'ISSUED',
      total: { amount_minor: quote.total.amount, currency: 'EUR' },
      branding: { name: 'Acme Deliveries' },
    });
  });

  it('over REST (persisted operations): set terms, request, read until issued, render, accept at the quoted total', async () => {
    const base = new URL(system.gatewayUrl).origin;
    const rest = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(new URL(path, base), {
        method,
        headers: { ...ACME, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as any };
    };
    const set = await rest('PUT', '/v1/quote-settings', { merchantId: acme.id, marginKind: 'PERCENTAGE', marginBasisPoints: 1200, brandName: 'Acme REST' });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ marginKind: 'PERCENTAGE', marginBasisPoints: 1200, branding: { name: 'Acme REST' } });
    expect((await rest('GET', `/v1/merchants/${acme.id}/quote-settings`)).body.marginBasisPoints).toBe(1200);
    const created = await rest('POST', '/v1/quotes', { merchantId: acme.id, currency: 'EUR', deliveries: DELIVERIES.slice(0, 1) });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('PRICING');
    const issued = await eventually(async () => {
      const { status, body } = await rest('GET', `/v1/quotes/${created.body.id}`);
      expect(status).toBe(200);
      return body.status === 'ISSUED' ? body : null;
    }, 20_000);
    const cost = issued.carrierCost.total.amount + issued.ipayFee.amount.amount;
    expect(issued.total.amount).toBe(cost + bp(cost, 1200));
    const rendered = await rest('GET', `/v1/quotes/${created.body.id}/document`);
    expect(rendered.status).toBe(200);
    expect(Buffer.from(rendered.body.pdfBase64, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    expect(rendered.body.document.total.amount_minor).toBe(issued.total.amount);
    const accepted = await rest('POST', `/v1/quotes/${created.body.id}/accept`, {
      merchantReference: `QR-${created.body.id.slice(-8)}`,
      customer: { name: 'Emma de Vries', email: 'emma@example.com' },
      shippingAddress: { name: 'Emma de Vries', line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1011 AB', country: 'NL' },
    });
    expect(accepted.status).toBe(201);
    expect(accepted.body.order.total).toEqual(issued.total);
  });

  it('a delivery the cost engine cannot price: REFUSED with the cost engine reason, and it cannot be accepted', async () => {
    await system.query(SETTINGS, { input: { merchantId: acme.id, marginKind: 'PERCENTAGE', marginBasisPoints: 1000 } }, ACME);
    // InPost has locker tariffs only.
    const lockerOnly = { ...DELIVERIES[0]!, carrierCode: 'inpost' };
    const reference = await system.query(
      QUOTE_SHIPMENT,
      {
        input: {
          carrierCode: 'inpost',
          serviceLevel: 'STANDARD',
          deliveryMethod: 'DOOR',
          parcel: { weightGrams: 1500, dimensions: { lengthMm: 300, widthMm: 200, heightMm: 100 }, destination: { country: 'NL', postcode: '1011 AB' } },
        },
      },
      ACME,
    );
    const noTariff = reference.body.data.quoteShipment.noTariff.code as string;
    const requested = await system.query(REQUEST, { input: { merchantId: acme.id, currency: 'EUR', deliveries: [DELIVERIES[0], lockerOnly] } }, ACME);
    const id = requested.body.data.requestQuote.id as string;
    const refused = await eventually(async () => {
      const { body } = await system.query(QUOTE, { id }, ACME);
      return body.data.quote.status === 'REFUSED' ? body.data.quote : null;
    }, 20_000);
    expect(refused).toMatchObject({ refusalCode: noTariff, total: null });
    expect(refused.carrierCost.deliveries[1].noTariff.code).toBe(noTariff);
    const { body } = await system.query(
      ACCEPT,
      {
        id,
        input: {
          merchantReference: `QN-${id.slice(-8)}`,
          customer: { name: 'Emma de Vries', email: 'emma@example.com' },
          shippingAddress: { name: 'Emma de Vries', line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1011 AB', country: 'NL' },
        },
      },
      ACME,
    );
    expect(body.errors[0].extensions).toMatchObject({ code: 'QUOTE_NOT_ISSUED', status: 'REFUSED' });
  });

  it('refuses a quote without settings (QUOTE_NOT_CONFIGURED) and an invalid margin rule (BAD_USER_INPUT)', async () => {
    // Every change of the terms is audited with before and after.
    await system.query(SETTINGS, { input: { merchantId: acme.id, marginKind: 'PERCENTAGE', marginBasisPoints: 1000 } }, ACME);
    await system.query(SETTINGS, { input: { merchantId: acme.id, marginKind: 'FIXED', marginAmount: 300, marginCurrency: 'EUR' } }, ACME);
    const audits = await commerceDb().select().from(commerceSchema.auditLog).where(eq(commerceSchema.auditLog.action, 'quote_settings.set'));
    const last = audits.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime()).at(-1)!;
    expect(last).toMatchObject({
      merchantId: acme.id,
      entityType: 'QuoteSettings',
      before: { marginKind: 'PERCENTAGE', marginBasisPoints: 1000 },
      after: { marginKind: 'FIXED', marginAmount: 300, marginCurrency: 'EUR' },
    });
    const other = await system.query(SETTINGS, { input: { merchantId: acme.id, marginKind: 'MINIMUM', marginBasisPoints: 500 } }, ACME);
    expect(other.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'marginAmount' });
    await commerceDb().delete(commerceSchema.quoteSettings).where(eq(commerceSchema.quoteSettings.merchantId, acme.id));
    const { body } = await system.query(REQUEST, { input: { merchantId: acme.id, currency: 'EUR', deliveries: DELIVERIES } }, ACME);
    expect(body.errors[0].extensions.code).toBe('QUOTE_NOT_CONFIGURED');
  });
});
