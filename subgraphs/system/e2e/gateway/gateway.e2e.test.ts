import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS, SANDBOX_ORDERS, SUBGRAPH_NAMES, sandboxId, sandboxSettlementId } from '@ipay/platform';
import { callSubgraph } from '@ipay/platform/testing';
import { addPaidShippedOrders } from '@ipay/system';
import { AS_OPERATOR, SANDBOX_KEYS, startTestSystem, type TestSystem } from '../support.ts';

const FIVE_SUBGRAPH_QUERY = /* GraphQL */ `
  query OrderAcrossDomains($id: ID!) {
    order(id: $id) {
      id
      merchantReference
      status
      total {
        amount
        currency
      }
      customer {
        name
        email
      }
      merchant {
        id
        slug
        name
        country
        defaultCurrency
      }
      paymentSession {
        reference
        status
        psp
        amount {
          amount
          currency
        }
      }
      shipment {
        trackingNumber
        status
        carrier {
          code
          name
        }
      }
      settlement {
        id
        status
        gross {
          amount
          currency
        }
        fees {
          amount
          currency
        }
        net {
          amount
          currency
        }
      }
    }
  }
`;

describe('the federated graph, end to end through the gateway', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ seed: true });
  });
  afterAll(() => system?.stop());

  it('walks all five subgraphs from one order', async () => {
    const delivered = SANDBOX_ORDERS.find((o) => o.status === 'DELIVERED' && o.merchantId === SANDBOX_MERCHANTS[0]!.id)!;
    const { status, body } = await system.query(FIVE_SUBGRAPH_QUERY, { id: delivered.id });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const order = body.data.order;
    expect(order).toMatchObject({
      id: delivered.id,
      merchantReference: delivered.reference,
      status: 'DELIVERED',
      total: { amount: delivered.amount, currency: 'EUR' },
      customer: { name: delivered.customerName, email: delivered.customerEmail },
      merchant: { id: SANDBOX_MERCHANTS[0]!.id, slug: 'acme-shop', name: 'Acme Shop', country: 'NL', defaultCurrency: 'EUR' },
      paymentSession: { status: 'CONFIRMED', amount: { amount: delivered.amount, currency: 'EUR' } },
      shipment: { status: 'DELIVERED' },
      settlement: { id: sandboxSettlementId(delivered.merchantId), status: 'OPEN' },
    });
    expect(order.paymentSession.reference).toMatch(/^IPAY-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]$/);
    expect(['adyen', 'stripe', 'mollie']).toContain(order.paymentSession.psp);
    expect(order.shipment.carrier.code).toMatch(/^(ups|dhl|postnl|dpd|gls|inpost)$/);
    // The settlement's totals are the sums over its orders, less IPAY's fixed fee of EUR 0.95 each.
    const settled = SANDBOX_ORDERS.filter((o) => o.merchantId === delivered.merchantId && ['RELEASED', 'DELIVERED'].includes(o.status));
    const gross = settled.reduce((sum, o) => sum + o.amount, 0);
    expect(order.settlement.gross).toEqual({ amount: gross, currency: 'EUR' });
    expect(order.settlement.fees).toEqual({ amount: 95 * settled.length, currency: 'EUR' });
    expect(order.settlement.net).toEqual({ amount: gross - 95 * settled.length, currency: 'EUR' });
  });

  it('gives orders that are not paid yet no payment, shipment or settlement', async () => {
    const created = SANDBOX_ORDERS.find((o) => o.status === 'CREATED')!;
    const { body } = await system.query(FIVE_SUBGRAPH_QUERY, { id: created.id });
    expect(body.errors).toBeUndefined();
    expect(body.data.order).toMatchObject({ status: 'CREATED', paymentSession: null, shipment: null, settlement: null });
  });

  it('lists a merchant with its orders, newest first, and its settlements', async () => {
    const merchant = SANDBOX_MERCHANTS[1]!;
    const { body } = await system.query(
      `query($id: ID!) { merchant(id: $id) { name orders(first: 4) { edges { node { merchantReference status createdAt } } pageInfo { hasNextPage } } settlements { id net { currency } } } }`,
      { id: merchant.id },
    );
    expect(body.errors).toBeUndefined();
    const expected = SANDBOX_ORDERS.filter((o) => o.merchantId === merchant.id)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .slice(0, 4);
    expect(body.data.merchant.name).toBe('Nordic Goods');
    expect(body.data.merchant.orders.edges.map((e: any) => e.node.merchantReference)).toEqual(expected.map((o) => o.reference));
    expect(body.data.merchant.orders.pageInfo.hasNextPage).toBe(true);
    expect(body.data.merchant.settlements).toEqual([{ id: sandboxSettlementId(merchant.id), net: { currency: 'SEK' } }]);
  });

  it('pages through orders with a stable keyset cursor', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const { body }: { body: any } = await system.query(
        `query($after: String) { orders(first: 10, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      expect(body.errors).toBeUndefined();
      seen.push(...body.data.orders.edges.map((e: any) => e.node.id));
      if (!body.data.orders.pageInfo.hasNextPage) break;
      after = body.data.orders.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(SANDBOX_ORDERS.length);
    expect(new Set(seen).size).toBe(SANDBOX_ORDERS.length);
  });

  it('refuses a bad cursor and an oversized page as BAD_USER_INPUT naming the argument', async () => {
    const bad = await system.query(`{ orders(first: 5, after: "nonsense") { edges { cursor } } }`);
    expect(bad.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const big = await system.query(`{ orders(first: 1000) { edges { cursor } } }`);
    expect(big.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('rejects a mistyped IPAY reference instead of matching another session', async () => {
    const { body } = await system.query(`{ order(id: "${SANDBOX_ORDERS[2]!.id}") { paymentSession { reference } } }`);
    const reference: string = body.data.order.paymentSession.reference;
    const found = await system.query(`query($r: String!) { paymentSessionByReference(reference: $r) { reference } }`, { r: reference.toLowerCase() });
    expect(found.body.data.paymentSessionByReference.reference).toBe(reference);
    const last = reference.at(-1)!;
    const typo = reference.slice(0, -1) + (last === 'A' ? 'B' : 'A');
    const refused = await system.query(`query($r: String!) { paymentSessionByReference(reference: $r) { reference } }`, { r: typo });
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reference' });
  });

  it('answers liveness and readiness, and propagates the request id', async () => {
    const base = new URL(system.gatewayUrl);
    expect((await fetch(new URL('/healthz', base))).status).toBe(200);
    const ready = await fetch(new URL('/readyz', base));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      subgraphs: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, 'ready'])),
      circuits: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, 'closed'])),
      bus: 'ok',
    });
    const traced = await system.query(`{ merchants(first: 1) { edges { node { slug } } } }`, {}, { ...AS_OPERATOR, 'x-request-id': 'req-e2e-42' });
    expect(traced.headers.get('x-request-id')).toBe('req-e2e-42');
  });

  it('refuses direct calls to a subgraph that bypass the gateway', async () => {
    for (const name of SUBGRAPH_NAMES) {
      const direct = await callSubgraph(system.subgraphUrls[name], '{ __typename }', {}, { internal: false });
      expect(direct.status).toBe(401);
      expect(direct.body.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
      expect(direct.body.errors?.[0]?.message).toMatch(/through the gateway/);
      const viaToken = await callSubgraph(system.subgraphUrls[name], '{ __typename }');
      expect(viaToken.status).toBe(200);
    }
  });

  it('serves the REST facade through the same pipeline: auth, data without GraphQL wrapping, problem+json', async () => {
    const base = new URL(system.gatewayUrl);
    const order = SANDBOX_ORDERS[4]!;
    const ok = await fetch(new URL(`/v1/orders/${order.id}`, base), { headers: AS_OPERATOR });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ id: order.id, merchantReference: order.reference });
    const anonymous = await fetch(new URL(`/v1/orders/${order.id}`, base));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const missing = await fetch(new URL('/v1/orders/ord_missing', base), { headers: AS_OPERATOR });
    expect(missing.status).toBe(404);
    for (const path of ['/openapi.json', '/postman.json', '/docs', '/redoc', '/graphiql']) {
      expect((await fetch(new URL(path, base))).status, path).toBe(200);
    }
  });

  it('serves authentication and API keys over REST with Stripe-style idempotency', async () => {
    const base = new URL(system.gatewayUrl);
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(new URL(path, base), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const token = await post('/v1/auth/token', { apiKey: SANDBOX_KEYS['acme-owner'] });
    expect(token.status).toBe(201);
    const { accessToken, tokenType } = (await token.json()) as { accessToken: string; tokenType: string };
    expect(tokenType).toBe('Bearer');
    const me = await fetch(new URL('/v1/me', base), { headers: { authorization: `Bearer ${accessToken}` } });
    expect(((await me.json()) as { kind: string }).kind).toBe('API_KEY');

    const auth = { authorization: `Bearer ${accessToken}`, 'idempotency-key': `key-${Date.now()}` };
    const input = { merchantId: SANDBOX_MERCHANTS[0]!.id, name: 'rest', livemode: false, roles: ['read_only'] };
    const first = await post('/v1/api-keys', input, auth);
    expect(first.status).toBe(201);
    const created = (await first.json()) as { secret: string; apiKey: { id: string } };
    const replay = await post('/v1/api-keys', input, auth);
    expect(replay.status).toBe(201);
    expect(((await replay.json()) as { secret: string }).secret).toBe(created.secret);
    const conflict = await post('/v1/api-keys', { ...input, name: 'other' }, auth);
    expect(conflict.status).toBe(422);
    expect((await post('/v1/api-keys', input, { authorization: `Bearer ${accessToken}` })).status).toBe(400);
    const badLogin = await post('/v1/auth/login', { email: 'owner@acme-shop.test', password: 'wrong-password!!' });
    expect(badLogin.status).toBe(401);
  });

  it('can run persisted-only: manifest documents by id or text, nothing else', async () => {
    const { readRestArtifacts } = await import('@ipay/gateway/src/rest/index.ts');
    const { createGateway } = await import('@ipay/gateway');
    const { manifest } = readRestArtifacts();
    const [id, getOrder] = Object.entries(manifest.operations).find(([, op]) => op.name === 'GetOrder')!;
    const gateway = await createGateway({ subgraphUrls: system.subgraphUrls, database: system.database.target, persistedOnly: true });
    const port = await gateway.listen(0, '127.0.0.1');
    try {
      const post = (body: unknown) =>
        fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...AS_OPERATOR },
          body: JSON.stringify(body),
        });
      const order = SANDBOX_ORDERS[0]!;
      const byId = await post({ variables: { id: order.id }, extensions: { persistedQuery: { version: 1, sha256Hash: id } } });
      expect(((await byId.json()) as any).data.order.id).toBe(order.id);
      const byText = await post({ query: getOrder.document, variables: { id: order.id } });
      expect(((await byText.json()) as any).data.order.id).toBe(order.id);
      const adHoc = await post({ query: '{ merchants(first: 100) { edges { node { id } } } }' });
      expect(adHoc.status).toBe(403);
      expect(((await adHoc.json()) as any).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_ALLOWED');
    } finally {
      await gateway.stop();
    }
  });

  it('sends the same number of SQL statements for 50 orders as for 1', async () => {
    await addOrders(system, 50);
    const listQuery = `query($n: Int!) { orders(first: $n) { edges { node {
      id total { amount } merchant { name orders(first: 2) { edges { node { id } } } }
      paymentSession { status order { id } } shipment { status carrier { name } } settlement { status lines { net { amount } } merchant { slug } }
    } } } }`;
    const statements = async (n: number) => {
      for (const counter of Object.values(system.counters)) counter.reset();
      const { body } = await system.query(listQuery, { n });
      expect(body.errors).toBeUndefined();
      expect(body.data.orders.edges).toHaveLength(n);
      return Object.fromEntries(Object.entries(system.counters).map(([name, c]) => [name, c.count]));
    };
    const one = await statements(1);
    const fifty = await statements(50);
    expect(fifty).toEqual(one);
    expect(Object.values(fifty).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(12);
  });
});

/** Adds `n` new paid, shipped and settled orders through each subgraph's own database (each subgraph owns its rows). */
async function addOrders(system: TestSystem, n: number) {
  const { settlementLines, settlements } = await import('@ipay/finance/src/db/schema.ts');
  const { eq, sql } = await import('drizzle-orm');
  const { commerce, payments, logistics } = system.subgraphs;
  const { merchant, ids, at } = await addPaidShippedOrders(
    { commerce: commerce.database.db, payments: payments.database.db, logistics: logistics.database.db },
    { count: n, label: 'bulk', referenceBase: 900000 },
  );
  // A settlement's totals are the sums of its lines (checked by the database at commit): lines and totals move together.
  const settlementId = sandboxSettlementId(merchant.id);
  const lines = ids.map((id, i) => ({
    id: sandboxId('sli', id),
    settlementId,
    orderId: id,
    grossAmount: 1000 + i,
    feeAmount: 95,
    netAmount: 905 + i,
    occurredAt: at(i),
  }));
  const sum = (pick: (l: (typeof lines)[number]) => number) => lines.reduce((total, l) => total + pick(l), 0);
  await system.subgraphs.finance.database.db.transaction(async (tx) => {
    await tx.insert(settlementLines).values(lines);
    await tx
      .update(settlements)
      .set({
        grossAmount: sql`${settlements.grossAmount} + ${sum((l) => l.grossAmount)}`,
        feeAmount: sql`${settlements.feeAmount} + ${sum((l) => l.feeAmount)}`,
        netAmount: sql`${settlements.netAmount} + ${sum((l) => l.netAmount)}`,
        lineCount: sql`${settlements.lineCount} + ${lines.length}`,
      })
      .where(eq(settlements.id, settlementId));
  });
}
