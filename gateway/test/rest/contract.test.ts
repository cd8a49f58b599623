import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CLIENT_TYPES_FILE,
  MANIFEST_FILE,
  OPENAPI_FILE,
  ROOT,
  SUPERGRAPH_FILE,
  buildRestArtifacts,
  generateClientTypes,
  serialize,
} from '../../../scripts/rest/lib/artifacts.ts';
import { loadSupergraph } from '../../../scripts/rest/lib/schema.ts';
import { collectVariables } from '../../src/rest/variables.ts';

const run = promisify(execFile);
const built = buildRestArtifacts();
const temporary: string[] = [];
afterAll(() => temporary.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function operationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ipay-operations-'));
  temporary.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function lint(document: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'ipay-openapi-'));
  temporary.push(dir);
  const file = join(dir, 'openapi.json');
  writeFileSync(file, serialize(document));
  const { stdout } = await run(join(ROOT, 'node_modules/.bin/redocly'), ['lint', file, '--format=json'], {
    cwd: dir,
    // Nothing leaves the machine during tests.
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
  }).catch((error: { stdout: string }) => error); // redocly exits non-zero on errors; the JSON says which
  return JSON.parse(stdout) as {
    totals: { errors: number; warnings: number };
    problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
  };
}

describe('the REST contract: operation files → manifest + OpenAPI', () => {
  it('commits artifacts that match a fresh build (run `pnpm rest:build` when this fails)', async () => {
    expect(readFileSync(MANIFEST_FILE, 'utf8')).toBe(serialize(built.manifest));
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(serialize(built.openapi));
    expect(readFileSync(CLIENT_TYPES_FILE, 'utf8')).toBe(await generateClientTypes(built.openapi));
  });

  // Linters are processes that take what they take on a busy machine: no time limit (timeout 0), only their verdict.
  it('passes redocly lint with 0 errors and 0 warnings (and the fixtures with POST operations without errors)', { timeout: 0 }, async () => {
    const fixtures = buildRestArtifacts({ operationsDir: join(ROOT, 'gateway/test/rest/fixtures/operations') });
    const [served, posts] = await Promise.all([lint(built.openapi), lint(fixtures.openapi)]);
    expect(served.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`)).toEqual([]);
    expect(served.totals).toMatchObject({ errors: 0, warnings: 0 });
    expect(posts.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`)).toEqual([]);
    expect(posts.totals.errors).toBe(0);
  });

  it('passes Spectral (spectral:oas, .spectral.yaml) with no finding at all', { timeout: 0 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipay-spectral-'));
    temporary.push(dir);
    const file = join(dir, 'openapi.json');
    const report = join(dir, 'report.json');
    writeFileSync(file, serialize(built.openapi));
    // --fail-severity=hint: any finding fails the run; the report says which.
    await run(
      join(ROOT, 'node_modules/.bin/spectral'),
      ['lint', file, '--ruleset', join(ROOT, '.spectral.yaml'), '--format', 'json', '--output', report, '--fail-severity', 'hint'],
      { cwd: dir, env: { ...process.env, NO_COLOR: '1' } },
    ).catch(() => undefined);
    const findings = JSON.parse(readFileSync(report, 'utf8')) as { code: string; severity: number; message: string; path: string[] }[];
    expect(findings.map((f) => `${f.severity} ${f.code}: ${f.message} at ${f.path.join('.')}`)).toEqual([]);
  });

  it('gives every request a complete example that validates against its schema, and a webhook per catalogued event', async () => {
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    (await import('ajv-formats')).default(ajv as never);
    ajv.addSchema(built.openapi, 'openapi.json');
    const escape = (token: string) => token.replaceAll('~', '~0').replaceAll('/', '~1');
    const problems: string[] = [];
    for (const [path, item] of Object.entries((built.openapi as any).paths as Record<string, Record<string, any>>)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const parameter of operation.parameters ?? []) {
          if (parameter.in === 'path' && parameter.example === undefined) problems.push(`${method} ${path}: path parameter ${parameter.name} has no example`);
        }
        const media = operation.requestBody?.content?.['application/json'];
        if (!media) continue;
        if (media.example === undefined) {
          problems.push(`${method} ${path}: the request body has no example`);
          continue;
        }
        const validate = ajv.compile({ $ref: `openapi.json#/paths/${escape(path)}/${method}/requestBody/content/application~1json/schema` });
        if (!validate(media.example)) problems.push(`${method} ${path}: ${ajv.errorsText(validate.errors)}`);
      }
    }
    expect(problems).toEqual([]);
    const { EVENT_TYPES } = await import('@ipay/platform');
    expect(Object.keys((built.openapi as any).webhooks).sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('gives every group the graph serves an endpoint', () => {
    // A group is the subgraph that owns a root field (commerce: orders, payments: payment sessions, ...).
    const supergraph = loadSupergraph(readFileSync(SUPERGRAPH_FILE, 'utf8'));
    const groups = new Map<string, string[]>();
    for (const root of ['query', 'mutation'] as const) {
      for (const [field, subgraphs] of supergraph.rootFieldOwners[root])
        for (const subgraph of subgraphs) groups.set(subgraph, [...(groups.get(subgraph) ?? []), field]);
    }
    expect([...groups.keys()].sort()).toEqual(expect.arrayContaining(['commerce', 'finance', 'identity', 'logistics', 'payments']));
    const withEndpoint = new Set(
      built.operations.flatMap((op) => op.rootFields.flatMap((field) => supergraph.rootFieldOwners[op.operationType].get(field) ?? [])),
    );
    const without = [...groups].filter(([subgraph]) => !withEndpoint.has(subgraph)).map(([subgraph, fields]) => `${subgraph} (${fields.join(', ')})`);
    expect(without, 'groups of the graph without a REST endpoint: add schema/operations/<group>/<Name>.graphql').toEqual([]);
  });

  it('ships no test-only operation', () => {
    const names = Object.values(built.manifest.operations).map((op) => op.name);
    expect(names).not.toContain('SearchOrders');
    expect(Object.values(built.manifest.operations).every((op) => op.source.startsWith('schema/operations/'))).toBe(true);
  });

  it('keeps gateway/drizzle in step with gateway/src/db/schema.ts', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ipay-gateway-drizzle-'));
    temporary.push(out);
    cpSync(join(ROOT, 'gateway/drizzle'), out, { recursive: true });
    const cwd = join(ROOT, 'gateway');
    // drizzle-kit takes its output folder relative to the working directory.
    const { stdout } = await run(
      join(ROOT, 'node_modules/.bin/drizzle-kit'),
      ['generate', '--dialect', 'postgresql', '--schema', './src/db/schema.ts', '--out', relative(cwd, out)],
      { cwd },
    );
    expect(stdout, 'run `cd gateway && npx drizzle-kit generate --name <change>`').toContain('No schema changes');
  }, 30_000);

  it.each([
    ['no mapping', { 'GetOrder.graphql': 'query GetOrder($id: ID!) { order(id: $id) { id } }' }, /must open with a comment block/],
    [
      'an unknown key',
      valid('GetOrder', '# methd: GET\n# path: /v1/orders/{id}\n# tag: Orders\n# summary: s', 'query GetOrder($id: ID!) { order(id: $id) { id } }'),
      /unknown mapping key "methd"/,
    ],
    [
      'a file named after another operation',
      valid('Order', '# path: /v1/orders/{id}\n# tag: Orders\n# summary: s', 'query GetOrder($id: ID!) { order(id: $id) { id } }'),
      /must be named after its operation: GetOrder.graphql/,
    ],
    [
      'a field the graph does not have',
      valid('GetOrder', '# path: /v1/orders/{id}\n# tag: Orders\n# summary: s', 'query GetOrder($id: ID!) { order(id: $id) { colour } }'),
      /does not validate against the supergraph: Cannot query field "colour"/,
    ],
    [
      'a path parameter without an example',
      valid('GetOrder', '# path: /v1/orders/{id}\n# tag: Orders\n# summary: s', 'query GetOrder($id: ID!) { order(id: $id) { id } }'),
      /needs parameters.id.example/,
    ],
    [
      'an example of the wrong type',
      valid(
        'ListOrders',
        '# path: /v1/orders\n# tag: Orders\n# summary: s\n# parameters:\n#   first: { example: many }',
        'query ListOrders($first: Int!) { orders(first: $first) { edges { cursor } } }',
      ),
      /parameters.first.example is not a valid Int!/,
    ],
    [
      'a variable mapped nowhere',
      valid(
        'ListOrders',
        '# path: /v1/orders\n# tag: Orders\n# summary: s\n# query: []',
        'query ListOrders($first: Int!) { orders(first: $first) { edges { cursor } } }',
      ),
      /variables \$first are not mapped/,
    ],
    [
      'a path parameter that is not a variable',
      valid(
        'ListCarriers',
        '# path: /v1/carriers/{code}\n# tag: Shipments\n# summary: s\n# parameters:\n#   code: { example: ups }',
        'query ListCarriers { carriers { code } }',
      ),
      /path parameter "code" is not a variable of ListCarriers/,
    ],
    [
      'a response that is not selected',
      valid('ListCarriers', '# path: /v1/carriers\n# tag: Shipments\n# summary: s\n# response: shipments', 'query ListCarriers { carriers { code } }'),
      /Query has no selected field "shipments"/,
    ],
    [
      'a paged list without pageInfo',
      valid('ListOrders', '# path: /v1/orders\n# tag: Orders\n# summary: s', 'query ListOrders($after: String) { orders(after: $after) { edges { cursor } } }'),
      /must select pageInfo \{ hasNextPage endCursor \}/,
    ],
    [
      'a postman wait on an operation that is not a GET',
      valid(
        'CancelOrder',
        '# method: POST\n# path: /v1/orders/{id}/cancel\n# tag: Orders\n# summary: s\n# parameters:\n#   id: { example: ord_1 }\n#   reason: { example: r }\n# postman: { wait: { for: CancelOrder, use: { id: orderId }, until: { status: CANCELLED } } }',
        'mutation CancelOrder($id: ID!, $reason: String!) { cancelOrder(id: $id, reason: $reason) { id status } }',
      ),
      /postman.wait.for: CancelOrder is not a GET/,
    ],
    [
      'a postman wait without a condition',
      valid(
        'GetOrder',
        '# path: /v1/orders/{id}\n# tag: Orders\n# summary: s\n# parameters:\n#   id: { example: ord_1 }\n# postman: { wait: { for: GetOrder, until: {} } }',
        'query GetOrder($id: ID!) { order(id: $id) { id status } }',
      ),
      /mapping postman.wait.until must map dotted response paths/,
    ],
    [
      'a postman wait for a path variable the operation lacks',
      valid(
        'GetOrder',
        '# path: /v1/orders/{id}\n# tag: Orders\n# summary: s\n# parameters:\n#   id: { example: ord_1 }\n# postman: { wait: { for: GetOrder, use: { orderId: orderId }, until: { status: PAID } } }',
        'query GetOrder($id: ID!) { order(id: $id) { id status } }',
      ),
      /postman.wait.use: orderId is not a path variable of GetOrder/,
    ],
    [
      'a GET with a body',
      valid('ListCarriers', '# path: /v1/carriers\n# tag: Shipments\n# summary: s\n# body: []', 'query ListCarriers { carriers { code } }'),
      /GET has no request body/,
    ],
    [
      'two operations on one route',
      {
        ...valid('ListCarriers', '# path: /v1/carriers\n# tag: Shipments\n# summary: s', 'query ListCarriers { carriers { code } }'),
        ...valid('AllCarriers', '# path: /v1/carriers\n# tag: Shipments\n# summary: s', 'query AllCarriers { carriers { name } }'),
      },
      /GET \/v1\/carriers clashes with/,
    ],
  ])('refuses an operation file with %s', (_, files, message) => {
    expect(() => buildRestArtifacts({ operationsDir: operationsDir(files) })).toThrow(message);
  });
});

