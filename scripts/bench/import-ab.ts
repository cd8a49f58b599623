/**
 * The bulk import benchmark (scripts/bench/import.ts) of two checkouts side by side, interleaved rounds (A B A B …),
 * to measure a change to the import path or to what it stands on (e.g. the drizzle-orm patch). Each run is its own
 * process in its own checkout; the table gives the medians and the ratio B / A. Writes results/import-ab.json.
 *
 *   DATABASE_URL=postgres://… pnpm exec tsx scripts/bench/import-ab.ts --a=/path/to/base-checkout [--b=.] [--rounds=3] [--rows=10000]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const here = fileURLToPath(new URL('../..', import.meta.url));
const checkouts = { a: resolve(args.a ?? ''), b: resolve(args.b ?? here) };
if (!args.a) throw new Error('--a=<base checkout> is required');
const rounds = Number(args.rounds ?? 3);
const rows = String(args.rows ?? 10_000);

interface Run {
  database: string;
  importMs: number;
  rerunMs: number;
}
const runs: Record<'a' | 'b', Run[][]> = { a: [], b: [] };
const loadAtStart = loadavg()[0]!;
for (let round = 1; round <= rounds; round++) {
  for (const side of ['a', 'b'] as const) {
    const cwd = checkouts[side];
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench/import.ts', rows], {
      cwd,
      env: { LOG_LEVEL: 'error', IPAY_ENV: 'sandbox', ...process.env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (child.status !== 0) throw new Error(`import bench in ${cwd} exited ${child.status}`);
    const { results } = JSON.parse(readFileSync(`${cwd}/scripts/bench/results/import.json`, 'utf8')) as { results: Run[] };
    runs[side].push(results);
    console.log(`round ${round} ${side}: ${results.map((r) => `${r.database} ${r.importMs} ms`).join(', ')}`);
  }
}
const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
const table = runs.a[0]!.map(({ database }) => {
  const of = (side: 'a' | 'b', key: 'importMs' | 'rerunMs') => runs[side].map((r) => r.find((x) => x.database === database)![key]);
  const ratios = runs.a.map((_, i) => of('b', 'importMs')[i]! / of('a', 'importMs')[i]!);
  return {
    database,
    'A import ms (median)': median(of('a', 'importMs')),
    'B import ms (median)': median(of('b', 'importMs')),
    'B / A (per-round median)': Number(median(ratios).toFixed(2)),
    'A rerun ms': median(of('a', 'rerunMs')),
    'B rerun ms': median(of('b', 'rerunMs')),
  };
});
console.table(table);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/import-ab.json', import.meta.url),
  `${JSON.stringify({ benchmark: 'bulk import, two checkouts interleaved', at: new Date().toISOString(), node: process.version, cpus: cpus().length, loadAverage: { start: loadAtStart, end: loadavg()[0] }, checkouts, rows: Number(rows), table, runs }, null, 2)}\n`,
);
