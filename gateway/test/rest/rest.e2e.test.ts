import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS, SANDBOX_ORDERS, sandboxSettlementId } from '@ipay/platform';
import { AS_OPERATOR, SANDBOX_KEYS, bearer } from '../../../subgraphs/system/e2e/support.ts';
import { downloadPaths } from '../../../scripts/rest/lib/downloads.ts';
import { readRestArtifacts } from '../../src/rest/index.ts';
import type { paths } from './generated/openapi.ts';
import { ResponseValidator, startRestSystem, type RestSystem } from './support.ts';

const { openapi, manifest } = readRestArtifacts();
const validator = new ResponseValidator(openapi);

/** Fetches a REST URL and checks the body against the schema the document gives that path, method and status. */
async function call(rest: RestSystem, method: string, template: string, url: string, init: { headers?: Record<string, string> } = {}) {
  const response = await fetch(`${rest.baseUrl}${url}`, { method, headers: { ...AS_OPERATOR, ...init.headers } });
  const text = await response.text();
  const body = text ? JSON.parse(text) : undefined;
  if (response.status !== 304) {
    expect(
      validator.errors(template, method, response.status, response.headers.get('content-type') ?? '', body),
      `${method} ${url} → ${response.status} ${text.slice(0, 300)}`,
    ).toEqual([]);
  }
  return { status: response.status, headers: response.headers, body };
}

