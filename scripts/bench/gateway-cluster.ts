/**
 * The gateway as deployed (issue 17): compiled (esbuild, as `pnpm start` runs it), first as a single process, then
 * as GATEWAY_WORKERS=2 node:cluster workers, against plain @apollo/gateway compiled the same way and run the same
 * ways (scripts/bench/apollo-gateway.ts). Benchmark 2 (the public graphql-gateways-benchmark scenario, whose Node
 * subgraphs are not the bottleneck). Same harness as `pnpm bench:gateway` (gateway-lib.ts): autocannon in its own
 * process, interleaved rounds, ratios per round; CPU and peak RSS summed over each competitor's process tree.
 *   pnpm exec tsx scripts/bench/gateway-cluster.ts [--rounds=3] [--seconds=8] [--warmup=8] [--workers=2]
 *     [--variants=semi32:--max-semi-space-size=32,…]  (more single-process `ours` competitors with those V8 flags)
 * Prints the tables, writes scripts/bench/results/gateway-cluster.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildEntries } from '../build.ts';
import { type ChildStats, type Competitor, type Scenario, forkEntry, interleave, machine, printTable, stopChild, summarise } from './gateway-lib.ts';
import { PUBLIC_QUERY, checkPublicAnswer } from './public-scenario/query.ts';

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const rounds = Number(arg('rounds', '3'));
const seconds = Number(arg('seconds', '8'));
const workers = Number(arg('workers', '2'));
// Each worker compiles its own hot paths: a longer warm-up than `pnpm bench:gateway`'s 3 s, or round 1 measures the JIT.
const warmupSeconds = Number(arg('warmup', '8'));
const root = fileURLToPath(new URL('../../', import.meta.url));
// Extra single-process competitors: ours under other V8 flags (e.g. a larger young generation, which trades memory
// for fewer scavenges and less promotion of the objects in-flight requests hold).
const variants = arg('variants', '')
  .split(',')
  .filter(Boolean)
  .map((spec) => {
    const [label, ...flags] = spec.split(':');
    return { label: label!, flags: flags.join(':').split(' ').filter(Boolean) };
  });

const ENTRIES = { ours: 'gateway/dist/index.js', apollo: 'scripts/bench/dist/apollo-gateway.js' } as const;
await buildEntries({
  'gateway/src/index.ts': ENTRIES.ours,
  'gateway/src/serve.ts': 'gateway/dist/serve.js',
  'scripts/bench/apollo-gateway.ts': ENTRIES.apollo,
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** The process and its descendants (the cluster workers), from /proc (Linux). */
function processTree(pid: number): number[] {
  let children: number[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return [pid, ...children.flatMap(processTree)];
}
const statusKb = (pid: number, field: string) =>
  Number(
    /(\d+)/.exec(
      readFileSync(`/proc/${pid}/status`, 'utf8')
        .split('\n')
        .find((l) => l.startsWith(field))!,
    )![1],
  ) * 1024;
function treeStats(pid: number): ChildStats {
  let cpuMicros = 0;
  let rss = 0;
  let maxRssBytes = 0;
  for (const p of processTree(pid)) {
    const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
    cpuMicros += ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100; // USER_HZ 100
    rss += statusKb(p, 'VmRSS:');
    maxRssBytes += statusKb(p, 'VmHWM:');
  }
  return { cpuMicros, rss, maxRssBytes };
}

async function startCompetitor(
  kind: keyof typeof ENTRIES,
  n: number,
  supergraphFile: string,
  variant?: { label: string; flags: string[] },
): Promise<Competitor & { child: ChildProcess; restRssMb: number }> {
  const port = await freePort();
  const big = '1000000000';
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'production',
    IPAY_ENV: 'development',
    // info, as deployed: our access log is written (one line per request); the listening lines tell when all are up.
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    // ours: production entry, the public supergraph, limits out of the way (as gateway-competitor.ts's `ours`)
    GATEWAY_PORT: String(port),
    GATEWAY_SUPERGRAPH: supergraphFile,
    GATEWAY_WORKERS: String(n),
    GATEWAY_REST: 'false',
    RATE_LIMIT_PER_IP: big,
    RATE_LIMIT_PER_KEY: big,
    RATE_LIMIT_INFLIGHT_PER_IP: big,
    RATE_LIMIT_INFLIGHT_PER_KEY: big,
    GRAPHQL_MAX_TOKENS: '10000',
    GRAPHQL_MAX_DEPTH: '14',
    GRAPHQL_MAX_ALIASES: '100',
    GRAPHQL_MAX_DIRECTIVES: '100',
    GRAPHQL_MAX_COST: '10000000',
    GRAPHQL_MAX_ROOT_FIELDS: '30',
    // apollo
    BENCH_SUPERGRAPH_FILE: supergraphFile,
    BENCH_PORT: String(port),
    BENCH_WORKERS: String(n),
  };
  delete env.DATABASE_URL;
  delete env.NATS_URL;
  delete env.REDIS_URL;
  const child = spawn(process.execPath, [...(variant?.flags ?? []), '--enable-source-maps', ENTRIES[kind]], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.once('exit', () => child.kill('SIGKILL'));
  let listening = 0;
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.includes('"gateway listening"')) listening += 1;
      else if (/"level":(40|50|60)/.test(line)) process.stderr.write(`${kind}: ${line}\n`);
    }
  });
  const deadline = Date.now() + 120_000;
  while (listening < n) {
    if (child.exitCode !== null) throw new Error(`${kind} exited with ${child.exitCode} before it listened`);
    if (Date.now() > deadline) throw new Error(`${kind}: ${listening}/${n} listening after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const name = `${kind} ×${n}${variant ? ` ${variant.label}` : ''}`;
  return {
    name,
    note: `${n > 1 ? `${n} cluster workers + primary, compiled` : 'single process, compiled'}${variant ? ` (${variant.flags.join(' ')})` : ''}`,
    url: `http://127.0.0.1:${port}/graphql`,
    child,
    restRssMb: Math.round(treeStats(child.pid!).rss / 2 ** 20),
    stats: async () => treeStats(child.pid!),
    // The whole tree: a worker whose primary was killed would otherwise outlive it for a moment.
    stop: async () => {
      const pids = processTree(child.pid!).slice(1);
      await stopChild(child);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}

const scenario: Scenario = {
  name: 'public scenario',
  body: JSON.stringify({ query: PUBLIC_QUERY, operationName: 'TestQuery' }),
  headers: {},
  check: checkPublicAnswer,
};

const output: Record<string, unknown> = { started: new Date().toISOString(), machine: machine(), rounds, secondsPerRound: seconds, warmupSeconds, workers };
const { child: subgraphs, ready } = await forkEntry<{ urls: Record<string, string>; supergraphSdl: string }>('public-scenario/subgraphs.ts', []);
const supergraphFile = `${mkdtempSync(`${tmpdir()}/ipay-bench-cluster-`)}/supergraph.graphql`;
writeFileSync(supergraphFile, ready.supergraphSdl);
try {
  for (const [title, n] of [
    ['single process (compiled)', 1],
    [`cluster: ${workers} workers (compiled)`, workers],
  ] as const) {
    console.log(`benchmark 2, ${title}`);
    const competitors = [await startCompetitor('ours', n, supergraphFile), await startCompetitor('apollo', n, supergraphFile)];
    if (n === 1) for (const variant of variants) competitors.push(await startCompetitor('ours', n, supergraphFile, variant));
    try {
      const results = await interleave(competitors, [scenario], { rounds, seconds, connections: 50, warmupSeconds });
      const rows = (await summarise(results, competitors, `apollo ×${n}`)).map((row) => ({
        ...row,
        restRssMb: competitors.find((c) => c.name === row.competitor)!.restRssMb,
      }));
      printTable(`benchmark 2: ${title}`, rows, `apollo ×${n}`);
      for (const row of rows) console.log(`  ${row.competitor}: RSS at rest ${row.restRssMb} MB, peak ${row.peakRssMb} MB (whole process tree)`);
      output[n === 1 ? 'single' : 'cluster'] = { rows, rounds: results };
    } finally {
      for (const c of competitors) await c.stop();
    }
  }
} finally {
  await stopChild(subgraphs);
}
const single = output.single as { rows: { competitor: string; rpsMedian: number }[] };
const clustered = output.cluster as { rows: { competitor: string; rpsMedian: number }[] };
output.scaling = Object.fromEntries(
  ['ours', 'apollo'].map((kind) => [
    kind,
    clustered.rows.find((r) => r.competitor === `${kind} ×${workers}`)!.rpsMedian / single.rows.find((r) => r.competitor === `${kind} ×1`)!.rpsMedian,
  ]),
);
console.log(`\nRPS ×${workers} workers / ×1 (medians, not interleaved across the two rounds):`, output.scaling);
output.finished = new Date().toISOString();
output.machineAfter = machine();
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/gateway-cluster.json', import.meta.url), `${JSON.stringify(output, null, 2)}\n`);
process.exit(0);
