import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGateway } from '@ipay/gateway';
import { AS_OPERATOR } from '../../../subgraphs/system/e2e/support.ts';
import { DEFAULT_OPERATION_LIMITS, OperationGuard, apiSchemaOf, PERSISTED_OPERATION_LIMITS } from '../../src/limits.ts';
import { readRestArtifacts } from '../../src/rest/index.ts';
import { SUPERGRAPH_FILE } from '../../src/server.ts';
import { startHostileSystem, type HostileSystem } from './support.ts';

let system: HostileSystem;
beforeAll(async () => {
  system = await startHostileSystem();
});
afterAll(async () => {
  await system?.stop();
});
beforeEach(() => system.resetCalls());

/** Asserts a refusal: exact status and code, and that no subgraph saw a GraphQL request. */
async function refused(response: Promise<{ status: number; json: any }>, status: number, code: string, extra: Record<string, unknown> = {}) {
  const { status: actual, json } = await response;
  expect({ status: actual, code: json?.errors?.[0]?.extensions?.code }).toEqual({ status, code });
  expect(json.errors[0].extensions).toMatchObject(extra);
  expect(typeof json.errors[0].extensions.requestId).toBe('string');
  expect(system.totalSubgraphCalls()).toBe(0);
  return json;
}

const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
const nest = (depth: number) => {
  // merchants { edges { node { orders { edges { node { … id } } } } } }: 3 levels per connection hop.
  let inner = 'id';
  for (let i = 0; i < depth - 1; i++) inner = `${['node', 'edges', 'orders(first: 1)'][i % 3]} { ${inner} }`;
  return inner;
};

describe('operation limits (GraphQL Armor rules, checked before any subgraph call)', () => {
  it('passes an ordinary operation through to the subgraphs', async () => {
    const { status, json } = await system.post({ query: '{ orders(first: 2) { edges { node { id merchant { name } } } } }' });
    expect(status).toBe(200);
    expect(json.data.orders.edges).toHaveLength(2);
    expect(system.subgraphCalls().commerce).toBeGreaterThan(0);
  });

  it('refuses 16 aliases (limit 15)', async () => {
    await refused(system.post({ query: aliases(16, 'orders(first: 1) { edges { node { id } } }') }), 400, 'OPERATION_LIMIT_EXCEEDED', {
      limit: 'aliases',
      max: 15,
      found: 16,
    });
  });

  it('refuses 101 aliases of orders(first: 100) at the token limit, without 102 subgraph calls', async () => {
    await refused(system.post({ query: aliases(101, 'orders(first: 100) { edges { node { id } } }') }), 400, 'OPERATION_LIMIT_EXCEEDED', {
      limit: 'tokens',
      max: 1000,
    });
  });

  it('refuses 16,000 aliased __typename at the token limit', async () => {
    await refused(system.post({ query: aliases(16_000, '__typename') }), 400, 'OPERATION_LIMIT_EXCEEDED', { limit: 'tokens' });
  });

  it('refuses depth 7 (limit 6)', async () => {
    await refused(system.post({ query: `{ merchants(first: 1) { ${nest(6)} } }` }), 400, 'OPERATION_LIMIT_EXCEEDED', { limit: 'depth', max: 6, found: 7 });
  });

  it('counts depth after fragment expansion (a chain of fragments is as deep as its inlined form)', async () => {
    const query = `{ merchants(first: 1) { ...A } }
      fragment A on MerchantConnection { edges { ...B } }
      fragment B on MerchantEdge { node { ...C } }
      fragment C on Merchant { orders(first: 1) { edges { node { merchant { id } } } } }`;
    await refused(system.post({ query }), 400, 'OPERATION_LIMIT_EXCEEDED', { limit: 'depth', found: 8 });
  });

  it('closes the __schema bypass: an operation named __schema is limited like any other', async () => {
    await refused(system.post({ query: `query __schema { merchants(first: 1) { ${nest(6)} } }` }), 400, 'OPERATION_LIMIT_EXCEEDED', { limit: 'depth' });
  });

  it('closes the __schema bypass: a fragment named __schema is limited like any other', async () => {
    const query = `{ merchants(first: 1) { ...__schema } } fragment __schema on MerchantConnection { ${nest(7)} }`;
    await refused(system.post({ query }), 400, 'OPERATION_LIMIT_EXCEEDED', { limit: 'depth' });
  });

  it('does not exempt introspection itself from the depth limit', async () => {
    await refused(
      system.post({ query: '{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }' }),
      400,
      'OPERATION_LIMIT_EXCEEDED',
      { limit: 'depth' },
    );
  });

  it('refuses 51 directives (limit 50)', async () => {
    const query = `{ ${Array.from({ length: 51 }, () => '__typename @include(if: true)').join(' ')} }`;
    await refused(system.post({ query }), 400, 'OPERATION_LIMIT_EXCEEDED', { limit: 'directives', max: 50, found: 51 });
  });

  it('refuses a repeated non-repeatable directive', async () => {
    await refused(system.post({ query: '{ __typename @include(if: true) @include(if: true) }' }), 400, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses 11 root fields (limit 10)', async () => {
    await refused(system.post({ query: aliases(11, '__typename') }), 400, 'OPERATION_LIMIT_EXCEEDED', { limit: 'rootFields', max: 10, found: 11 });
  });

  it('costs list sizes: first: 100 over a wide selection exceeds 5000', async () => {
    const query = `{ a: orders(first: 100) { edges { node { id status total { amount currency } merchant { id name } } } }
      b: orders(first: 100) { edges { node { id status total { amount currency } merchant { id name } } } } }`;
    await refused(system.post({ query }), 400, 'OPERATION_LIMIT_EXCEEDED', { limit: 'cost', max: 5000 });
  });

  it('costs list sizes given as variables by their value (Armor alone counts them as 1)', async () => {
    const query = `query($n: Int!) { a: orders(first: $n) { edges { node { id status total { amount currency } merchant { id name } } } }
      b: orders(first: $n) { edges { node { id status total { amount currency } merchant { id name } } } } }`;
    await refused(system.post({ query, variables: { n: 100 } }), 400, 'OPERATION_LIMIT_EXCEEDED', { limit: 'cost' });
    // The same document with small pages is cheap and runs.
    const { status, json } = await system.post({ query, variables: { n: 2 } });
    expect(status).toBe(200);
    expect(json.data.a.edges).toHaveLength(2);
  });

  it('every persisted operation fits the persisted budget, and the budget is documented above the defaults', () => {
    const { manifest } = readRestArtifacts();
    const schema = apiSchemaOf(readFileSync(SUPERGRAPH_FILE, 'utf8'));
    const guard = new OperationGuard({}, PERSISTED_OPERATION_LIMITS, PERSISTED_OPERATION_LIMITS, false, schema);
    const failures = Object.values(manifest.operations).flatMap((operation) => {
      try {
        guard.check({ query: operation.document });
        return [];
      } catch (error) {
        return [`${operation.name}: ${(error as Error).message}`];
      }
    });
    expect(failures).toEqual([]);
    for (const key of Object.keys(DEFAULT_OPERATION_LIMITS) as (keyof typeof DEFAULT_OPERATION_LIMITS)[]) {
      expect(PERSISTED_OPERATION_LIMITS[key]).toBeGreaterThanOrEqual(DEFAULT_OPERATION_LIMITS[key]);
    }
  });

  it('runs a persisted operation above the ad-hoc cost limit (by text and by id)', async () => {
    const { manifest } = readRestArtifacts();
    const [id, audit] = Object.entries(manifest.operations).find(([, op]) => op.name === 'ListCommerceAudit')!;
    const variables = Object.fromEntries(
      (audit.document.match(/\$(\w+): (\w+)!/g) ?? []).map((v) => [v.slice(1).split(':')[0], v.endsWith('Int!') ? 100 : undefined]),
    );
    const byId = await system.post({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: id } } });
    expect(byId.json.errors?.[0]?.extensions?.code).not.toBe('OPERATION_LIMIT_EXCEEDED');
    expect(byId.status).toBe(200);
  });
});

