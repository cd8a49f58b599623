import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS, SANDBOX_ORDERS } from '@ipay/platform';
import { SANDBOX_KEYS, bearer } from '../../../subgraphs/system/e2e/support.ts';
import { startHostileSystem, type HostileSystem } from './support.ts';

const [acme, nordic] = SANDBOX_MERCHANTS as [(typeof SANDBOX_MERCHANTS)[number], (typeof SANDBOX_MERCHANTS)[number]];
const nordicOrder = SANDBOX_ORDERS.find((order) => order.merchantId === nordic.id)!;
const ACME_OWNER = bearer(SANDBOX_KEYS['acme-owner']!);

let system: HostileSystem;
beforeAll(async () => {
  system = await startHostileSystem();
});
afterAll(async () => {
  await system?.stop();
});
beforeEach(() => system.resetCalls());

let sequence = 0;
const orderInput = (overrides: Record<string, unknown> = {}) => ({
  merchantId: acme.id,
  merchantReference: `HOSTILE-${Date.now().toString(36)}-${++sequence}`,
  currency: 'EUR',
  customer: { name: 'Sanne Visser', email: 'sanne@example.com' },
  shippingAddress: { name: 'Sanne Visser', line1: 'Prinsengracht 263', city: 'Amsterdam', postalCode: '1016 GV', country: 'NL' },
  lines: [{ sku: 'MUG-1', name: 'Mug', quantity: 2, unitAmount: 1250 }],
  shippingAmount: 0,
  discountAmount: 0,
  totalAmount: 2500,
  ...overrides,
});
const CREATE =
  'mutation($input: CreateOrderInput!, $key: String!) { createOrder(input: $input, idempotencyKey: $key) { id merchantReference customer { name } } }';
const create = (input: Record<string, unknown>) => system.post({ query: CREATE, variables: { input, key: `k-${Date.now()}-${++sequence}` } }, ACME_OWNER);

/** The order was not stored: no order of that reference exists for the merchant. */
async function notStored(reference: string) {
  const { json } = await system.post(
    { query: 'query($s: String) { orders(first: 5, search: $s) { edges { node { id } } } }', variables: { s: reference } },
    ACME_OWNER,
  );
  expect(json.data.orders.edges).toEqual([]);
}

async function badInput(input: Record<string, unknown>, field: string, { reachesCommerce }: { reachesCommerce: boolean }) {
  const { status, json } = await create(input);
  expect({ code: json.errors[0].extensions.code, field: json.errors[0].extensions.field }).toEqual({ code: 'BAD_USER_INPUT', field });
  expect(json.data?.createOrder ?? null).toBeNull();
  if (!reachesCommerce) {
    expect(status).toBe(400);
    expect(system.subgraphCalls().commerce).toBe(0);
  }
  await notStored(String(input.merchantReference));
}

describe('money and strings in createOrder', () => {
  it('refuses an order total of 0 (nothing to collect on arrival)', async () => {
    await badInput(orderInput({ lines: [{ sku: 'FREE', name: 'Sample', quantity: 1, unitAmount: 0 }], totalAmount: 0 }), 'totalAmount', {
      reachesCommerce: true,
    });
  });

  it('refuses a negative unit amount', async () => {
    await badInput(orderInput({ lines: [{ sku: 'MUG-1', name: 'Mug', quantity: 1, unitAmount: -1250 }], totalAmount: -1250 }), 'lines[0].unitAmount', {
      reachesCommerce: true,
    });
  });

  it('refuses a fractional amount at the gateway, naming the field', async () => {
    await badInput(orderInput({ totalAmount: 25.5 }), 'totalAmount', { reachesCommerce: false });
  });

  it('refuses an amount that overflows Int at the gateway, naming the field', async () => {
    await badInput(orderInput({ totalAmount: 2 ** 53 }), 'totalAmount', { reachesCommerce: false });
  });

  it('refuses an amount sent as a string at the gateway', async () => {
    await badInput(orderInput({ totalAmount: '2500' }), 'totalAmount', { reachesCommerce: false });
  });

  it('refuses a currency that is not ISO 4217', async () => {
    await badInput(orderInput({ currency: 'EURO' }), 'currency', { reachesCommerce: true });
  });

  it('refuses an overlong merchant reference (100,000 characters)', async () => {
    const { json } = await create(orderInput({ merchantReference: 'R'.repeat(100_000) }));
    expect({ code: json.errors[0].extensions.code, field: json.errors[0].extensions.field }).toEqual({ code: 'BAD_USER_INPUT', field: 'merchantReference' });
  });

  it('stores a 4-byte emoji and an RTL override exactly as sent, and returns them JSON-escaped as data', async () => {
    const name = 'Zoë 🦄 \u202Egnp.exe';
    const { json } = await create(orderInput({ customer: { name, email: 'zoe@example.com' } }));
    expect(json.errors).toBeUndefined();
    expect(json.data.createOrder.customer.name).toBe(name);
  });

  it('treats SQL metacharacters in a search as text', async () => {
    for (const search of ["'; drop table commerce.orders; --", '%', '_', '\\', "' or '1'='1"]) {
      const { status, json } = await system.post(
        { query: 'query($s: String) { orders(first: 5, search: $s) { edges { node { id } } } }', variables: { s: search } },
        ACME_OWNER,
      );
      expect({ status, errors: json.errors }).toEqual({ status: 200, errors: undefined });
      expect(json.data.orders.edges).toEqual([]);
    }
  });
});

describe('cross-merchant probing', () => {
  it("answers another merchant's order id as not found over GraphQL", async () => {
    const { json } = await system.post({ query: 'query($id: ID!) { order(id: $id) { id merchantReference } }', variables: { id: nordicOrder.id } }, ACME_OWNER);
    expect(json.data?.order ?? null).toBeNull();
    if (json.errors) expect(json.errors[0].extensions.code).toBe('NOT_FOUND');
  });

  it("answers another merchant's order id with 404 over REST", async () => {
    const response = await system.raw(`/v1/orders/${nordicOrder.id}`, { headers: ACME_OWNER });
    expect(response.status).toBe(404);
    expect(response.text).not.toContain(nordicOrder.reference);
  });

  it("does not list another merchant's orders when asked by its merchant id", async () => {
    const { json } = await system.post(
      { query: 'query($m: ID) { orders(first: 5, merchantId: $m) { edges { node { id } } } }', variables: { m: nordic.id } },
      ACME_OWNER,
    );
    const ids = (json.data?.orders?.edges ?? []).map((edge: any) => edge.node.id);
    expect(ids).not.toContain(nordicOrder.id);
  });

  it('refuses to create an order for another merchant', async () => {
    const input = orderInput({ merchantId: nordic.id });
    const { json } = await create(input);
    expect(json.data?.createOrder ?? null).toBeNull();
    expect(['FORBIDDEN', 'NOT_FOUND']).toContain(json.errors[0].extensions.code);
  });
});
