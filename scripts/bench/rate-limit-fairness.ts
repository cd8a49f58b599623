/**
 * Rate-limit fairness: does one tenant's flood leave another tenant's latency within 2× of its idle p50?
 *
 * The whole system (gateway with its production rate limits, five subgraphs) runs in this process; tenant A
 * (acme-owner key, client address 10.0.0.1 via X-Forwarded-For, TRUST_PROXY=true) floods the gateway from a separate
 * process (autocannon CLI, FLOOD_CONNECTIONS connections, FLOOD_SECONDS seconds); tenant B (nordic-owner key, address
 * 10.0.0.2) sends a request every PACE_MS. Each of ROUNDS rounds has three phases, interleaved:
 *   idle      B alone (SAMPLES requests);
 *   flood     B while A floods the gateway;
 *   no-op     B while the same autocannon floods a no-op server in a process of its own that answers the gateway's
 *             precomputed 429: the same CPU spent on the machine by a load generator and by refusals, none of it
 *             in the gateway's process. Its ratio is the part of the slowdown that no gateway change can remove.
 * Every phase records the machine's CPU busy share (/proc/stat) and load average, the load generator's own CPU
 * (/proc/<pid>/stat), this process's CPU and event-loop utilisation and delay. PROFILE=true writes a CPU profile
 * of this process during the first flood phase (to the temp directory) and prints where its time went. Prints a table and writes
 * scripts/bench/results/rate-limit-fairness.json.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pnpm exec tsx scripts/bench/rate-limit-fairness.ts
 *   (ROUNDS=3 SAMPLES=60 PACE_MS=200 FLOOD_CONNECTIONS=50 FLOOD_SECONDS=30 PROFILE=false; RATE_LIMIT_* as the gateway's,
 *   e.g. RATE_LIMIT_REFUSAL_HOLD_MS=0 writes rate-limit-fairness-hold-0ms.json)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createLogger } from '@ipay/platform';
import { createTestDatabase } from '@ipay/platform/testing';
import { apiKeyPepper } from '@ipay/identity/src/app/services.ts';
import { sandboxCredentials } from '@ipay/identity/src/sandbox/seed.ts';
import { DEFAULT_RATE_LIMITS, rateLimitsFromEnv } from '../../gateway/src/rate-limit.ts';
import { startSystem } from '@ipay/system';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SAMPLES = Number(process.env.SAMPLES ?? 60);
const FLOOD_CONNECTIONS = Number(process.env.FLOOD_CONNECTIONS ?? 50);
// Long enough for A to spend its burst and settle at its refill rate, refused for the rest.
const FLOOD_SECONDS = Number(process.env.FLOOD_SECONDS ?? 30);
const PACE_MS = Number(process.env.PACE_MS ?? 200);
const PROFILE = process.env.PROFILE === 'true';

// The sandbox (on loopback): its well-known tenant keys; the rate limits are the production defaults either way.
process.env.IPAY_ENV ??= 'sandbox';
const keys = sandboxCredentials(apiKeyPepper({}));
/** A tenant's everyday read: one page of its orders (commerce through the gateway, authenticated by identity). */
const QUERY = JSON.stringify({ query: 'query Bench { orders(first: 10) { edges { node { id status } } } }' });
const headersOf = (key: string, ip: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-forwarded-for': ip });

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};
const round2 = (n: number) => Math.round(n * 100) / 100;
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** Busy and total jiffies of the whole machine. */
function machineTicks() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy, total: busy + idle! + iowait! };
}
/** CPU seconds a process has used so far (utime + stime). */
function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

interface Resources {
  seconds: number;
  /** Share of all cores busy (1 = every core), whoever used them. */
  machineBusy: number;
  loadAverage1m: number;
  /** This process (gateway, subgraphs, B's client): cores used, event-loop utilisation, event-loop delay p50/p99. */
  systemCores: number;
  eventLoopUtilisation: number;
  eventLoopDelayP50Ms: number;
  eventLoopDelayP99Ms: number;
  /** The load generator (autocannon) and the no-op server, cores used. */
  loadGeneratorCores?: number;
  noopServerCores?: number;
}

