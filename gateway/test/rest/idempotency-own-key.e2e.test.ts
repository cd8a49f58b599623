import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS } from '@ipay/platform';
import { AS_OPERATOR } from '../../../subgraphs/system/e2e/support.ts';
import { eq } from '../../src/db/orm.ts';
import { idempotencyKeys } from '../../src/db/schema.ts';
import { startRestSystem, type RestSystem } from './support.ts';

const acme = SANDBOX_MERCHANTS[0]!;
const orderInput = (reference: string, quantity = 1) => ({
  merchantId: acme.id,
  merchantReference: reference,
  currency: 'EUR',
  customer: { name: 'Ana Silva', email: 'ana.silva@example.com', phone: '+31612345678' },
  shippingAddress: { name: 'Ana Silva', line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 LG', country: 'NL' },
  lines: [{ sku: 'MUG-BLUE', name: 'Blue mug', quantity, unitAmount: 1995 }],
  shippingAmount: 495,
  discountAmount: 0,
  totalAmount: 1995 * quantity + 495,
});

/**
 * One idempotency layer (issue 12): where the persisted operation has an idempotency variable of its own
 * (createOrder's `idempotencyKey`), the REST Idempotency-Key header is that variable, so REST and GraphQL with
 * the same key are the same request, kept once, by the subgraph.
 */
describe('Idempotency-Key on operations with an idempotency variable of their own', () => {
  let rest: RestSystem;
  beforeAll(async () => {
    rest = await startRestSystem();
  });
  afterAll(() => rest?.stop());

  const graphql = async (query: string, variables: Record<string, unknown>) => {
    const response = await fetch(rest.system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AS_OPERATOR },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
  };
  const createOrderOverGraphQL = (key: string, input: unknown) =>
    graphql('mutation ($input: CreateOrderInput!, $key: String!) { createOrder(input: $input, idempotencyKey: $key) { id } }', { input, key });
  const postOrder = async (body: unknown, key?: string) => {
    const response = await fetch(`${rest.baseUrl}/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AS_OPERATOR, ...(key ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const storedKeys = (key: string) => rest.gatewayDatabase.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));

  it('treats the same key over GraphQL and over REST (header only) as one request: the same order', async () => {
    const key = `own-${crypto.randomUUID()}`;
    const input = orderInput(`OWN-${Date.now()}`);
    const viaGraphQL = await createOrderOverGraphQL(key, input);
    expect(viaGraphQL.errors).toBeUndefined();
    const viaRest = await postOrder({ input }, key);
    expect({ status: viaRest.status, id: viaRest.body.id }).toEqual({ status: 201, id: viaGraphQL.data.createOrder.id });
    // The subgraph keeps the key; the gateway's store holds no second copy.
    expect(await storedKeys(key)).toEqual([]);
  });

  it('refuses the key with another body as IDEMPOTENCY_KEY_REUSED, whichever way it came first', async () => {
    const key = `own-${crypto.randomUUID()}`;
    expect((await createOrderOverGraphQL(key, orderInput(`OWN-A-${Date.now()}`))).errors).toBeUndefined();
    const reused = await postOrder({ input: orderInput(`OWN-B-${Date.now()}`, 2) }, key);
    expect({ status: reused.status, type: reused.body.type, code: reused.body.code }).toEqual({
      status: 422,
      type: 'urn:ipay:problem:idempotency-key-reused',
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    const fromRestFirst = `own-${crypto.randomUUID()}`;
    expect((await postOrder({ input: orderInput(`OWN-C-${Date.now()}`) }, fromRestFirst)).status).toBe(201);
    const overGraphQL = await createOrderOverGraphQL(fromRestFirst, orderInput(`OWN-D-${Date.now()}`, 3));
    expect(overGraphQL.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('replays a REST retry with the same header and body as the same response, without a gateway-store entry', async () => {
    const key = `own-${crypto.randomUUID()}`;
    const input = orderInput(`OWN-R-${Date.now()}`);
    const first = await postOrder({ input }, key);
    const retry = await postOrder({ input }, key);
    expect(first.status).toBe(201);
    expect(retry).toEqual(first);
    expect(await storedKeys(key)).toEqual([]);
  });

  it("takes the body's idempotencyKey as the key when the body carries one (the header then keeps nothing of its own)", async () => {
    const key = `own-${crypto.randomUUID()}`;
    const input = orderInput(`OWN-S-${Date.now()}`);
    const both = await postOrder({ input, idempotencyKey: key }, `header-${key}`);
    expect(both.status).toBe(201);
    // The header only: the same key, the same order.
    expect((await postOrder({ input }, key)).body.id).toBe(both.body.id);
    expect(await storedKeys(`header-${key}`)).toEqual([]);
  });

  it('creates one order from simultaneous REST requests with one key (the subgraph claims the key, not the gateway)', async () => {
    const key = `own-${crypto.randomUUID()}`;
    const input = orderInput(`OWN-P-${Date.now()}`);
    const answers = await Promise.all(Array.from({ length: 4 }, () => postOrder({ input }, key)));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
  });
});
