import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS, SANDBOX_ORDERS, newId, type BusEvent, type DomainEvent, type EventType } from '@ipay/platform';
import { startSimulatedShop, type SimulatedShop } from '@ipay/commerce/src/sandbox/shops/simulated-shop.ts';
import { SANDBOX_KEYS, bearer, startTestSystem, type TestSystem } from '../support.ts';

const [acme, nordic] = SANDBOX_MERCHANTS as [(typeof SANDBOX_MERCHANTS)[number], (typeof SANDBOX_MERCHANTS)[number]];
const AS_ACME = bearer(SANDBOX_KEYS['acme-owner']!);
const codeOf = (body: { errors?: { extensions?: Record<string, unknown> }[] }) => body.errors?.[0]?.extensions?.code;
const fieldOf = (body: { errors?: { extensions?: Record<string, unknown> }[] }) => body.errors?.[0]?.extensions?.field;

async function eventually<T>(fn: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ORDER_FIELDS = `id merchantReference status source total { amount currency } subtotal { amount } shippingCost { amount } discount { amount }
  customer { name email phone } shippingAddress { name line1 city postalCode country } lines { sku name quantity unitAmount { amount } total { amount } } cancellationReason`;
const CREATE = `mutation($input: CreateOrderInput!, $key: String!) { createOrder(input: $input, idempotencyKey: $key) { ${ORDER_FIELDS} } }`;

let sequence = 0;
const orderInput = (overrides: Record<string, unknown> = {}) => ({
  merchantId: acme.id,
  merchantReference: `E2E-${Date.now().toString(36)}-${++sequence}`,
  currency: 'EUR',
  customer: { name: 'Sanne Visser', email: 'Sanne.Visser@example.com', phone: '+31 6 12345678' },
  shippingAddress: { name: 'Sanne Visser', line1: 'Prinsengracht 263', city: 'Amsterdam', postalCode: '1016 GV', country: 'NL' },
  lines: [
    { sku: 'MUG-1', name: 'Mug', quantity: 2, unitAmount: 1250 },
    { sku: 'TEA-1', name: 'Tea', quantity: 1, unitAmount: 890 },
  ],
  shippingAmount: 495,
  discountAmount: 300,
  totalAmount: 2 * 1250 + 890 + 495 - 300,
  ...overrides,
});

describe('commerce through the gateway', () => {
  let system: TestSystem;
  let shop: SimulatedShop;
  const seen: BusEvent[] = [];
  beforeAll(async () => {
    system = await startTestSystem({ seed: true, subgraphConfig: { identity: { crmSyncIntervalMs: 0 }, commerce: { scheduler: { tickMs: 0, settleMs: 0 } } } });
    await system.bus.subscribe({ afterEventId: null }, (event) => void seen.push(event));
    shop = await startSimulatedShop();
  });
  afterAll(async () => {
    await shop?.close();
    await system?.stop();
  });

  const create = async (input = orderInput(), key = newId('idem'), headers = AS_ACME) => system.query(CREATE, { input, key }, headers);
  const orderStatus = async (id: string) => (await system.query(`query($id: ID!) { order(id: $id) { status } }`, { id })).body.data?.order?.status as string;
  const publish = async (type: EventType, orderId: string, payload: Record<string, unknown>) => {
    const event: DomainEvent = {
      id: newId('evt'),
      type,
      version: 1,
      occurredAt: new Date().toISOString(),
      source: type.startsWith('payment') || type.startsWith('refund') || type === 'order.payment_state_changed' ? 'payments' : 'logistics',
      merchantId: acme.id,
      livemode: false,
      carrierCode: null,
      subjectType: 'Order',
      subjectId: orderId,
      payload: { order_id: orderId, merchant: acme.slug, ...payload },
    };
    await system.bus.publish([event]);
  };

  describe('createOrder', () => {
    it('creates a validated order and emits order.created with the agreed payload', async () => {
      const input = orderInput();
      const { body } = await create(input);
      expect(body.errors).toBeUndefined();
      const order = body.data.createOrder;
      expect(order).toMatchObject({
        merchantReference: input.merchantReference,
        status: 'CREATED',
        source: 'API',
        total: { amount: 3585, currency: 'EUR' },
        subtotal: { amount: 3390 },
        customer: { email: 'sanne.visser@example.com' },
        shippingAddress: { postalCode: '1016 GV', country: 'NL' },
      });
      expect(order.lines[0]).toEqual({ sku: 'MUG-1', name: 'Mug', quantity: 2, unitAmount: { amount: 1250 }, total: { amount: 2500 } });
      const event = await eventually(
        async () => seen.find((e) => e.type === 'order.created' && e.subjectId === order.id),
        (e) => !!e,
      );
      expect(event!.payload).toMatchObject({
        order_id: order.id,
        merchant: 'acme-shop',
        merchant_id: acme.id,
        reference: input.merchantReference,
        status: 'CREATED',
        total: { amount: 35.85, amount_minor: 3585, currency: 'EUR' },
        customer: { name: 'Sanne Visser', email: 'sanne.visser@example.com' },
        shipping_address: { name: 'Sanne Visser', line1: 'Prinsengracht 263', line2: null, city: 'Amsterdam', postal_code: '1016 GV', country: 'NL' },
      });
      const audit = await system.query(
        `query($id: ID!) { auditTrail { commerce { records(filter: { entityId: $id }) { edges { node { action principalKind after } } } } } }`,
        { id: order.id },
        AS_ACME,
      );
      expect(audit.body.data.auditTrail.commerce.records.edges.map((e: any) => e.node.action)).toEqual(['order.create']);
    });

    it('is idempotent: the same key and body return the same order, another body is a conflict', async () => {
      const input = orderInput();
      const key = newId('idem');
      const first = await create(input, key);
      const second = await create(input, key);
      expect(second.body.data.createOrder.id).toBe(first.body.data.createOrder.id);
      const other = await create({ ...input, totalAmount: input.totalAmount + 100, shippingAmount: 595 }, key);
      expect(codeOf(other.body)).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(fieldOf(other.body)).toBe('idempotencyKey');
    });

    it('creates exactly one order for concurrent duplicates', async () => {
      const input = orderInput();
      const key = newId('idem');
      const results = await Promise.all(Array.from({ length: 6 }, () => create(input, key)));
      const ids = new Set(results.map((r) => r.body.data?.createOrder?.id));
      expect(results.every((r) => !r.body.errors)).toBe(true);
      expect(ids.size).toBe(1);
      const { body } = await system.query(`query($s: String!) { orders(first: 10, search: $s) { edges { node { id } } } }`, { s: input.merchantReference });
      expect(body.data.orders.edges).toHaveLength(1);
    });

    it('keeps keys per merchant: another merchant may use the same key', async () => {
      const key = newId('idem');
      const a = await create(orderInput(), key, bearer(SANDBOX_KEYS.operator!));
      const n = await create(
        orderInput({
          merchantId: nordic.id,
          currency: 'SEK',
          shippingAddress: { name: 'Sofia Lind', line1: 'Drottninggatan 1', city: 'Stockholm', postalCode: '111 51', country: 'SE' },
        }),
        key,
        bearer(SANDBOX_KEYS.operator!),
      );
      expect(a.body.errors).toBeUndefined();
      expect(n.body.errors).toBeUndefined();
      expect(a.body.data.createOrder.id).not.toBe(n.body.data.createOrder.id);
    });

    it.each([
      ['a total that does not add up', { totalAmount: 1 }, 'totalAmount'],
      [
        'a country that is not ISO',
        { shippingAddress: { name: 'X', line1: 'Y 1', city: 'Z', postalCode: '1016 GV', country: 'XX' } },
        'shippingAddress.country',
      ],
      [
        'a Dutch postcode that is not one',
        { shippingAddress: { name: 'X', line1: 'Y 1', city: 'Z', postalCode: '12345', country: 'NL' } },
        'shippingAddress.postalCode',
      ],
      [
        'a zero quantity',
        { lines: [{ sku: 'A', name: 'A', quantity: 0, unitAmount: 100 }], totalAmount: 0, shippingAmount: 0, discountAmount: 0 },
        'lines[0].quantity',
      ],
      ['a negative unit amount', { lines: [{ sku: 'A', name: 'A', quantity: 1, unitAmount: -5 }] }, 'lines[0].unitAmount'],
      ['no lines', { lines: [] }, 'lines'],
      ['an invalid e-mail', { customer: { name: 'A', email: 'not-an-email' } }, 'customer.email'],
      ['an unknown currency', { currency: 'EUX' }, 'currency'],
    ])('refuses %s naming the field', async (_, overrides, field) => {
      const { body } = await create(orderInput(overrides));
      expect(codeOf(body)).toBe('BAD_USER_INPUT');
      expect(fieldOf(body)).toBe(field);
    });

    it('refuses orders for merchants commerce does not know, and outside the caller scope', async () => {
      const unknown = await create(orderInput({ merchantId: 'mer_unknown' }), newId('idem'), bearer(SANDBOX_KEYS.operator!));
      expect(codeOf(unknown.body)).toBe('BAD_USER_INPUT');
      expect(fieldOf(unknown.body)).toBe('merchantId');
      const foreign = await create(orderInput({ merchantId: nordic.id }));
      expect(codeOf(foreign.body)).toBe('NOT_FOUND');
    });

    it('refuses a reference the merchant already used (other key)', async () => {
      const input = orderInput();
      await create(input);
      const { body } = await create(input);
      expect(codeOf(body)).toBe('BAD_USER_INPUT');
      expect(fieldOf(body)).toBe('merchantReference');
    });
  });

  describe('reading orders', () => {
    it('finds an order by merchant reference, only within scope', async () => {
      const sandbox = SANDBOX_ORDERS.find((o) => o.merchantId === acme.id)!;
      const q = `query($m: ID!, $r: String!) { orderByReference(merchantId: $m, reference: $r) { id } }`;
      const { body } = await system.query(q, { m: acme.id, r: sandbox.reference }, AS_ACME);
      expect(body.data.orderByReference.id).toBe(sandbox.id);
      const nordicOrder = SANDBOX_ORDERS.find((o) => o.merchantId === nordic.id)!;
      const hidden = await system.query(q, { m: nordic.id, r: nordicOrder.reference }, AS_ACME);
      expect(codeOf(hidden.body)).toBe('NOT_FOUND');
    });

    it('filters by status, created range and text search', async () => {
      const input = orderInput({ customer: { name: 'Zebulon Quirk', email: 'zq@example.org' } });
      await create(input);
      const q = `query($s: String, $st: OrderStatus, $from: DateTime, $to: DateTime) { orders(first: 50, search: $s, status: $st, createdFrom: $from, createdTo: $to) { edges { node { merchantReference status createdAt } } } }`;
      const byName = await system.query(q, { s: 'zebulon' }, AS_ACME);
      expect(byName.body.data.orders.edges.map((e: any) => e.node.merchantReference)).toEqual([input.merchantReference]);
      const byEmail = await system.query(q, { s: 'ZQ@EXAMPLE' }, AS_ACME);
      expect(byEmail.body.data.orders.edges).toHaveLength(1);
      const literal = await system.query(q, { s: '%' }, AS_ACME);
      expect(literal.body.data.orders.edges).toHaveLength(0);
      const delivered = await system.query(q, { st: 'DELIVERED' }, AS_ACME);
      expect(delivered.body.data.orders.edges.every((e: any) => e.node.status === 'DELIVERED')).toBe(true);
      expect(delivered.body.data.orders.edges.length).toBeGreaterThan(0);
      const range = await system.query(q, { from: '2026-11-02T00:00:00.000Z', to: '2026-11-04T00:00:00.000Z' }, AS_ACME);
      const times = range.body.data.orders.edges.map((e: any) => e.node.createdAt);
      expect(times.length).toBeGreaterThan(0);
      expect(times.every((t: string) => t >= '2026-11-02T00:00:00.000Z' && t < '2026-11-04T00:00:00.000Z')).toBe(true);
    });

    it('keeps pagination stable while orders are inserted', async () => {
      const q = `query($after: String) { orders(first: 4, after: $after, merchantId: "${acme.id}") { edges { node { id } } pageInfo { hasNextPage endCursor } } }`;
      const all: string[] = [];
      const snapshot = await system.query(`{ orders(first: 100, merchantId: "${acme.id}") { edges { node { id } } } }`, {}, AS_ACME);
      const expected = snapshot.body.data.orders.edges.map((e: any) => e.node.id);
      let after: string | null = null;
      for (;;) {
        const { body }: { body: any } = await system.query(q, { after }, AS_ACME);
        all.push(...body.data.orders.edges.map((e: any) => e.node.id));
        await create(); // a new order lands on the first page, which was already read
        if (!body.data.orders.pageInfo.hasNextPage) break;
        after = body.data.orders.pageInfo.endCursor;
      }
      expect(all).toEqual(expected);
    });
  });

  describe('order status', () => {
    it('cancels an unpaid order with a reason, then refuses to cancel it again', async () => {
      const created = (await create()).body.data.createOrder;
      const m = `mutation($id: ID!, $r: String!) { cancelOrder(id: $id, reason: $r) { status cancellationReason } }`;
      const { body } = await system.query(m, { id: created.id, r: 'customer changed their mind' }, AS_ACME);
      expect(body.data.cancelOrder).toEqual({ status: 'CANCELLED', cancellationReason: 'customer changed their mind' });
      const again = await system.query(m, { id: created.id, r: 'again' }, AS_ACME);
      expect(codeOf(again.body)).toBe('ILLEGAL_TRANSITION');
      await eventually(
        async () => seen.find((e) => e.type === 'order.status_changed' && e.subjectId === created.id),
        (e) => !!e && e.payload.from === 'CREATED' && e.payload.to === 'CANCELLED' && e.payload.merchant === 'acme-shop',
      );
    });

    it('follows payments and logistics events on the bus through to DELIVERED and REFUNDED', async () => {
      const created = (await create()).body.data.createOrder;
      const money = (minor: number) => ({ amount: minor / 100, amount_minor: minor, currency: 'EUR' });
      // order.payment_state_changed exactly per the contract (subgraphs/platform/src/events/payment-state.ts).
      const paymentState = (version: number, state: string, captured: number, refunded = 0) => ({
        version,
        state,
        amount_due: money(3585),
        captured: money(captured),
        refunded: money(refunded),
        outstanding: money(3585 - captured),
        payment_session_id: captured ? 'pay_2' : null,
        psp: captured ? 'adyen' : null,
        paid_at: captured ? '2026-05-29T09:10:00Z' : null,
      });
      const payment = { id: 'pay_1', reference: 'P-1', psp: 'adyen', method: 'ideal', amount: 35.85, amount_minor: 3585, currency: 'EUR' };
      await publish('payment.requested', created.id, { payment: { ...payment, status: 'requested' } });
      await eventually(
        () => orderStatus(created.id),
        (s) => s === 'AWAITING_PAYMENT',
      );
      // One session's confirmation is not the order's payment: only the order payment state makes it PAID.
      await publish('payment.confirmed', created.id, { payment: { ...payment, status: 'confirmed' } });
      await publish('order.payment_state_changed', created.id, paymentState(1, 'PARTIALLY_CAPTURED', 100));
      await publish('order.payment_state_changed', created.id, paymentState(2, 'PAID', 3585));
      await eventually(
        () => orderStatus(created.id),
        (s) => s === 'PAID',
      );
      // A late payment.requested and a redelivered state do not drag the order back or move it twice.
      await publish('payment.requested', created.id, { payment: { ...payment, status: 'requested' } });
      await publish('order.payment_state_changed', created.id, paymentState(2, 'PAID', 3585));
      await publish('carrier.out_for_delivery', created.id, {
        carrier: 'postnl',
        shipment: { id: 'shp_1', tracking_number: '3S123', scanned_at: new Date().toISOString() },
      });
      await eventually(
        () => orderStatus(created.id),
        (s) => s === 'OUT_FOR_DELIVERY',
      );
      await publish('release.authorized', created.id, {
        event: 'release.authorized',
        carrier: 'postnl',
        payment: { psp: 'adyen', status: 'confirmed', ...money(3585) },
        release: { authorized_at: '2026-05-29T09:14:22Z', method: 'carrier_release' },
      });
      await eventually(
        () => orderStatus(created.id),
        (s) => s === 'RELEASED',
      );
      await publish('parcel.released', created.id, {
        carrier: 'postnl',
        release: { id: 'rel_1', released_at: new Date().toISOString(), method: 'carrier_release' },
      });
      await eventually(
        () => orderStatus(created.id),
        (s) => s === 'DELIVERED',
      );
      // A partial refund leaves the order as it is; the order payment state REFUNDED refunds the order.
      await publish('order.payment_state_changed', created.id, paymentState(3, 'PARTIALLY_REFUNDED', 3585, 1000));
      await publish('order.payment_state_changed', created.id, paymentState(4, 'REFUNDED', 3585, 3585));
      await eventually(
        () => orderStatus(created.id),
        (s) => s === 'REFUNDED',
      );
      const expected = [
        'CREATED>AWAITING_PAYMENT',
        'AWAITING_PAYMENT>PAID',
        'PAID>OUT_FOR_DELIVERY',
        'OUT_FOR_DELIVERY>RELEASED',
        'RELEASED>DELIVERED',
        'DELIVERED>REFUNDED',
      ];
      const final = await eventually(
        async () => seen.filter((e) => e.type === 'order.status_changed' && e.subjectId === created.id).map((e) => `${e.payload.from}>${e.payload.to}`),
        (list) => list.length === expected.length,
      );
      expect(final).toEqual(expected);
    });

    it('delivers a paid pickup-point order on parcel.released without an out-for-delivery scan', async () => {
      const created = (await create()).body.data.createOrder;
      const money = (minor: number) => ({ amount: minor / 100, amount_minor: minor, currency: 'EUR' });
      await publish('payment.requested', created.id, { payment: { id: 'pay_1', status: 'requested' } });
      await publish('order.payment_state_changed', created.id, {
        version: 1,
        state: 'PAID',
        amount_due: money(3585),
        captured: money(3585),
        refunded: money(0),
        outstanding: money(0),
        payment_session_id: 'pay_1',
        psp: 'mollie',
        paid_at: '2026-05-29T09:10:00Z',
      });
      await eventually(
        () => orderStatus(created.id),
        (s) => s === 'PAID',
      );
      await publish('parcel.released', created.id, {
        carrier: 'postnl',
        release: { id: 'rel_1', released_at: new Date().toISOString(), method: 'pickup_point_release' },
      });
      await eventually(
        () => orderStatus(created.id),
        (s) => s === 'DELIVERED',
      );
    });

    it('learns new merchants from merchant.created and takes their orders', async () => {
      const merchantId = newId('mer');
      await system.bus.publish([
        {
          id: newId('evt'),
          type: 'merchant.created',
          version: 1,
          occurredAt: new Date().toISOString(),
          source: 'identity',
          merchantId,
          livemode: false,
          carrierCode: null,
          subjectType: 'Merchant',
          subjectId: merchantId,
          payload: { merchant_id: merchantId, merchant: 'fresh-goods', name: 'Fresh Goods', country: 'BE', currency: 'EUR' },
        },
      ]);
      const input = orderInput({ merchantId, shippingAddress: { name: 'Jules', line1: 'Rue Neuve 1', city: 'Bruxelles', postalCode: '1000', country: 'BE' } });
      const result = await eventually(
        () => create(input, newId('idem'), bearer(SANDBOX_KEYS.operator!)),
        (r) => !r.body.errors,
      );
      const id = result.body.data.createOrder.id;
      const event = await eventually(
        async () => seen.find((e) => e.type === 'order.created' && e.subjectId === id),
        (e) => !!e,
      );
      expect(event!.payload.merchant).toBe('fresh-goods');
    });
  });

  describe('bulk import', () => {
    const header =
      'reference,currency,customer_name,customer_email,customer_phone,ship_name,ship_line1,ship_line2,ship_city,ship_postal_code,ship_region,ship_country,sku,item_name,quantity,unit_amount,shipping_amount,discount_amount,total_amount';
    const csvRow = (ref: string, overrides: Partial<Record<'email' | 'country' | 'quantity' | 'total' | 'postcode', string>> = {}) =>
      [
        ref,
        'EUR',
        'Piet Jansen',
        overrides.email ?? 'piet@example.com',
        '',
        'Piet Jansen',
        'Damrak 1',
        '',
        'Amsterdam',
        overrides.postcode ?? '1012 LG',
        '',
        overrides.country ?? 'NL',
        'SKU-1',
        '"Mug, large"',
        overrides.quantity ?? '2',
        '1250',
        '495',
        '0',
        overrides.total ?? '2995',
      ].join(',');
    const IMPORT = `mutation($m: ID!, $f: ImportFormat!, $c: String!) { importOrders(merchantId: $m, format: $f, content: $c) { id status totalRows } }`;
    const JOB = `query($id: ID!) { importJob(id: $id) { status totalRows processedRows createdCount duplicateCount failedCount errors { row field reason } } }`;
    const runImport = async (format: 'CSV' | 'JSON', content: string) => {
      const { body } = await system.query(IMPORT, { m: acme.id, f: format, c: content }, AS_ACME);
      expect(body.errors).toBeUndefined();
      const job = await eventually(
        async () => (await system.query(JOB, { id: body.data.importOrders.id }, AS_ACME)).body.data.importJob,
        (j) => j.status === 'COMPLETED' || j.status === 'FAILED',
      );
      return job;
    };

    it('commits valid rows, reports invalid ones, and creates nothing twice on a re-run', async () => {
      const tag = Date.now().toString(36);
      const csv = [
        header,
        csvRow(`IMP-${tag}-1`),
        csvRow(`IMP-${tag}-2`, { email: 'nope' }),
        csvRow(`IMP-${tag}-3`),
        csvRow(`IMP-${tag}-4`, { country: 'QQ' }),
        csvRow(`IMP-${tag}-5`, { quantity: '1.5' }),
        csvRow(`IMP-${tag}-6`, { total: '3000' }),
        csvRow(`IMP-${tag}-1`),
        csvRow(`IMP-${tag}-8`),
      ].join('\n');
      const job = await runImport('CSV', csv);
      expect(job).toMatchObject({ status: 'COMPLETED', totalRows: 8, processedRows: 8, createdCount: 3, duplicateCount: 0, failedCount: 5 });
      expect(job.errors).toEqual([
        { row: 2, field: 'customer.email', reason: expect.stringContaining('not an e-mail') },
        { row: 4, field: 'shippingAddress.country', reason: expect.stringContaining('ISO 3166') },
        { row: 5, field: 'lines[0].quantity', reason: 'must be a positive integer' },
        { row: 6, field: 'totalAmount', reason: expect.stringContaining('does not equal') },
        { row: 7, field: 'merchantReference', reason: expect.stringContaining('row 1') },
      ]);
      const listed = await system.query(
        `query($s: String!) { orders(first: 50, search: $s) { edges { node { merchantReference source lines { name quantity } } } } }`,
        { s: `IMP-${tag}` },
        AS_ACME,
      );
      expect(listed.body.data.orders.edges.map((e: any) => e.node.merchantReference).sort()).toEqual([`IMP-${tag}-1`, `IMP-${tag}-3`, `IMP-${tag}-8`]);
      expect(listed.body.data.orders.edges[0].node).toMatchObject({ source: 'IMPORT', lines: [{ name: 'Mug, large', quantity: 2 }] });

      const rerun = await runImport('CSV', csv);
      expect(rerun).toMatchObject({ status: 'COMPLETED', createdCount: 0, duplicateCount: 3, failedCount: 5 });
      const after = await system.query(`query($s: String!) { orders(first: 50, search: $s) { edges { node { id } } } }`, { s: `IMP-${tag}` }, AS_ACME);
      expect(after.body.data.orders.edges).toHaveLength(3);
      const created = seen.filter((e) => e.type === 'order.created' && String(e.payload.reference).startsWith(`IMP-${tag}`));
      await eventually(
        async () => seen.filter((e) => e.type === 'order.created' && String(e.payload.reference).startsWith(`IMP-${tag}`)).length,
        (n) => n === 3,
      );
      expect(created.length).toBeLessThanOrEqual(3);
    });

    it('imports JSON with multi-line orders and refuses malformed content outright', async () => {
      const tag = Date.now().toString(36);
      const { merchantId: _m, ...base } = orderInput();
      const job = await runImport(
        'JSON',
        JSON.stringify([{ ...base, merchantReference: `JS-${tag}-1` }, { ...base, merchantReference: `JS-${tag}-2`, lines: [] }, 42]),
      );
      expect(job).toMatchObject({
        createdCount: 1,
        failedCount: 2,
        errors: [
          { row: 2, field: 'lines' },
          { row: 3, field: '(row)' },
        ],
      });
      const bad = await system.query(IMPORT, { m: acme.id, f: 'JSON', c: '{"orders": ' }, AS_ACME);
      expect(fieldOf(bad.body)).toBe('content');
      const badHeader = await system.query(IMPORT, { m: acme.id, f: 'CSV', c: 'reference,total\nA,1' }, AS_ACME);
      expect(fieldOf(badHeader.body)).toBe('content');
    });
  });

  describe('integrations', () => {
    const CONNECT = `mutation($m: ID!, $p: String!, $c: JSON!, $u: String!) { connectIntegration(merchantId: $m, platform: $p, credentials: $c, baseUrl: $u) { id status accountName lastError nextRunAt } }`;
    const SYNC = `mutation($id: ID!) { syncIntegrationNow(id: $id) { status importedCount lastRunAt lastSuccessAt nextRunAt lastError consecutiveFailures } }`;

    it('connects a shop after verifying its credentials, syncs its orders and never returns the credentials', async () => {
      const t0 = new Date(Date.now() - 60_000);
      const ref = `SHOPIFY-${Date.now().toString(36)}`;
      const externalId = shop.addOrder('shopify', {
        updatedAt: t0,
        currency: 'EUR',
        customer: { firstName: 'Noor', lastName: 'Bakker', email: `${ref.toLowerCase()}@shop.example` },
        address: { line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 LG', country: 'NL' },
      });
      const { body } = await system.query(CONNECT, { m: acme.id, p: 'shopify', c: shop.credentials('shopify'), u: shop.baseUrl('shopify') }, AS_ACME);
      expect(body.errors).toBeUndefined();
      expect(body.data.connectIntegration).toMatchObject({ status: 'CONNECTED', lastError: null });
      const id = body.data.connectIntegration.id;
      const synced = await system.query(SYNC, { id }, AS_ACME);
      expect(synced.body.data.syncIntegrationNow).toMatchObject({ status: 'CONNECTED', importedCount: 1, consecutiveFailures: 0, lastError: null });
      expect(Date.parse(synced.body.data.syncIntegrationNow.nextRunAt)).toBeGreaterThan(Date.now());
      const again = await system.query(SYNC, { id }, AS_ACME);
      expect(again.body.data.syncIntegrationNow.importedCount).toBe(1);
      const found = await system.query(
        `query($s: String!) { orders(first: 5, search: $s) { edges { node { source sourcePlatform externalId total { amount currency } } } } }`,
        { s: ref },
        AS_ACME,
      );
      expect(found.body.data.orders.edges).toEqual([
        { node: { source: 'INTEGRATION', sourcePlatform: 'shopify', externalId, total: { amount: 2 * 2495 + 495, currency: 'EUR' } } },
      ]);

      const listed = await system.query(`query($m: ID!) { integrations(merchantId: $m) { id platform status importedCount } }`, { m: acme.id }, AS_ACME);
      expect(listed.body.data.integrations).toContainEqual({ id, platform: 'shopify', status: 'CONNECTED', importedCount: 1 });
      expect(JSON.stringify(listed.body)).not.toContain(shop.credentials('shopify').accessToken);
      const hidden = await system.query(`query($m: ID!) { integrations(merchantId: $m) { id } }`, { m: acme.id }, bearer(SANDBOX_KEYS['nordic-owner']!));
      expect(codeOf(hidden.body)).toBe('NOT_FOUND');

      const off = await system.query(`mutation($id: ID!) { disconnectIntegration(id: $id) { status nextRunAt } }`, { id }, AS_ACME);
      expect(off.body.data.disconnectIntegration).toEqual({ status: 'DISCONNECTED', nextRunAt: null });
    });

    it('records ERROR when the platform refuses the credentials, and refuses malformed ones outright', async () => {
      const refused = await system.query(
        CONNECT,
        { m: acme.id, p: 'woocommerce', c: { consumerKey: `ck_${'0'.repeat(40)}`, consumerSecret: `cs_${'0'.repeat(40)}` }, u: shop.baseUrl('woocommerce') },
        AS_ACME,
      );
      expect(refused.body.data.connectIntegration).toMatchObject({ status: 'ERROR', nextRunAt: null });
      expect(refused.body.data.connectIntegration.lastError).toMatch(/woocommerce/);
      const malformed = await system.query(CONNECT, { m: acme.id, p: 'shopify', c: { accessToken: 'nope' }, u: shop.baseUrl('shopify') }, AS_ACME);
      expect(fieldOf(malformed.body)).toBe('credentials.accessToken');
      const unknown = await system.query(CONNECT, { m: acme.id, p: 'myspace', c: {}, u: shop.baseUrl('shopify') }, AS_ACME);
      expect(fieldOf(unknown.body)).toBe('platform');
    });
  });
});