/** Measures the machine and this process from now until `end()`; children are sampled while they run. */
function watchResources(children: { loadGenerator?: ChildProcess; noopServer?: ChildProcess } = {}) {
  const started = performance.now();
  const machine = machineTicks();
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const childStart = {
    loadGenerator: children.loadGenerator?.pid ? processCpuSeconds(children.loadGenerator.pid) : undefined,
    noopServer: children.noopServer?.pid ? processCpuSeconds(children.noopServer.pid) : undefined,
  };
  // A child's /proc entry is gone once it exits: keep its last reading.
  const last = { ...childStart };
  const sampler = setInterval(() => {
    if (children.loadGenerator?.pid) last.loadGenerator = processCpuSeconds(children.loadGenerator.pid) ?? last.loadGenerator;
    if (children.noopServer?.pid) last.noopServer = processCpuSeconds(children.noopServer.pid) ?? last.noopServer;
  }, 250);
  return {
    end(): Resources {
      clearInterval(sampler);
      delay.disable();
      const seconds = (performance.now() - started) / 1000;
      const machineEnd = machineTicks();
      const used = process.cpuUsage(cpu);
      const cores = (from?: number, to?: number) => (from === undefined || to === undefined ? undefined : round2((to - from) / seconds));
      return {
        seconds: round2(seconds),
        machineBusy: round2((machineEnd.busy - machine.busy) / (machineEnd.total - machine.total)),
        loadAverage1m: round2(loadavg()[0]!),
        systemCores: round2((used.user + used.system) / 1e6 / seconds),
        eventLoopUtilisation: round2(performance.eventLoopUtilization(elu).utilization),
        eventLoopDelayP50Ms: round2(delay.percentile(50) / 1e6),
        eventLoopDelayP99Ms: round2(delay.percentile(99) / 1e6),
        loadGeneratorCores: cores(childStart.loadGenerator, last.loadGenerator),
        noopServerCores: cores(childStart.noopServer, last.noopServer),
      };
    },
  };
}

interface Phase {
  samples: number;
  p50: number;
  p95: number;
  statuses: Record<string, number>;
}

/** B's requests, one every PACE_MS (an ordinary tenant, well inside its own budget): SAMPLES of them, or until `until` settles. */
async function measureB(url: string, headers: Record<string, string>, until?: Promise<unknown>): Promise<Phase> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let over = false;
  void until?.finally(() => (over = true));
  for (let i = 0; until ? !over : i < SAMPLES; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, PACE_MS));
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers, body: QUERY });
    const body = (await response.json()) as { errors?: unknown };
    latencies.push(performance.now() - started);
    const key = body.errors ? `${response.status}+errors` : String(response.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
  }
  return { samples: latencies.length, p50: round2(percentile(latencies, 50)), p95: round2(percentile(latencies, 95)), statuses };
}

interface FloodStats {
  requests: number;
  '2xx': number;
  non2xx: number;
  latencyP50: number;
}
interface Flood {
  child: ChildProcess;
  done: Promise<FloodStats>;
}

