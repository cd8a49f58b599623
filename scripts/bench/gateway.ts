/**
 * Gateway benchmarks 1 and 2 (issue 17), one command: `pnpm bench:gateway` (options: --only=ours-graph|public,
 * --rounds=3, --seconds=8, --connections=…). Interleaved rounds, load from autocannon in its own process, every
 * competitor in its own process (RSS and CPU its own). Prints tables, writes scripts/bench/results/gateway.json.
 *  1. our graph: orders(first: 10) and (first: 100) with merchant, payment session and shipment;
 *  2. the public graphql-gateways-benchmark scenario (accounts/inventory/products/reviews, its one query, 50 connections).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { PUBLIC_QUERY, checkPublicAnswer } from './public-scenario/query.ts';
import { type Competitor, type Scenario, type SummaryRow, forkEntry, interleave, machine, printTable, statsOf, stopChild, summarise } from './gateway-lib.ts';

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const rounds = Number(arg('rounds', '3'));
const seconds = Number(arg('seconds', '8'));
const only = arg('only', '');
const competitorsWanted = arg('competitors', 'ours,ours-noshare,apollo,hive,hive-nodedup,replayer').split(',');

const NOTES: Record<string, string> = {
  ours: 'our gateway',
  'ours-noshare': 'our gateway, in-flight sharing off',
  apollo: 'plain @apollo/gateway + @apollo/server',
  hive: "Hive Gateway, dedup on: its key ignores headers, with per-caller tokens one caller could get another's data",
  'hive-nodedup': 'Hive Gateway, upstream dedup off',
  replayer: 'subgraph hop alone (lower bound)',
};

async function startCompetitors(env: Record<string, string>, bodies: string[]): Promise<{ competitors: Competitor[]; children: ChildProcess[] }> {
  const competitors: Competitor[] = [];
  const children: ChildProcess[] = [];
  for (const name of competitorsWanted) {
    const { child, ready: url } = await forkEntry<string>('gateway-competitor.ts', [name], { ...env, BENCH_BODIES: JSON.stringify(bodies) });
    children.push(child);
    competitors.push({ name, url, note: NOTES[name], stats: () => statsOf(child), stop: () => stopChild(child) });
  }
  return { competitors, children };
}

const ORDERS_QUERY = `query Orders($n: Int!) { orders(first: $n) { edges { node {
  id merchantReference status total { amount currency } customer { name email }
  merchant { id slug name }
  paymentSession { reference status psp amount { amount currency } }
  shipment { trackingNumber status carrier { code name } }
} } } }`;

async function ourGraph(): Promise<{ rows: SummaryRow[]; raw: unknown }> {
  console.log('benchmark 1: our graph');
  const { child: subgraphs, ready } = await forkEntry<{ urls: Record<string, string>; authorization: string; principal: unknown }>('gateway-subgraphs.ts', []);
  try {
    const headers = { authorization: ready.authorization };
    const scenario = (n: number): Scenario => ({
      name: `orders(first: ${n})`,
      body: JSON.stringify({ query: ORDERS_QUERY, variables: { n } }),
      headers,
      check(json) {
        if (json.errors) throw new Error('errors');
        const edges = json.data.orders.edges;
        if (edges.length !== n) throw new Error(`${edges.length} orders`);
        if (!edges.some((e: any) => e.node.paymentSession && e.node.shipment && e.node.merchant)) throw new Error('no order with payment and shipment');
      },
    });
    const scenarios = [scenario(10), scenario(100)];
    const supergraph = readFileSync(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8');
    const { competitors } = await startCompetitors(
      { BENCH_SUPERGRAPH: supergraph, BENCH_URLS: JSON.stringify(ready.urls), BENCH_PRINCIPAL: JSON.stringify(ready.principal) },
      scenarios.map((s) => s.body),
    );
    try {
      const results = await interleave(competitors, scenarios, { rounds, seconds, connections: Number(arg('connections', '20')), warmupSeconds: 3 });
      const rows = await summarise(results, competitors, 'apollo');
      return { rows, raw: results };
    } finally {
      for (const c of competitors) await c.stop();
    }
  } finally {
    await stopChild(subgraphs);
  }
}

async function publicScenario(): Promise<{ rows: SummaryRow[]; raw: unknown }> {
  console.log('benchmark 2: the public graphql-gateways-benchmark scenario');
  const { child: subgraphs, ready } = await forkEntry<{ urls: Record<string, string>; supergraphSdl: string }>('public-scenario/subgraphs.ts', []);
  try {
    const scenario: Scenario = {
      name: 'public scenario',
      body: JSON.stringify({ query: PUBLIC_QUERY, operationName: 'TestQuery' }),
      headers: {},
      check: checkPublicAnswer,
    };
    const { competitors } = await startCompetitors({ BENCH_SUPERGRAPH: ready.supergraphSdl }, [scenario.body]);
    try {
      const results = await interleave(competitors, [scenario], { rounds, seconds, connections: 50, warmupSeconds: 3 });
      return { rows: await summarise(results, competitors, 'apollo'), raw: results };
    } finally {
      for (const c of competitors) await c.stop();
    }
  } finally {
    await stopChild(subgraphs);
  }
}

const started = new Date();
const output: Record<string, unknown> = { started: started.toISOString(), machine: machine(), rounds, secondsPerRound: seconds };
if (only !== 'public') {
  const { rows, raw } = await ourGraph();
  printTable('benchmark 1: our graph', rows, 'apollo');
  output.ourGraph = { rows, rounds: raw };
}
if (only !== 'ours-graph') {
  const { rows, raw } = await publicScenario();
  printTable('benchmark 2: public scenario', rows, 'apollo');
  output.publicScenario = { rows, rounds: raw };
}
output.finished = new Date().toISOString();
output.machineAfter = machine();
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/gateway.json', import.meta.url), `${JSON.stringify(output, null, 2)}\n`);
process.exit(0);
