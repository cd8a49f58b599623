/**
 * Subgraph CPU per request (issue 17: "half today's CPU per request on the order list"). The subgraph requests a
 * gateway makes for `orders(first: 10)` and `orders(first: 100)` (merchant, payment session, shipment: commerce, then
 * identity, payments and logistics at once) are recorded once per competitor through @apollo/gateway, then replayed
 * stage by stage with a fresh internal token per request, from `connections` closed loops in this process. Each
 * competitor is a process running the five subgraphs of one source tree (scripts/bench/subgraph-cpu-subgraphs.ts) on
 * its own fresh database; its CPU time per replayed request is what is measured. Rounds are interleaved
 * (before after before after …) and the ratios are medians of per-round ratios.
 *
 *   git -C /work/main worktree add --detach /work/wt/subgraph-cpu-base main   # "before" (once)
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pnpm bench:subgraphs -- --base=/work/wt/subgraph-cpu-base
 *
 * Options: --base=<tree> (default BENCH_BASE_TREE; without either only this tree is measured), --rounds=3,
 * --seconds=8, --connections=6 (each subgraph opens at most that many PostgreSQL connections), --profile (after the
 * rounds, one more orders(first: 10) run per competitor under the inspector's CPU profiler: the top self-time frames).
 * Writes scripts/bench/results/subgraph-cpu.json.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { INTERNAL_TOKEN_HEADER, internalTokenSecret, signInternalTokenSync, type Principal } from '@ipay/platform';
import { Agent } from 'undici';
import { median, percentile, round, writeResult } from './lib.ts';

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const rounds = Number(arg('rounds', '3'));
const seconds = Number(arg('seconds', '8'));
const connections = Number(arg('connections', '6'));
const profile = process.argv.includes('--profile');
const here = new URL('.', import.meta.url).pathname;
const thisTree = resolve(here, '../..');
const baseTree = arg('base', process.env.BENCH_BASE_TREE ?? '');
const trees: { name: string; tree: string }[] = [...(baseTree ? [{ name: 'before', tree: resolve(baseTree) }] : []), { name: 'after', tree: thisTree }];
// The children run with IPAY_ENV=development (sandbox seeding, the development token secret): so does the replayer.
process.env.IPAY_ENV ??= 'development';
const secret = internalTokenSecret();
process.env.APOLLO_TELEMETRY_DISABLED = 'true';

const ORDERS_QUERY = `query Orders($n: Int!) { orders(first: $n) { edges { node {
  id merchantReference status total { amount currency } customer { name email }
  merchant { id slug name }
  paymentSession { reference status psp amount { amount currency } }
  shipment { trackingNumber status carrier { code name } }
} } } }`;
const SIZES = [10, 100];

interface Call {
  subgraph: string;
  body: string;
}
interface Competitor {
  name: string;
  tree: string;
  child: ChildProcess;
  urls: Record<string, string>;
  principal: Principal | null;
  /** Per scenario: the subgraph calls in stages (a stage waits on the one before). */
  plans: Map<number, Call[][]>;
}