/** Starts autocannon in its own process; resolves once its flood is under way. */
async function startFlood(url: string, headers: Record<string, string>): Promise<Flood> {
  const bin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  const args = [bin, '--json', '-c', String(FLOOD_CONNECTIONS), '-d', String(FLOOD_SECONDS), '-m', 'POST', '-b', QUERY];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
  args.push(url);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const done = new Promise<FloodStats>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}`));
      const result = JSON.parse(stdout) as { requests: { total: number }; '2xx': number; non2xx: number; latency: { p50: number } };
      resolve({ requests: result.requests.total, '2xx': result['2xx'], non2xx: result.non2xx, latencyP50: result.latency.p50 });
    });
  });
  // With --json autocannon prints nothing until the end: give its connections a moment to open and get going.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return { child, done };
}

/**
 * A server in a process of its own that answers every request with the gateway's precomputed 429 (same headers,
 * same size): the flood's CPU on the machine, without the gateway's event loop.
 */
async function startNoopServer(): Promise<{ child: ChildProcess; url: string }> {
  const source = `
    const body = '{"errors":[{"message":"rate limit exceeded (ip); retry after 1 s","extensions":{"code":"RATE_LIMITED","policy":"ip","retryAfterSeconds":1,"requestId":"00000000-0000-4000-8000-000000000000"}}]}';
    const server = require('node:http').createServer((req, res) => {
      res.writeHead(429, { 'x-request-id': '00000000-0000-4000-8000-000000000000', 'ratelimit-policy': '"ip";q=600;w=60', ratelimit: '"ip";r=0;t=6', 'retry-after': '1', 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
      res.end(body);
    });
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
  return { child, url: `http://127.0.0.1:${port}/graphql` };
}

/** Self time per function of a CPU profile, grouped by where the code lives, the heaviest first. */
function summariseProfile(profile: {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}) {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    const { url, functionName, lineNumber } = node.callFrame;
    // The profiler's own session call (this script awaiting Profiler.stop) is not the system's work.
    if (!us || (functionName === 'dispatch' && !url)) continue;
    const area = !url
      ? functionName.startsWith('(')
        ? functionName
        : '(native)'
      : url.startsWith('node:')
        ? url
        : (/node_modules\/\.pnpm\/([^/]+)/.exec(url)?.[1]?.replace(/@[\d.]+.*$/, '') ?? url.replace(/^.*\/(gateway|subgraphs|scripts)\//, '$1/'));
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, share: round2(us / total) }));
  return { sampledSeconds: round2(total / 1e6), byArea: top(byArea, 15), byFunction: top(byFunction, 15) };
}

