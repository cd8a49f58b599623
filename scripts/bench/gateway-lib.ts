/**
 * Harness of the gateway benchmarks: every competitor is a child process of its own (so its RSS and CPU are its
 * own), the load comes from autocannon in yet another process, and the rounds are interleaved (A B C A B C …) so a
 * noisy neighbour hurts all competitors alike.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';

const here = new URL('.', import.meta.url).pathname;

export interface ChildStats {
  cpuMicros: number;
  rss: number;
  maxRssBytes: number;
}

export interface Competitor {
  name: string;
  url: string;
  note?: string;
  stats(): Promise<ChildStats>;
  stop(): Promise<void>;
}

/** Forks a TypeScript entry of this folder (through tsx) that sends `{ ready: … }` once it serves. */
export function forkEntry<T>(
  entry: string,
  args: string[],
  env: Record<string, string> = {},
  execArgv: string[] = [],
): Promise<{ child: ChildProcess; ready: T }> {
  const child = fork(`${here}${entry}`, args, {
    execArgv: ['--import', 'tsx', ...execArgv],
    env: { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'production', IPAY_ENV: 'development', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // A harness that dies (Ctrl-C, timeout) takes its competitors with it.
  process.once('exit', () => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${entry} ${args.join(' ')} exited (${code}) before it was ready`));
    child.once('exit', onExit);
    child.on('message', function onMessage(message: { ready?: T }) {
      if (!message || message.ready === undefined) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve({ child, ready: message.ready });
    });
  });
}

/** Asks a child for its CPU time and memory (see serveStats). */
export function statsOf(child: ChildProcess): Promise<ChildStats> {
  return new Promise((resolve) => {
    const onMessage = (message: { stats?: ChildStats }) => {
      if (!message?.stats) return;
      child.off('message', onMessage);
      resolve(message.stats);
    };
    child.on('message', onMessage);
    child.send({ stats: true });
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** In a child: answers the harness's stats requests and tells it that it is ready. */
export function serveStats(ready: unknown): void {
  process.on('message', (message: { stats?: boolean; exit?: boolean }) => {
    // A graceful exit writes the --cpu-prof profile (gateway-profile.ts).
    if (message?.exit) process.exit(0);
    if (!message?.stats) return;
    const cpu = process.cpuUsage();
    const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
    process.send!({
      stats: { cpuMicros: cpu.user + cpu.system, rss, heapUsed, heapTotal, external, arrayBuffers, maxRssBytes: process.resourceUsage().maxRSS * 1024 },
    });
  });
  process.send!({ ready });
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  durationSeconds: number;
}

/** One autocannon run in its own process. */
export function load(url: string, body: string, headers: Record<string, string>, connections: number, seconds: number): Promise<LoadResult> {
  const bin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  const args = [bin, '-j', '-c', String(connections), '-d', String(seconds), '-m', 'POST', '-b', body, '-H', 'content-type=application/json'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.resume();
    child.once('exit', (code) => {
      try {
        const json = JSON.parse(out);
        resolve({
          requests: json.requests.total,
          rps: json.requests.average,
          p50: json.latency.p50,
          p99: json.latency.p99,
          errors: json.errors + json.timeouts,
          non2xx: json.non2xx,
          durationSeconds: json.duration,
        });
      } catch (error) {
        reject(new Error(`autocannon exited ${code}: ${(error as Error).message}: ${out.slice(0, 200)}`));
      }
    });
  });
}

export interface Scenario {
  name: string;
  body: string;
  headers: Record<string, string>;
  /** What a correct answer contains (checked once per competitor before load). */
  check(json: any): void;
}

export interface RoundResult extends LoadResult {
  competitor: string;
  scenario: string;
  round: number;
  cpuMsPerRequest: number;
}

export async function verify(competitor: Competitor, scenario: Scenario): Promise<void> {
  const response = await fetch(competitor.url, { method: 'POST', headers: { 'content-type': 'application/json', ...scenario.headers }, body: scenario.body });
  const json = await response.json();
  try {
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    scenario.check(json);
  } catch (error) {
    throw new Error(`${competitor.name} answers ${scenario.name} wrongly (${(error as Error).message}): ${JSON.stringify(json).slice(0, 400)}`, {
      cause: error,
    });
  }
}

/** Interleaved rounds: for each round, every scenario on every competitor, in turn. */
export async function interleave(
  competitors: Competitor[],
  scenarios: Scenario[],
  options: { rounds: number; seconds: number; connections: number; warmupSeconds: number },
): Promise<RoundResult[]> {
  for (const competitor of competitors) for (const scenario of scenarios) await verify(competitor, scenario);
  for (const competitor of competitors)
    for (const scenario of scenarios) await load(competitor.url, scenario.body, scenario.headers, options.connections, options.warmupSeconds);
  const results: RoundResult[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const scenario of scenarios) {
      for (const competitor of competitors) {
        const before = await competitor.stats();
        const result = await load(competitor.url, scenario.body, scenario.headers, options.connections, options.seconds);
        const after = await competitor.stats();
        const cpuMsPerRequest = result.requests ? (after.cpuMicros - before.cpuMicros) / 1000 / result.requests : 0;
        results.push({ ...result, competitor: competitor.name, scenario: scenario.name, round, cpuMsPerRequest });
        console.log(
          `  round ${round} ${scenario.name} ${competitor.name}: ${result.rps.toFixed(0)} rps, p50 ${result.p50} ms, p99 ${result.p99} ms, ${cpuMsPerRequest.toFixed(2)} cpu ms/req, errors ${result.errors + result.non2xx}`,
        );
      }
    }
  }
  return results;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export interface SummaryRow {
  scenario: string;
  competitor: string;
  note?: string;
  rpsMedian: number;
  rpsMin: number;
  rpsMax: number;
  p50Median: number;
  p99Median: number;
  errors: number;
  cpuMsPerRequest: number;
  peakRssMb: number;
  /** Median of the per-round ratios to the baseline competitor of the same round. */
  ratioToBaseline: number | null;
}

export async function summarise(results: RoundResult[], competitors: Competitor[], baseline: string): Promise<SummaryRow[]> {
  const rows: SummaryRow[] = [];
  const peaks = new Map<string, number>();
  for (const competitor of competitors) peaks.set(competitor.name, (await competitor.stats()).maxRssBytes);
  for (const scenario of [...new Set(results.map((r) => r.scenario))]) {
    for (const competitor of competitors) {
      const own = results.filter((r) => r.scenario === scenario && r.competitor === competitor.name);
      const ratios = own.map((r) => {
        const base = results.find((b) => b.scenario === scenario && b.round === r.round && b.competitor === baseline);
        return base && base.rps > 0 ? r.rps / base.rps : NaN;
      });
      rows.push({
        scenario,
        competitor: competitor.name,
        note: competitor.note,
        rpsMedian: median(own.map((r) => r.rps)),
        rpsMin: Math.min(...own.map((r) => r.rps)),
        rpsMax: Math.max(...own.map((r) => r.rps)),
        p50Median: median(own.map((r) => r.p50)),
        p99Median: median(own.map((r) => r.p99)),
        errors: own.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
        cpuMsPerRequest: median(own.map((r) => r.cpuMsPerRequest)),
        peakRssMb: Math.round(peaks.get(competitor.name)! / 1024 / 1024),
        ratioToBaseline: ratios.every(Number.isFinite) ? median(ratios) : null,
      });
    }
  }
  return rows;
}

export function printTable(title: string, rows: SummaryRow[], baseline: string): void {
  console.log(`\n${title} (ratio: median of per-round RPS ratios to ${baseline})`);
  console.log('| scenario | competitor | RPS median (range) | p50 / p99 ms | errors | CPU ms/req | peak RSS MB | × baseline |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.scenario} | ${r.competitor}${r.note ? ` (${r.note})` : ''} | ${r.rpsMedian.toFixed(0)} (${r.rpsMin.toFixed(0)}–${r.rpsMax.toFixed(0)}) | ${r.p50Median} / ${r.p99Median} | ${r.errors} | ${r.cpuMsPerRequest.toFixed(2)} | ${r.peakRssMb} | ${r.ratioToBaseline === null ? '–' : r.ratioToBaseline.toFixed(2)} |`,
    );
  }
}

export function machine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    loadavg: loadavg().map((l) => Number(l.toFixed(2))),
  };
}
