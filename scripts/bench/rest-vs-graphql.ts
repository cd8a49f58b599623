/**
 * Benchmark 3, the REST facade's overhead: the same persisted operation (ListOrders, 20 orders with their merchant)
 * as `GET /v1/orders` and as a GraphQL POST of its document to /graphql, through one gateway. Interleaved rounds
 * (GraphQL, REST, GraphQL, REST …), load from a separate autocannon process, CPU ms per request of this process
 * (gateway and subgraphs). Target: REST within 10 % of GraphQL. Writes scripts/bench/results/rest-vs-graphql.json.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pnpm exec tsx scripts/bench/rest-vs-graphql.ts
 *   (ROUNDS=3 SECONDS=8 CONNECTIONS=10)
 */
import { readFileSync } from 'node:fs';
import { autocannon, median, round, writeResult, type LoadResult } from './lib.ts';
import { SANDBOX_KEYS, startBenchSystem } from './system.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.SECONDS ?? 8);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);

const manifest = JSON.parse(readFileSync(new URL('../../schema/persisted-operations.json', import.meta.url), 'utf8')) as {
  operations: Record<string, { name: string; document: string }>;
};
const listOrders = Object.values(manifest.operations).find((op) => op.name === 'ListOrders')!;

const system = await startBenchSystem();
const origin = new URL(system.gatewayUrl).origin;
const authorization = `Bearer ${SANDBOX_KEYS.operator}`;
const VARIANTS = {
  graphql: {
    url: system.gatewayUrl,
    method: 'POST',
    body: JSON.stringify({ query: listOrders.document, operationName: 'ListOrders', variables: { first: 20 } }),
    headers: { authorization, 'content-type': 'application/json' },
  },
  rest: { url: `${origin}/v1/orders?first=20`, method: 'GET', body: undefined, headers: { authorization } },
} as const;
type Variant = keyof typeof VARIANTS;

// Both answer the same orders (checked once, so the comparison is of equal work).
const viaGraphql = (await (await fetch(VARIANTS.graphql.url, { method: 'POST', body: VARIANTS.graphql.body, headers: VARIANTS.graphql.headers })).json()) as {
  data: { orders: { edges: { node: { id: string } }[] } };
};
const restResponse = await fetch(VARIANTS.rest.url, { headers: VARIANTS.rest.headers });
const viaRest = (await restResponse.json()) as { edges?: { node: { id: string } }[]; data?: unknown };
const graphqlIds = viaGraphql.data.orders.edges.map((e) => e.node.id);
const restIds = (viaRest.edges ?? []).map((e) => e.node.id);
if (restResponse.status !== 200 || graphqlIds.join() !== restIds.join() || graphqlIds.length === 0) {
  throw new Error(`REST and GraphQL disagree: ${restResponse.status} ${JSON.stringify(viaRest).slice(0, 300)}`);
}

const runs: Record<Variant, (LoadResult & { cpuMsPerRequest: number })[]> = { graphql: [], rest: [] };
try {
  for (const variant of Object.keys(VARIANTS) as Variant[])
    await autocannon(VARIANTS[variant].url, { ...VARIANTS[variant], connections: CONNECTIONS, seconds: 2 }); // warm-up
  for (let i = 0; i < ROUNDS; i++) {
    for (const variant of Object.keys(VARIANTS) as Variant[]) {
      const cpu = process.cpuUsage();
      const result = await autocannon(VARIANTS[variant].url, { ...VARIANTS[variant], connections: CONNECTIONS, seconds: SECONDS });
      const used = process.cpuUsage(cpu);
      runs[variant].push({ ...result, cpuMsPerRequest: round((used.user + used.system) / 1000 / Math.max(1, result.requests)) });
    }
  }
} finally {
  await system.stop();
}

const summary = (Object.keys(VARIANTS) as Variant[]).map((variant) => {
  const r = runs[variant];
  return {
    variant,
    rpsMedian: round(median(r.map((x) => x.rps)), 1),
    rpsRange: `${round(Math.min(...r.map((x) => x.rps)), 1)}–${round(Math.max(...r.map((x) => x.rps)), 1)}`,
    p50: median(r.map((x) => x.p50)),
    p99: median(r.map((x) => x.p99)),
    errors: r.reduce((n, x) => n + x.errors + x.non2xx, 0),
    cpuMsPerRequest: median(r.map((x) => x.cpuMsPerRequest)),
  };
});
const [graphql, rest] = summary as [(typeof summary)[number], (typeof summary)[number]];
const ratios = { restRpsOverGraphql: round(rest.rpsMedian / graphql.rpsMedian), restCpuOverGraphql: round(rest.cpuMsPerRequest / graphql.cpuMsPerRequest) };
console.table(summary);
console.log(ratios);
console.log(
  `wrote ${writeResult('rest-vs-graphql', { benchmark: 'REST facade vs GraphQL (ListOrders, first 20)', database: system.kind, rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, results: summary, ratios, runs })}`,
);