describe('persisted ids', () => {
  it('answers an unknown id with 404 PERSISTED_QUERY_NOT_FOUND before anything else', async () => {
    await refused(system.post({ extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } }), 404, 'PERSISTED_QUERY_NOT_FOUND');
  });

  it('refuses a malformed persisted-query extension with 400', async () => {
    await refused(system.post({ extensions: { persistedQuery: { version: 2, sha256Hash: 'x' } } }), 400, 'BAD_REQUEST');
  });

  it('refuses an id sent with a different query text', async () => {
    const { manifest } = readRestArtifacts();
    const [id] = Object.entries(manifest.operations).find(([, op]) => op.name === 'GetOrder')!;
    await refused(
      system.post({ query: '{ merchants(first: 1) { edges { node { id } } } }', extensions: { persistedQuery: { version: 1, sha256Hash: id } } }),
      400,
      'BAD_REQUEST',
    );
  });

  it('persisted-only: unknown id 404, ad-hoc text 403 before validation (no suggestions), manifest text runs', async () => {
    const gateway = await createGateway({ subgraphUrls: system.subgraphUrls, database: system.database.target, persistedOnly: true });
    const port = await gateway.listen(0, '127.0.0.1');
    try {
      const post = async (body: unknown) => {
        const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...AS_OPERATOR },
          body: JSON.stringify(body),
        });
        return { status: response.status, json: (await response.json()) as any };
      };
      system.resetCalls();
      await refused(post({ extensions: { persistedQuery: { version: 1, sha256Hash: 'e'.repeat(64) } } }), 404, 'PERSISTED_QUERY_NOT_FOUND');
      // A misspelt field would get "Did you mean" from validation: the persisted-only check comes first.
      const adHoc = await refused(post({ query: '{ ordrs(first: 1) { edges { node { id } } } }' }), 403, 'PERSISTED_QUERY_NOT_ALLOWED');
      expect(adHoc.errors[0].message).not.toMatch(/Did you mean/);
    } finally {
      await gateway.stop();
    }
  });
});