describe('the REST facade over the running graph', () => {
  let rest: RestSystem;
  let client: ReturnType<typeof createClient<paths>>;
  const merchant = SANDBOX_MERCHANTS[0]!;
  const delivered = SANDBOX_ORDERS.find((o) => o.status === 'DELIVERED' && o.merchantId === merchant.id)!;

  beforeAll(async () => {
    rest = await startRestSystem();
    client = createClient<paths>({ baseUrl: rest.baseUrl, headers: AS_OPERATOR });
  });
  afterAll(() => rest?.stop());

  /** Every typed-client response is checked against its documented schema too. */
  function valid(path: string, response: Response, body: unknown) {
    expect(validator.errors(path, 'GET', response.status, response.headers.get('content-type') ?? '', body)).toEqual([]);
  }

  it('serves every read operation through the generated client, each body valid against its schema', async () => {
    const order = await client.GET('/v1/orders/{id}', { params: { path: { id: delivered.id } } });
    expect(order.response.status).toBe(200);
    valid('/v1/orders/{id}', order.response, order.data);
    expect(order.data).toMatchObject({
      id: delivered.id,
      merchantReference: delivered.reference,
      status: 'DELIVERED',
      total: { amount: delivered.amount, currency: 'EUR' },
      merchant: { id: merchant.id, slug: merchant.slug },
    });
    const session = order.data!.paymentSession!;
    const shipment = order.data!.shipment!;
    expect(order.data!.settlement?.id).toBe(sandboxSettlementId(merchant.id));

    const orders = await client.GET('/v1/orders', { params: { query: { first: 3, merchantId: merchant.id, status: 'DELIVERED' } } });
    valid('/v1/orders', orders.response, orders.data);
    expect(orders.data!.edges.map((e) => e.node.id)).toEqual([delivered.id]);

    const byId = await client.GET('/v1/merchants/{id}', { params: { path: { id: merchant.id } } });
    valid('/v1/merchants/{id}', byId.response, byId.data);
    expect(byId.data).toMatchObject({ id: merchant.id, slug: 'acme-shop', name: 'Acme Shop', country: 'NL', defaultCurrency: 'EUR' });

    const bySlug = await client.GET('/v1/merchants-by-slug/{slug}', { params: { path: { slug: 'nordic-goods' } } });
    valid('/v1/merchants-by-slug/{slug}', bySlug.response, bySlug.data);
    expect(bySlug.data?.id).toBe(SANDBOX_MERCHANTS[1]!.id);

    const merchants = await client.GET('/v1/merchants', { params: { query: { first: 10 } } });
    valid('/v1/merchants', merchants.response, merchants.data);
    const slugs = merchants.data!.edges.map((e) => e.node.slug);
    expect(slugs).toEqual([...slugs].sort());
    expect(slugs).toEqual(expect.arrayContaining(SANDBOX_MERCHANTS.map((m) => m.slug)));

    const sessionById = await client.GET('/v1/payment-sessions/{id}', { params: { path: { id: session.id } } });
    valid('/v1/payment-sessions/{id}', sessionById.response, sessionById.data);
    expect(sessionById.data).toMatchObject({ id: session.id, reference: session.reference, status: 'CONFIRMED', order: { id: delivered.id } });

    const sessionByReference = await client.GET('/v1/payment-sessions-by-reference/{reference}', {
      params: { path: { reference: session.reference.toLowerCase() } },
    });
    valid('/v1/payment-sessions-by-reference/{reference}', sessionByReference.response, sessionByReference.data);
    expect(sessionByReference.data?.id).toBe(session.id);

    const shipmentById = await client.GET('/v1/shipments/{id}', { params: { path: { id: shipment.id } } });
    valid('/v1/shipments/{id}', shipmentById.response, shipmentById.data);
    expect(shipmentById.data).toMatchObject({ id: shipment.id, status: 'DELIVERED', order: { id: delivered.id } });

    const byTracking = await client.GET('/v1/shipments/by-tracking-number/{trackingNumber}', { params: { path: { trackingNumber: shipment.trackingNumber } } });
    valid('/v1/shipments/by-tracking-number/{trackingNumber}', byTracking.response, byTracking.data);
    expect(byTracking.data?.id).toBe(shipment.id);

    const carriers = await client.GET('/v1/carriers');
    valid('/v1/carriers', carriers.response, carriers.data);
    const codes = carriers.data!.map((c) => c.code);
    expect(codes).toEqual([...codes].sort());
    expect(codes).toEqual(expect.arrayContaining(['dhl', 'dpd', 'gls', 'inpost', 'postnl', 'ups']));

    const settlement = await client.GET('/v1/settlements/{id}', { params: { path: { id: sandboxSettlementId(merchant.id) } } });
    valid('/v1/settlements/{id}', settlement.response, settlement.data);
    const settled = SANDBOX_ORDERS.filter((o) => o.merchantId === merchant.id && ['RELEASED', 'DELIVERED'].includes(o.status));
    expect(settlement.data!.lines.map((l) => l.order?.id).sort()).toEqual(settled.map((o) => o.id).sort());
    expect(settlement.data!.net.amount).toBe(settlement.data!.gross.amount - settlement.data!.fees.amount);

    const settlements = await client.GET('/v1/settlements', { params: { query: { merchantId: merchant.id } } });
    valid('/v1/settlements', settlements.response, settlements.data);
    expect(settlements.data!.map((s) => s.id)).toEqual([sandboxSettlementId(merchant.id)]);
  });

  it('answers 404 problem+json for an unknown id, a null lookup and an unknown route', async () => {
    const order = await call(rest, 'GET', '/v1/orders/{id}', '/v1/orders/ord_doesnotexist');
    expect(order.status).toBe(404);
    expect(order.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(order.body).toMatchObject({ type: 'urn:ipay:problem:not-found', status: 404, code: 'NOT_FOUND', instance: '/v1/orders/ord_doesnotexist' });
    expect(order.body.detail).toMatch(/^Order (ord_doesnotexist )?not found/);
    expect(order.body.requestId).toBe(order.headers.get('x-request-id'));

    const slug = await call(rest, 'GET', '/v1/merchants-by-slug/{slug}', '/v1/merchants-by-slug/no-such-shop');
    expect(slug.status).toBe(404);
    // The parent of a nested list is looked up too.
    const settlements = await call(rest, 'GET', '/v1/settlements', '/v1/settlements?merchantId=mer_nobody');
    expect(settlements.status).toBe(404);
    expect(settlements.body.detail).toMatch(/^Merchant (mer_nobody )?not found/);

    const route = await fetch(`${rest.baseUrl}/v1/nothing-here`, { headers: AS_OPERATOR });
    expect(route.status).toBe(404);
    expect(await route.json()).toMatchObject({ type: 'urn:ipay:problem:route-not-found' });
  });

  it('refuses malformed parameters with 400 naming each field, before the graph is asked', async () => {
    const bad = await call(rest, 'GET', '/v1/orders', '/v1/orders?first=ten&status=SHIPPED&colour=red');
    expect(bad.status).toBe(400);
    expect(bad.body.type).toBe('urn:ipay:problem:invalid-parameter');
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'first', in: 'query', detail: 'must be a 32-bit integer (Int!); got "ten"' },
        { field: 'status', in: 'query', detail: expect.stringMatching(/^must be one of CREATED, AWAITING_PAYMENT, .*; got "SHIPPED"$/) },
        { field: 'colour', in: 'query', detail: expect.stringMatching(/^is not a parameter of this endpoint/) },
      ]),
    );
    const twice = await call(rest, 'GET', '/v1/orders', '/v1/orders?first=1&first=2');
    expect(twice.body.errors).toEqual([{ field: 'first', in: 'query', detail: 'is given more than once' }]);
    const missing = await call(rest, 'GET', '/v1/settlements', '/v1/settlements');
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([{ field: 'merchantId', in: 'query', detail: 'is required (ID!)' }]);
  });

  it("passes on the graph's own input errors as 422 with the field", async () => {
    const tooMany = await call(rest, 'GET', '/v1/orders', '/v1/orders?first=1000');
    expect(tooMany.status).toBe(422);
    expect(tooMany.body).toMatchObject({
      type: 'urn:ipay:problem:invalid-input',
      code: 'BAD_USER_INPUT',
      errors: [{ field: 'first', in: 'query', detail: 'must be an integer from 1 to 100' }],
    });
    const cursor = await call(rest, 'GET', '/v1/orders', '/v1/orders?after=not-a-cursor');
    expect(cursor.status).toBe(422);
    expect(cursor.body.errors).toEqual([{ field: 'after', in: 'query', detail: 'is not a cursor returned by this list' }]);
    const reference = await call(rest, 'GET', '/v1/payment-sessions-by-reference/{reference}', '/v1/payment-sessions-by-reference/IPAY-0000-0000-Z');
    expect(reference.status).toBe(422);
    expect(reference.body.errors[0]).toMatchObject({ field: 'reference', in: 'path' });
  });

  it('tags GET responses with an ETag and answers a matching If-None-Match with 304', async () => {
    const first = await call(rest, 'GET', '/v1/merchants/{id}', `/v1/merchants/${merchant.id}`);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    const again = await call(rest, 'GET', '/v1/merchants/{id}', `/v1/merchants/${merchant.id}`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    expect(again.headers.get('etag')).toBe(etag);
    const weak = await call(rest, 'GET', '/v1/merchants/{id}', `/v1/merchants/${merchant.id}`, { headers: { 'if-none-match': `"stale", W/${etag}` } });
    expect(weak.status).toBe(304);
    const other = await call(rest, 'GET', '/v1/merchants/{id}', `/v1/merchants/${SANDBOX_MERCHANTS[1]!.id}`, { headers: { 'if-none-match': etag } });
    expect(other.status).toBe(200);
    expect(other.headers.get('etag')).not.toBe(etag);
  });

  it('pages through every order by following Link rel="next"', async () => {
    const seen: string[] = [];
    let next: string | null = '/v1/orders?first=7';
    let pages = 0;
    while (next) {
      const page = await call(rest, 'GET', '/v1/orders', next);
      expect(page.status).toBe(200);
      seen.push(...page.body.edges.map((e: { node: { id: string } }) => e.node.id));
      pages += 1;
      const link = page.headers.get('link');
      expect(Boolean(link)).toBe(page.body.pageInfo.hasNextPage);
      next = link?.match(/^<([^>]+)>; rel="next"$/)?.[1] ?? null;
      if (next) expect(new URL(next, rest.baseUrl).searchParams.get('first')).toBe('7');
    }
    expect(pages).toBe(Math.ceil(SANDBOX_ORDERS.length / 7));
    expect(new Set(seen).size).toBe(SANDBOX_ORDERS.length);
  });

  it('refuses other methods with 405 and Allow, and answers HEAD like GET without a body', async () => {
    const post = await fetch(`${rest.baseUrl}/v1/orders/${delivered.id}`, { method: 'DELETE', headers: AS_OPERATOR });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${rest.baseUrl}/v1/orders/${delivered.id}`, { method: 'HEAD', headers: AS_OPERATOR });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toMatch(/^"/);
    expect(await head.text()).toBe('');
  });

  it('forwards the bearer credential: 401 without a valid one, 403 without the permission, the request id throughout', async () => {
    const anonymous = await fetch(`${rest.baseUrl}/v1/orders/${delivered.id}`, { headers: { 'x-request-id': 'rest-e2e-7' } });
    expect(anonymous.headers.get('x-request-id')).toBe('rest-e2e-7');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ type: 'urn:ipay:problem:unauthenticated', code: 'UNAUTHENTICATED', requestId: 'rest-e2e-7' });
    const badKey = await call(rest, 'GET', '/v1/orders/{id}', `/v1/orders/${delivered.id}`, { headers: bearer('ipk_not-a-key') });
    expect(badKey.status).toBe(401);
    const carrier = await call(rest, 'GET', '/v1/orders/{id}', `/v1/orders/${delivered.id}`, { headers: bearer(SANDBOX_KEYS['ups-carrier']!) });
    expect(carrier.status).toBe(403);
    expect(carrier.body).toMatchObject({ type: 'urn:ipay:problem:forbidden', code: 'FORBIDDEN' });
    // Another merchant's order does not exist for this key.
    const otherMerchant = SANDBOX_ORDERS.find((o) => o.merchantId !== merchant.id)!;
    const scoped = await call(rest, 'GET', '/v1/orders/{id}', `/v1/orders/${otherMerchant.id}`, { headers: bearer(SANDBOX_KEYS['acme-read-only']!) });
    expect(scoped.status).toBe(404);
    const own = await call(rest, 'GET', '/v1/orders/{id}', `/v1/orders/${delivered.id}`, { headers: bearer(SANDBOX_KEYS['acme-read-only']!) });
    expect(own.status).toBe(200);
  });

  it('serves the OpenAPI document it was built with and a Postman collection of it', async () => {
    const document = await fetch(`${rest.baseUrl}/openapi.json`);
    expect(await document.json()).toEqual(openapi);
    const postman = await fetch(`${rest.baseUrl}/postman.json`);
    const collection = (await postman.json()) as {
      info: { schema: string };
      variable: { key: string; value: string }[];
      item: { name: string; item: { request: { method: string; url: { raw: string } } }[] }[];
    };
    expect(collection.info.schema).toBe('https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
    expect(collection.variable).toContainEqual({ key: 'baseUrl', value: rest.baseUrl, type: 'string' });
    const requests = collection.item.flatMap((folder) => folder.item.map((i) => `${i.request.method} ${i.request.url.raw.split('?')[0]}`));
    // Every persisted operation, and the streamed downloads documented next to them (scripts/rest/lib/downloads.ts).
    const expected = [
      ...Object.values(manifest.operations).map((op) => ({ method: op.http.method, path: op.http.path })),
      ...downloadPaths().map((d) => ({ method: 'GET', path: d.path })),
    ].map((op) => `${op.method} {{baseUrl}}${op.path.replace(/\{([^}]+)\}/g, ':$1')}`);
    expect(requests.sort()).toEqual(expected.sort());
    // Folders per tag in use, in the order tags.yaml lists them (a tag's folder may continue after a request of
    // another that it depends on: the collection runs top to bottom).
    const used = new Set(Object.values(manifest.operations).map((op) => op.http.tag));
    const tagOrder = (openapi.tags as { name: string }[]).map((t) => t.name).filter((name) => used.has(name));
    expect([...new Set(collection.item.map((f) => f.name))]).toEqual(tagOrder);
  });

  it('serves Swagger UI, ReDoc and GraphiQL from local assets only', async () => {
    for (const page of ['/docs', '/redoc', '/graphiql']) {
      const response = await fetch(`${rest.baseUrl}${page}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await response.text();
      expect(html, `${page} must not reference anything remote`).not.toMatch(/https?:|\/\/[a-z]/i);
      const references = [...html.matchAll(/\b(?:src|href|spec-url)="([^"]+)"/g)].map((m) => m[1]!);
      expect(references.length).toBeGreaterThan(0);
      for (const reference of references) {
        expect(reference, `${page} references ${reference}`).toMatch(/^\/[a-z]/);
        const asset = await fetch(`${rest.baseUrl}${reference}`);
        expect(asset.status, reference).toBe(200);
        const body = await asset.arrayBuffer();
        expect(body.byteLength, reference).toBeGreaterThan(100);
        if (reference.endsWith('.js')) expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
        if (reference.endsWith('/init.js')) expect(Buffer.from(body).toString()).not.toMatch(/https?:/);
      }
    }
    // ReDoc's bundle shows Redocly's logo: served locally, not from their CDN.
    const redocBundle = await (await fetch(`${rest.baseUrl}/redoc/redoc.standalone.js`)).text();
    expect(redocBundle).not.toContain('cdn.redoc.ly');
    expect(redocBundle).toContain('/redoc/logo-mini.svg');
    const logo = await fetch(`${rest.baseUrl}/redoc/logo-mini.svg`);
    expect(logo.status).toBe(200);
    expect(logo.headers.get('content-type')).toBe('image/svg+xml');
    const graphiqlInit = await (await fetch(`${rest.baseUrl}/graphiql/init.js`)).text();
    expect(graphiqlInit).toContain('url: "/graphql"');
    const swaggerInit = await (await fetch(`${rest.baseUrl}/docs/init.js`)).text();
    expect(swaggerInit).toContain('url: "/openapi.json"');
    expect(swaggerInit).toContain('validatorUrl: null');
    const cached = await fetch(`${rest.baseUrl}/docs/swagger-ui-bundle.js`, {
      headers: { 'if-none-match': (await fetch(`${rest.baseUrl}/docs/swagger-ui-bundle.js`, { method: 'HEAD' })).headers.get('etag')! },
    });
    expect(cached.status).toBe(304);
    expect((await fetch(`${rest.baseUrl}/docs/../../package.json`)).status).toBe(404);
  });

  // Last: it takes a subgraph down for good.
  it('answers 503 with Retry-After when a subgraph behind the gateway is down', async () => {
    rest.system.subgraphs.logistics.httpServer.close();
    rest.system.subgraphs.logistics.httpServer.closeAllConnections();
    const carriers = await call(rest, 'GET', '/v1/carriers', '/v1/carriers');
    expect(carriers.status).toBe(503);
    expect(carriers.headers.get('retry-after')).toBe('5');
    expect(carriers.body).toMatchObject({ type: 'urn:ipay:problem:upstream-unavailable', detail: 'a service behind the gateway is unavailable' });
    // A partial answer (the order without its shipment) would read as "no shipment": it fails too.
    const order = await call(rest, 'GET', '/v1/orders/{id}', `/v1/orders/${delivered.id}`);
    expect(order.status).toBe(503);
    // Other subgraphs still answer.
    expect((await call(rest, 'GET', '/v1/merchants/{id}', `/v1/merchants/${merchant.id}`)).status).toBe(200);
  });
});
