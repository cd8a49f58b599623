import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// @apollo/subgraph builds with graphql's CommonJS entry: parse and execute with that same instance.
const { graphql, parse } = createRequire(import.meta.url)('graphql') as typeof import('graphql');
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(`${tmpdir()}/ipay-foreign-`);

// Two subgraphs that are not ours (names, types, no /readyz, no internal token), like a public federation suite's.
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';
const productsSdl = `${LINK}
  type Query { topProducts: [Product!]! }
  type Product @key(fields: "upc") { upc: String! name: String! }`;
const inventorySdl = `${LINK}
  type Product @key(fields: "upc") { upc: String! inStock: Boolean! }`;
const products = buildSubgraphSchema([
  {
    typeDefs: parse(productsSdl),
    resolvers: {
      Query: {
        topProducts: () => [
          { upc: '1', name: 'Table' },
          { upc: '2', name: 'Couch' },
        ],
      },
    } as never,
  },
]);
const inventory = buildSubgraphSchema([
  {
    typeDefs: parse(inventorySdl),
    resolvers: { Product: { __resolveReference: (ref: { upc: string }) => ({ upc: ref.upc, inStock: ref.upc === '1' }) } } as never,
  },
]);

function serve(schema: GraphQLSchema): Promise<Server> {
  const server = createServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/graphql') return void res.writeHead(404).end();
    let text = '';
    for await (const chunk of req) text += chunk;
    const { query, variables } = JSON.parse(text) as { query: string; variables?: Record<string, unknown> };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await graphql({ schema, source: query, variableValues: variables })));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const servers: Server[] = [];
let gatewayUrl = '';
let stopGateway = async () => {};
let gatewayOutput = '';

beforeAll(async () => {
  const urls: string[] = [];
  for (const schema of [products, inventory]) {
    const server = await serve(schema);
    servers.push(server);
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`);
  }
  const composed = composeServices([
    { name: 'products', url: urls[0], typeDefs: parse(productsSdl) },
    { name: 'inventory', url: urls[1], typeDefs: parse(inventorySdl) },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  writeFileSync(`${dir}/supergraph.graphql`, composed.supergraphSdl);
  // Only a supergraph and the subgraphs' URLs (composed into it): no DATABASE_URL, an empty DATA_DIR to prove none is made.
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/index.ts'], {
    cwd: root,
    env: {
      ...scrubbed(process.env),
      GATEWAY_SUPERGRAPH: `${dir}/supergraph.graphql`,
      GATEWAY_PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: `${dir}/data`,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => (gatewayOutput += chunk));
  child.stderr.on('data', (chunk) => (gatewayOutput += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  stopGateway = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  const port = await new Promise<number>((resolve, reject) => {
    const check = () => {
      const match = /"port":(\d+)[^\n]*gateway listening/.exec(gatewayOutput);
      if (match) resolve(Number(match[1]));
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${gatewayOutput}`)));
  });
  gatewayUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await stopGateway();
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** The child must not inherit a database from the test run. */
function scrubbed(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { DATABASE_URL: _db, NATS_URL: _nats, REDIS_URL: _redis, ...rest } = env;
  return rest;
}

describe('a gateway with a foreign supergraph and no database', () => {
  it('plans and serves a query across its two subgraphs', async () => {
    const response = await fetch(`${gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ topProducts { upc name inStock } }' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      data: {
        topProducts: [
          { upc: '1', name: 'Table', inStock: true },
          { upc: '2', name: 'Couch', inStock: false },
        ],
      },
    });
  });

  it('reports readiness of exactly the supergraph subgraphs', async () => {
    const response = await fetch(`${gatewayUrl}/readyz`);
    const body = (await response.json()) as { status: string; subgraphs: Record<string, string> };
    expect({ status: response.status, body: body.status, subgraphs: body.subgraphs }).toEqual({
      status: 200,
      body: 'ready',
      subgraphs: { products: 'ready', inventory: 'ready' },
    });
  });

  it('opens no database and serves no REST facade', async () => {
    expect(readdirSync(dir)).not.toContain('data');
    expect((await fetch(`${gatewayUrl}/v1/orders`)).status).toBe(404);
    expect(gatewayOutput).toContain('the REST facade is off');
  });
});