function startCompetitor(name: string, tree: string): Promise<Competitor> {
  const child = fork(join(here, 'subgraph-cpu-subgraphs.ts'), [], {
    execArgv: ['--import', 'tsx'],
    // Production's log level; their log lines (none per request at info) are not what is measured.
    env: { ...process.env, BENCH_TREE: tree, LOG_LEVEL: 'info', NODE_ENV: 'production', IPAY_ENV: 'development', AUDIT_ATTESTATION_INTERVAL_MS: '0' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  process.once('exit', () => child.kill('SIGKILL'));
  return new Promise((resolvePromise, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${name} (${tree}) exited (${code}) before it was ready`));
    child.once('exit', onExit);
    child.on('message', function onReady(message: { ready?: { urls: Record<string, string>; principal: Principal | null } }) {
      if (!message?.ready) return;
      child.off('message', onReady);
      child.off('exit', onExit);
      resolvePromise({ name, tree, child, ...message.ready, plans: new Map() });
    });
  });
}

const cpuMicrosOf = (child: ChildProcess): Promise<number> =>
  new Promise((resolvePromise) => {
    const onMessage = (message: { stats?: { cpuMicros: number } }) => {
      if (!message?.stats) return;
      child.off('message', onMessage);
      resolvePromise(message.stats.cpuMicros);
    };
    child.on('message', onMessage);
    child.send({ stats: true });
  });

let headerMismatch: string | undefined;

/** What @apollo/gateway sends to the competitor's subgraphs for each scenario, grouped into stages. */
async function record(competitor: Competitor): Promise<void> {
  const supergraphSdl = readFileSync(join(thisTree, 'schema/supergraph.graphql'), 'utf8');
  let calls: (Call & { started: number; ended: number })[] = [];
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name }) =>
      new RemoteGraphQLDataSource({
        url: competitor.urls[name]!,
        fetcher: async (input, init) => {
          const call = { subgraph: name, body: String(init?.body), started: performance.now(), ended: 0 };
          const headers = {
            ...(init?.headers as Record<string, string>),
            [INTERNAL_TOKEN_HEADER]: signInternalTokenSync(secret, { requestId: randomUUID(), principal: competitor.principal, sourceIp: null }),
          };
          const response = await fetch(input, { method: init?.method, body: call.body, headers });
          const text = await response.text();
          call.ended = performance.now();
          // Both trees answer no-store (Apollo's cache-control plugin before, the subgraph server after).
          if (response.headers.get('cache-control') !== 'no-store')
            headerMismatch ??= `${competitor.name} ${name}: cache-control ${response.headers.get('cache-control')}`;
          calls.push(call);
          return new Response(text, { status: response.status, headers: response.headers });
        },
      }),
  });
  const apollo = new ApolloServer({ gateway });
  await apollo.start();
  for (const n of SIZES) {
    calls = [];
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: 'POST',
        headers: new HeaderMap([['content-type', 'application/json']]),
        search: '',
        body: { query: ORDERS_QUERY, variables: { n } },
      },
      context: async () => ({}),
    });
    const json = JSON.parse(result.body.kind === 'complete' ? result.body.string : '{}');
    const edges = json.data?.orders?.edges ?? [];
    if (json.errors || edges.length !== n || !edges.every((e: any) => e.node.merchant && e.node.paymentSession && e.node.shipment)) {
      throw new Error(`${competitor.name}: orders(first: ${n}) is not a full page with merchant, payment and shipment: ${JSON.stringify(json).slice(0, 400)}`);
    }
    // A call starts a new stage when it started after every call of the current stage had ended (it waited on them).
    const stages: (typeof calls)[] = [];
    let stageEnd = -Infinity;
    for (const call of [...calls].sort((a, b) => a.started - b.started)) {
      if (!stages.length || call.started >= stageEnd) stages.push([]);
      stages.at(-1)!.push(call);
      stageEnd = Math.max(...stages.at(-1)!.map((c) => c.ended));
    }
    competitor.plans.set(
      n,
      stages.map((stage) => stage.map(({ subgraph, body }) => ({ subgraph, body }))),
    );
  }
  await apollo.stop();
  if (headerMismatch) throw new Error(headerMismatch);
}

/** The first failed reply, printed after the round that saw it. */
let firstError: string | undefined;
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 });

/** One replayed gateway request: every stage's calls at once, the stages in turn; false when any call failed. */
async function replay(competitor: Competitor, stages: Call[][]): Promise<boolean> {
  const token = signInternalTokenSync(secret, { requestId: randomUUID(), principal: competitor.principal, sourceIp: null });
  let ok = true;
  for (const stage of stages) {
    await Promise.all(
      stage.map(async (call) => {
        const url = new URL(competitor.urls[call.subgraph]!);
        const response = await agent.request({
          origin: url.origin,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: token },
          body: call.body,
        });
        const text = await response.body.text();
        if (response.statusCode !== 200 || text.includes('"errors"')) {
          ok = false;
          firstError ??= `${competitor.name} ${call.subgraph}: HTTP ${response.statusCode} ${text.slice(0, 600)}`;
        }
      }),
    );
  }
  return ok;
}

interface RoundResult {
  competitor: string;
  scenario: string;
  round: number;
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
  cpuMsPerRequest: number;
}

async function measure(competitor: Competitor, n: number, durationS: number, roundNo: number): Promise<RoundResult> {
  const stages = competitor.plans.get(n)!;
  const latencies: number[] = [];
  let errors = 0;
  const cpuBefore = await cpuMicrosOf(competitor.child);
  const started = performance.now();
  const deadline = started + durationS * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        if (!(await replay(competitor, stages))) errors++;
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpuMs = ((await cpuMicrosOf(competitor.child)) - cpuBefore) / 1000;
  return {
    competitor: competitor.name,
    scenario: `orders(first: ${n})`,
    round: roundNo,
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50: round(percentile(latencies, 50)),
    p99: round(percentile(latencies, 99)),
    cpuMsPerRequest: cpuMs / latencies.length,
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

function ask<T>(child: ChildProcess, message: object, key: string): Promise<T> {
  return new Promise((resolvePromise) => {
    const onMessage = (reply: Record<string, unknown>) => {
      if (!reply || !(key in reply)) return;
      child.off('message', onMessage);
      resolvePromise(reply[key] as T);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

/** Top frames by self time, as shares of the samples the process was busy (idle left out). */
function topFrames(profile: Profile, tree: string, limit = 25): { share: number; frame: string }[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const where = (url: string) =>
    /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+.*)$/.exec(url)?.[1] ?? url.replace(`file://${tree}/`, '').replace(/^file:\/\//, '');
  const self = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const { callFrame } = byId.get(id)!;
    if (callFrame.functionName === '(idle)') continue;
    busy++;
    const key = `${callFrame.functionName || '(anonymous)'} ${callFrame.url ? `${where(callFrame.url)}:${callFrame.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([frame, hits]) => ({ share: round((hits / busy) * 100, 1), frame }));
}

const competitors: Competitor[] = [];
try {
  for (const { name, tree } of trees) {
    process.stdout.write(`starting ${name} (${tree}) … `);
    const competitor = await startCompetitor(name, tree);
    competitors.push(competitor);
    await record(competitor);
    console.log(
      `recorded ${SIZES.map(
        (n) =>
          `orders(first: ${n}): ${competitor.plans
            .get(n)!
            .map((s) => s.map((c) => c.subgraph).join('+'))
            .join(' → ')}`,
      ).join('; ')}`,
    );
  }
  for (const competitor of competitors) for (const n of SIZES) await measure(competitor, n, 2, 0); // warm-up (JIT, pools, plans)
  const results: RoundResult[] = [];
  for (let r = 1; r <= rounds; r++) {
    for (const n of SIZES) {
      // Alternate who goes first, so neither always runs right after the other's load.
      for (const competitor of r % 2 ? competitors : [...competitors].reverse()) {
        const result = await measure(competitor, n, seconds, r);
        results.push(result);
        console.log(
          `  round ${r} ${result.scenario} ${result.competitor}: ${result.rps.toFixed(0)} rps, p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.cpuMsPerRequest.toFixed(3)} subgraph CPU ms/req, errors ${result.errors}`,
        );
      }
    }
  }

  const rows = SIZES.flatMap((n) =>
    competitors.map((competitor) => {
      const scenario = `orders(first: ${n})`;
      const own = results.filter((r) => r.scenario === scenario && r.competitor === competitor.name);
      const base = (r: RoundResult) => results.find((b) => b.scenario === scenario && b.round === r.round && b.competitor === competitors[0]!.name)!;
      return {
        scenario,
        competitor: competitor.name,
        cpuMsPerRequest: round(median(own.map((r) => r.cpuMsPerRequest)), 3),
        rps: round(median(own.map((r) => r.rps)), 0),
        p50: median(own.map((r) => r.p50)),
        p99: median(own.map((r) => r.p99)),
        errors: own.reduce((sum, r) => sum + r.errors, 0),
        cpuRatio: round(median(own.map((r) => r.cpuMsPerRequest / base(r).cpuMsPerRequest)), 3),
        rpsRatio: round(median(own.map((r) => r.rps / base(r).rps)), 3),
      };
    }),
  );
  console.log(
    `\nsubgraph CPU per order-list request (${connections} connections, ${rounds} × ${seconds} s; ratios: medians of per-round ratios to ${competitors[0]!.name})`,
  );
  console.log('| scenario | competitor | subgraph CPU ms/req | × CPU | RPS | × RPS | p50 / p99 ms | errors |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    console.log(
      `| ${row.scenario} | ${row.competitor} | ${row.cpuMsPerRequest.toFixed(3)} | ${row.cpuRatio.toFixed(2)} | ${row.rps} | ${row.rpsRatio.toFixed(2)} | ${row.p50} / ${row.p99} | ${row.errors} |`,
    );
  }

  // Profiles after the measured rounds (the profiler's own cost stays out of the numbers above): orders(first: 10).
  const profiles: Record<string, { share: number; frame: string }[]> = {};
  if (profile) {
    for (const competitor of competitors) {
      await ask(competitor.child, { profile: 'start' }, 'profiling');
      await measure(competitor, SIZES[0]!, seconds, 0);
      profiles[competitor.name] = topFrames(await ask<Profile>(competitor.child, { profile: 'stop' }, 'profile'), competitor.tree);
      console.log(`\ntop self time (share of busy samples), ${competitor.name}, orders(first: ${SIZES[0]}):`);
      for (const { share, frame } of profiles[competitor.name]!) console.log(`${share.toFixed(1).padStart(5)} %  ${frame}`);
    }
  }
  const out = writeResult('subgraph-cpu', {
    benchmark: 'subgraph CPU per replayed order-list request',
    database: process.env.DATABASE_URL ? 'postgresql' : 'pglite',
    query: ORDERS_QUERY,
    trees: Object.fromEntries(competitors.map((c) => [c.name, c.tree])),
    connections,
    rounds,
    secondsPerRound: seconds,
    rows,
    results,
    ...(profile ? { profiles } : {}),
    firstError: firstError ?? null,
  });
  console.log(`wrote ${out}`);
  if (firstError) {
    console.error(`failed replies, the first: ${firstError}`);
    process.exitCode = 1;
  }
} finally {
  for (const competitor of competitors) {
    if (competitor.child.exitCode !== null) continue;
    await new Promise<void>((done) => {
      competitor.child.once('exit', () => done());
      competitor.child.send({ exit: true });
    });
  }
  await agent.close();
}
process.exit();