async function main() {
  process.env.TRUST_PROXY = 'true';
  const database = await createTestDatabase();
  const system = await startSystem({
    ephemeralPorts: true,
    databaseUrl: database.url,
    pglite: database.target.kind === 'pglite' ? database.target.client : undefined,
    logger: createLogger('bench', 'error'),
    environment: 'sandbox',
    seed: true,
  });
  const url = system.gatewayUrl;
  const noop = await startNoopServer();
  console.log(`system up, gateway ${url}; no-op server ${noop.url}`);
  const a = headersOf(keys['acme-owner']!, '10.0.0.1');
  const b = headersOf(keys['nordic-owner']!, '10.0.0.2');
  let profile: ReturnType<typeof summariseProfile> | undefined;
  try {
    // Warm up both tenants (auth caches, query plans, connections), inside A's burst so A starts each round alike.
    for (let i = 0; i < 20; i++) {
      for (const h of [a, b]) await (await fetch(url, { method: 'POST', headers: h, body: QUERY })).arrayBuffer();
    }
    console.log('warmed up');
    const rounds = [];
    for (let round = 1; round <= ROUNDS; round++) {
      let watch = watchResources();
      const idle = await measureB(url, b);
      const idleResources = watch.end();

      const flood = await startFlood(url, a);
      const session = PROFILE && round === 1 ? new Session() : undefined;
      if (session) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      watch = watchResources({ loadGenerator: flood.child });
      const underFlood = await measureB(url, b, flood.done);
      const floodResources = watch.end();
      const floodStats = await flood.done;
      if (session) {
        const { profile: cpuProfile } = await session.post('Profiler.stop');
        session.disconnect();
        // Too large to commit; open it in Chrome DevTools or speedscope.
        const file = join(tmpdir(), `rate-limit-fairness-${Date.now()}.cpuprofile`);
        writeFileSync(file, JSON.stringify(cpuProfile));
        console.log(`CPU profile written to ${file}`);
        profile = summariseProfile(cpuProfile as never);
      }

      const noopFlood = await startFlood(noop.url, a);
      watch = watchResources({ loadGenerator: noopFlood.child, noopServer: noop.child });
      const underNoop = await measureB(url, b, noopFlood.done);
      const noopResources = watch.end();
      const noopStats = await noopFlood.done;

      const ratio = round2(underFlood.p50 / idle.p50);
      const noopRatio = round2(underNoop.p50 / idle.p50);
      rounds.push({
        round,
        idle,
        underFlood,
        underNoop,
        ratio,
        noopRatio,
        flood: floodStats,
        noopFlood: noopStats,
        resources: { idle: idleResources, flood: floodResources, noop: noopResources },
      });
      console.log(
        `round ${round}: B p50 idle ${idle.p50} ms, under A's flood ${underFlood.p50} ms (×${ratio}), under a no-op flood ${underNoop.p50} ms (×${noopRatio}); ` +
          `A sent ${floodStats.requests} (${floodStats['2xx']} 2xx); load generator ${floodResources.loadGeneratorCores} cores, system ${floodResources.systemCores} cores, machine busy ${floodResources.machineBusy}`,
      );
    }
    const median = (values: number[]) => percentile(values, 50);
    const idleP50 = median(rounds.map((r) => r.idle.p50));
    const floodP50 = median(rounds.map((r) => r.underFlood.p50));
    const noopP50 = median(rounds.map((r) => r.underNoop.p50));
    const summary = {
      idleP50,
      floodP50,
      noopFloodP50: noopP50,
      ratio: round2(floodP50 / idleP50),
      noopRatio: round2(noopP50 / idleP50),
      worstRoundRatio: Math.max(...rounds.map((r) => r.ratio)),
      withinTwoTimes: floodP50 / idleP50 <= 2,
    };
    console.table(
      rounds.flatMap((r) =>
        (['idle', 'flood', 'noop'] as const).map((phase) => {
          const b = phase === 'idle' ? r.idle : phase === 'flood' ? r.underFlood : r.underNoop;
          const res = r.resources[phase];
          const gen = phase === 'flood' ? r.flood : phase === 'noop' ? r.noopFlood : undefined;
          return {
            round: r.round,
            phase,
            'B n': b.samples,
            'B p50 ms': b.p50,
            'B p95 ms': b.p95,
            'vs idle': phase === 'idle' ? 1 : round2(b.p50 / r.idle.p50),
            'B statuses': JSON.stringify(b.statuses),
            'A sent': gen?.requests ?? '',
            'A 2xx': gen?.['2xx'] ?? '',
            'loadgen cores': res.loadGeneratorCores ?? '',
            'system cores': res.systemCores,
            'system ELU': res.eventLoopUtilisation,
            'EL delay p99 ms': res.eventLoopDelayP99Ms,
            'machine busy': res.machineBusy,
            load1m: res.loadAverage1m,
          };
        }),
      ),
    );
    if (profile) {
      console.log(`CPU profile of this process during round 1's flood (${profile.sampledSeconds} s sampled), self time by area:`);
      console.table(profile.byArea);
      console.table(profile.byFunction);
    }
    console.log(
      `median over rounds: B idle p50 ${summary.idleP50} ms, under A's flood ${summary.floodP50} ms (ratio ${summary.ratio}, worst round ${summary.worstRoundRatio}), ` +
        `under a no-op flood ${summary.noopFloodP50} ms (ratio ${summary.noopRatio}); within 2×: ${summary.withinTwoTimes}`,
    );
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    // A run with other refusal hold than the default keeps the default's result (the README quotes it).
    const limits = rateLimitsFromEnv();
    const name = limits.refusalHoldMs === DEFAULT_RATE_LIMITS.refusalHoldMs ? 'rate-limit-fairness' : `rate-limit-fairness-hold-${limits.refusalHoldMs}ms`;
    writeFileSync(
      new URL(`./results/${name}.json`, import.meta.url),
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) },
          database: database.target.kind,
          rateLimits: limits,
          settings: {
            rounds: ROUNDS,
            samples: SAMPLES,
            paceMs: PACE_MS,
            floodConnections: FLOOD_CONNECTIONS,
            floodSeconds: FLOOD_SECONDS,
            query: JSON.parse(QUERY).query,
          },
          rounds,
          profile,
          summary,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    noop.child.kill();
    await system.stop();
    await database.cleanup();
  }
}

await main();
