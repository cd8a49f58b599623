/**
 * A CPU profile of one gateway competitor under the public scenario's load (or our graph's orders(first: 10) with
 * --graph=ours): prints the top frames by self time and the process's memory split (heap, external, RSS).
 *
 *   pnpm exec tsx scripts/bench/gateway-profile.ts [--competitor=ours] [--graph=public|ours] [--seconds=10]
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forkEntry, load, stopChild } from './gateway-lib.ts';

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const competitor = arg('competitor', 'ours');
const graph = arg('graph', 'public');
const seconds = Number(arg('seconds', '10'));

const PUBLIC_QUERY = `fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
query TestQuery {
  users { ...User reviews { ...Review product { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } } } }
  topProducts { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } }
}`;
const ORDERS_QUERY = `query Orders($n: Int!) { orders(first: $n) { edges { node { id merchantReference status total { amount currency } customer { name email } merchant { id slug name } paymentSession { reference status psp amount { amount currency } } shipment { trackingNumber status carrier { code name } } } } } }`;

const dir = mkdtempSync(join(tmpdir(), 'gateway-profile-'));
let env: Record<string, string>;
let body: string;
let headers: Record<string, string> = {};
const { child: subgraphs, ready } =
  graph === 'public'
    ? await forkEntry<{ urls: Record<string, string>; supergraphSdl: string }>('public-scenario/subgraphs.ts', [])
    : await forkEntry<{ urls: Record<string, string>; authorization: string; principal: unknown }>('gateway-subgraphs.ts', []);
if (graph === 'public') {
  env = { BENCH_SUPERGRAPH: (ready as { supergraphSdl: string }).supergraphSdl };
  body = JSON.stringify({ query: PUBLIC_QUERY, operationName: 'TestQuery' });
} else {
  const r = ready as { urls: Record<string, string>; authorization: string; principal: unknown };
  env = {
    BENCH_SUPERGRAPH: readFileSync(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8'),
    BENCH_URLS: JSON.stringify(r.urls),
    BENCH_PRINCIPAL: JSON.stringify(r.principal),
  };
  body = JSON.stringify({ query: ORDERS_QUERY, variables: { n: 10 } });
  headers = { authorization: r.authorization };
}
const { child, ready: url } = await forkEntry<string>('gateway-competitor.ts', [competitor], { ...env, BENCH_BODIES: JSON.stringify([body]) }, [
  '--cpu-prof',
  `--cpu-prof-dir=${dir}`,
]);
await load(url, body, headers, 50, 3);
const result = await load(url, body, headers, 50, seconds);
console.log(`${competitor} on ${graph}: ${result.rps.toFixed(0)} rps, p99 ${result.p99} ms, errors ${result.errors + result.non2xx}`);
const memory = await new Promise<Record<string, number>>((resolve) => {
  child.on('message', (m: { stats?: Record<string, number> }) => m?.stats && resolve(m.stats));
  child.send({ stats: true });
});
console.log(
  'memory (MB):',
  Object.fromEntries(
    Object.entries(memory)
      .filter(([k]) => k !== 'cpuMicros')
      .map(([k, v]) => [k, Math.round(v / 1024 / 1024)]),
  ),
);
await new Promise<void>((resolve) => {
  child.once('exit', () => resolve());
  child.send({ exit: true });
});
await stopChild(subgraphs);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[] };
const total = profile.nodes.reduce((sum, n) => sum + n.hitCount, 0);
const self = new Map<string, number>();
const packageOf = (url: string) => {
  const match = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  return match ? match[1]! : url.replace(/^.*\/work\/wt\/[^/]+\//, '').replace(/^node:/, 'node:') || '(native)';
};
const byPackage = new Map<string, number>();
for (const node of profile.nodes) {
  const { functionName, url: source, lineNumber } = node.callFrame;
  const key = `${functionName || '(anonymous)'} ${packageOf(source)}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + node.hitCount);
  const pkg = source ? packageOf(source) : functionName;
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + node.hitCount);
}
console.log('\ntop frames by self time:');
for (const [key, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${((hits / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
console.log('\nself time by package:');
for (const [key, hits] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${((hits / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
process.exit(0);