describe('HTTP shape', () => {
  it('refuses malformed JSON with 400', async () => {
    await refused(system.post('{"query": "{ __typename }"'), 400, 'BAD_REQUEST');
  });

  it('refuses a text/plain body with 415', async () => {
    await refused(
      system.raw('/graphql', { method: 'POST', headers: { 'content-type': 'text/plain', ...AS_OPERATOR }, body: '{"query":"{ __typename }"}' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('refuses a form-encoded body with 415 (no CSRF through simple requests)', async () => {
    await refused(
      system.raw('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...AS_OPERATOR },
        body: 'query=%7B__typename%7D',
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('refuses a mutation over GET with 405 and Allow', async () => {
    const query = encodeURIComponent('mutation { createOrder(input: {}) { id } }');
    const response = system.raw(`/graphql?query=${query}`, { headers: { ...AS_OPERATOR, 'apollo-require-preflight': 'true' } });
    await refused(response, 405, 'METHOD_NOT_ALLOWED');
    expect((await response).headers.get('allow')).toBe('GET, POST');
  });

  it('refuses a batch of 100 operations with 400 BATCHING_NOT_SUPPORTED', async () => {
    await refused(
      system.post(Array.from({ length: 100 }, () => ({ query: '{ orders(first: 100) { edges { node { id } } } }' }))),
      400,
      'BATCHING_NOT_SUPPORTED',
    );
  });

  it('refuses a JSON body that is not an object', async () => {
    await refused(system.post('"{ __typename }"'), 400, 'BAD_REQUEST');
  });

  it('refuses variables that are not an object', async () => {
    await refused(system.post({ query: '{ __typename }', variables: [1, 2] }), 400, 'BAD_REQUEST');
  });

  it('refuses a request without a query', async () => {
    await refused(system.post({ variables: {} }), 400, 'BAD_REQUEST');
  });

  it('refuses a syntax error with 400 GRAPHQL_PARSE_FAILED', async () => {
    await refused(system.post({ query: '{ orders(first: 1) { edges { node { id }' }), 400, 'GRAPHQL_PARSE_FAILED');
  });

  it('refuses a subscription over HTTP', async () => {
    await refused(system.post({ query: 'subscription { events { id } }' }), 400, 'BAD_REQUEST');
  });

  it('refuses PUT with 405', async () => {
    await refused(system.raw('/graphql', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' }), 405, 'METHOD_NOT_ALLOWED');
  });
});

describe('bodies', () => {
  /** Sends only the headers of a request declaring `length` bytes and waits for the answer: nothing is read. */
  const declareOnly = (path: string, length: number) =>
    new Promise<{ status: number; json: any }>((resolve, reject) => {
      const url = new URL(path, system.gatewayUrl);
      const req = httpRequest(
        url,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(length), ...AS_OPERATOR } },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.flushHeaders();
    });

  it('refuses a declared Content-Length above 2 MB before reading a byte', async () => {
    await refused(declareOnly('/graphql', 2 * 1024 * 1024 + 1), 413, 'PAYLOAD_TOO_LARGE', { maxBytes: 2 * 1024 * 1024 });
  });

  it('refuses a chunked body that grows past 2 MB', async () => {
    const big = JSON.stringify({ query: '{ __typename }', variables: { x: 'a'.repeat(2 * 1024 * 1024) } });
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    await refused(
      system.raw('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...AS_OPERATOR }, body: stream, duplex: 'half' } as RequestInit),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('gives the bulk route its own budget and only bulk operations', async () => {
    await refused(declareOnly('/graphql/bulk', 16 * 1024 * 1024 + 1), 413, 'PAYLOAD_TOO_LARGE', { maxBytes: 16 * 1024 * 1024 });
    await refused(system.post({ query: '{ orders(first: 1) { edges { node { id } } } }' }, AS_OPERATOR, '/graphql/bulk'), 400, 'BAD_REQUEST');
  });

  it('bounds the memory of concurrent large bodies: beyond the budget a request is 503 with Retry-After', async () => {
    const gateway = await createGateway({ subgraphUrls: system.subgraphUrls, database: system.database.target, bodyMemoryBytes: 3 * 1024 * 1024 });
    const port = await gateway.listen(0, '127.0.0.1');
    try {
      // Two requests that declare 1.5 MB each and send nothing yet hold the whole budget.
      const holders = [0, 1].map(() => {
        const req = httpRequest({
          host: '127.0.0.1',
          port,
          path: '/graphql',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': String(1.5 * 1024 * 1024) },
        });
        req.on('error', () => {});
        req.flushHeaders();
        return req;
      });
      let third: { status: number; headers: Headers; json: any } | undefined;
      for (let attempt = 0; attempt < 50 && third?.status !== 503; attempt++) {
        const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ __typename }' }),
        });
        third = { status: response.status, headers: response.headers, json: await response.json() };
        if (third.status !== 503) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(third!.status).toBe(503);
      expect(third!.json.errors[0].extensions.code).toBe('SERVER_BUSY');
      expect(third!.headers.get('retry-after')).toBe('1');
      for (const req of holders) req.destroy();
    } finally {
      await gateway.stop();
    }
  });
});