describe('mutations with input objects (what the next engineers will add)', () => {
  // The supergraph plus a mutation with nested input objects, only for this test (named so as not to clash).
  const base = readFileSync(SUPERGRAPH_FILE, 'utf8');
  const hasMutation = /^type Mutation\b/m.test(base);
  const supergraphSdl =
    (hasMutation ? base : base.replace(/\{\n {2}query: Query\n\}/, '{\n  query: Query\n  mutation: Mutation\n}')) +
    `
input TestMoneyInput { amount: Int! currency: String! }
input TestCustomerInput { name: String! email: String! }
input TestOrderInput { merchantId: ID! merchantReference: String! total: TestMoneyInput! customer: TestCustomerInput! tags: [String!] deliverBy: DateTime }
${hasMutation ? 'extend type' : 'type'} Mutation { testCreateOrder(input: TestOrderInput!): Order! }
`;
  const createOrder = valid(
    'CreateOrder',
    '# path: /v1/orders\n# tag: Orders\n# summary: Create an order\n# status: 201\n# body: input\n# idempotency: required\n# parameters:\n#   input:\n#     example: { merchantId: mer_1, merchantReference: A-1, total: { amount: 1990, currency: EUR }, customer: { name: Ana, email: ana@example.com } }',
    'mutation CreateOrder($input: TestOrderInput!) { testCreateOrder(input: $input) { id status } }',
  );

  it('maps a mutation to POST with its input as the body, an Idempotency-Key and 201', async () => {
    const { manifest, openapi } = buildRestArtifacts({ supergraphSdl, operationsDir: operationsDir(createOrder) });
    const [operation] = Object.values(manifest.operations);
    expect(operation).toMatchObject({
      operationType: 'mutation',
      http: { method: 'POST', successStatus: 201, idempotency: 'required' },
      body: { kind: 'variable', variable: 'input' },
    });
    expect(Object.keys(manifest.inputObjects)).toEqual(['TestCustomerInput', 'TestMoneyInput', 'TestOrderInput']);
    const post = (openapi as any).paths['/v1/orders'].post;
    expect(post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CreateOrderRequest' });
    expect((openapi as any).components.schemas.TestOrderInput).toMatchObject({
      required: ['merchantId', 'merchantReference', 'total', 'customer'],
      additionalProperties: false,
    });
    // 404: the input names a merchant by ID (statuses are derived, see scripts/rest/lib/statuses.ts).
    expect(Object.keys(post.responses)).toEqual(['201', '400', '401', '403', '404', '409', '413', '415', '422', '429', '500', '502', '503', '504']);
    expect(post.parameters).toEqual([{ $ref: '#/components/parameters/IdempotencyKeyRequired' }]);
    expect(post['x-codeSamples'][0].source).toContain('-H "Idempotency-Key: $(uuidgen)"');
    expect((await lint(openapi)).totals.errors).toBe(0);

    // The body is checked field by field, named relative to the body.
    const bad = collectVariables(operation!, manifest.inputObjects, {
      path: {},
      query: new URLSearchParams(),
      body: {
        merchantId: 7,
        merchantReference: 'A-1',
        total: { amount: '19.90', currency: 'EUR' },
        customer: { name: 'Ana' },
        tags: 'gift',
        deliverBy: 'tomorrow',
        colour: 'red',
      },
    });
    expect(bad.errors).toEqual(
      expect.arrayContaining([
        { field: 'colour', in: 'body', detail: 'is not a field of TestOrderInput' },
        { field: 'total.amount', in: 'body', detail: 'must be a 32-bit integer; got "19.90"' },
        { field: 'customer.email', in: 'body', detail: 'is required (String!)' },
        { field: 'tags', in: 'body', detail: 'must be an array ([String!])' },
        { field: 'deliverBy', in: 'body', detail: expect.stringMatching(/^must be an ISO 8601 instant/) },
      ]),
    );
    expect(bad.errors).toHaveLength(5); // an integer ID is coerced to a string, as GraphQL does
    const good = collectVariables(operation!, manifest.inputObjects, {
      path: {},
      query: new URLSearchParams(),
      body: {
        merchantId: 'mer_1',
        merchantReference: 'A-1',
        total: { amount: 1990, currency: 'EUR' },
        customer: { name: 'Ana', email: 'ana@example.com' },
        tags: ['gift'],
      },
    });
    expect(good).toEqual({
      errors: [],
      variables: {
        input: {
          merchantId: 'mer_1',
          merchantReference: 'A-1',
          total: { amount: 1990, currency: 'EUR' },
          customer: { name: 'Ana', email: 'ana@example.com' },
          tags: ['gift'],
        },
      },
    });
  }, 30_000);

  it('refuses to map a mutation to GET', () => {
    const files = valid(
      'CreateOrder',
      '# method: GET\n# path: /v1/orders/new\n# tag: Orders\n# summary: s',
      'mutation CreateOrder($input: TestOrderInput!) { testCreateOrder(input: $input) { id } }',
    );
    expect(() => buildRestArtifacts({ supergraphSdl, operationsDir: operationsDir(files) })).toThrow(/a mutation cannot be mapped to GET/);
  });
});

function valid(name: string, mapping: string, body: string): Record<string, string> {
  return { [`${name}.graphql`]: `${mapping}\n${body}\n` };
}
