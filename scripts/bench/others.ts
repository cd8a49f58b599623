/**
 * `pnpm bench:others`: benchmarks 3–6 of issue 17, the start-up and the subgraph CPU benchmarks, one after the other,
 * each in its own process and bounded in time. PostgreSQL when DATABASE_URL is set (the targets are stated for it), else PGlite.
 * Results in scripts/bench/results/*.json; the table is in docs/performance.md ("Benchmarks 3–6").
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pnpm bench:others [name …]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHES: Record<string, { args: string[]; timeoutS: number }> = {
  startup: { args: ['scripts/bench/startup.ts'], timeoutS: 300 },
  'rest-vs-graphql': { args: ['scripts/bench/rest-vs-graphql.ts'], timeoutS: 300 },
  subscriptions: { args: ['--expose-gc', '--import', 'tsx', 'scripts/bench/subscriptions.ts'], timeoutS: 420 },
  webhooks: { args: ['scripts/bench/webhooks.ts'], timeoutS: 300 },
  import: { args: ['scripts/bench/import.ts'], timeoutS: 300 },
  'sql-per-request': { args: ['scripts/bench/sql-per-request.ts'], timeoutS: 180 },
  // Subgraph CPU per order-list request; before/after when BENCH_BASE_TREE names a worktree at the base commit.
  subgraphs: { args: ['scripts/bench/subgraph-cpu.ts'], timeoutS: 600 },
};
const root = fileURLToPath(new URL('../../', import.meta.url));
const selected = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(BENCHES);
const failed: string[] = [];
for (const name of selected) {
  const bench = BENCHES[name];
  if (!bench) throw new Error(`no benchmark ${name}; one of ${Object.keys(BENCHES).join(', ')}`);
  const args = bench.args[0]!.startsWith('--') ? bench.args : ['--import', 'tsx', ...bench.args];
  process.stdout.write(`\n== ${name}\n`);
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: { LOG_LEVEL: 'error', IPAY_ENV: 'sandbox', ...process.env } });
  const timer = setTimeout(() => child.kill('SIGTERM'), bench.timeoutS * 1000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) failed.push(`${name} (exit ${code})`);
}
if (failed.length) {
  console.error(`failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
