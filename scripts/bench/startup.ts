/**
 * Gateway start-up: process start to the first answered /healthz, from TypeScript sources through tsx (development)
 * and from the compiled output of `pnpm build` (what `pnpm start` runs), with the REST facade (its idempotency store
 * in an embedded PGlite) and without it (GATEWAY_REST=false). Interleaved rounds; wall time and the process's CPU
 * time at that moment (CPU is the steadier number on a shared machine). Writes scripts/bench/results/startup.json.
 *
 *   pnpm exec tsx scripts/bench/startup.ts        (ROUNDS=5)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildAll } from '../build.ts';
import { median, processCpuMs, round, writeResult } from './lib.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const root = fileURLToPath(new URL('../../', import.meta.url));

const VARIANTS = {
  'tsx sources': { args: ['--import', 'tsx', 'gateway/src/index.ts'], env: {} },
  compiled: { args: ['gateway/dist/index.js'], env: {} },
  'compiled, GATEWAY_REST=false': { args: ['gateway/dist/index.js'], env: { GATEWAY_REST: 'false' } },
} as const;
type Variant = keyof typeof VARIANTS;

// One data directory for all starts, made by a first start that is not counted: a gateway restarts on its existing
// embedded database (creating one is a first-run cost of its own, reported separately).
const dataDir = mkdtempSync(`${tmpdir()}/ipay-startup-`);

async function startOnce(variant: Variant): Promise<{ wallMs: number; cpuMs: number }> {
  const started = performance.now();
  const { DATABASE_URL: _db, NATS_URL: _nats, ...env } = process.env;
  const child = spawn(process.execPath, [...VARIANTS[variant].args], {
    cwd: root,
    env: { ...env, IPAY_ENV: 'development', GATEWAY_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: dataDir, ...VARIANTS[variant].env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${variant} exited with ${child.exitCode}:\n${output}`);
      const port = /"port":(\d+)[^\n]*gateway listening/.exec(output)?.[1];
      if (
        port &&
        (await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        ))
      ) {
        return { wallMs: performance.now() - started, cpuMs: processCpuMs(child.pid!) };
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

await buildAll();
const firstRun = await startOnce('compiled');
const samples = Object.fromEntries(Object.keys(VARIANTS).map((v) => [v, [] as { wallMs: number; cpuMs: number }[]])) as Record<
  Variant,
  { wallMs: number; cpuMs: number }[]
>;
for (let round_ = 0; round_ < ROUNDS; round_++) for (const variant of Object.keys(VARIANTS) as Variant[]) samples[variant].push(await startOnce(variant));

const base = median(samples['tsx sources'].map((s) => s.cpuMs));
const rows = (Object.keys(VARIANTS) as Variant[]).map((variant) => {
  const wall = samples[variant].map((s) => s.wallMs);
  const cpu = samples[variant].map((s) => s.cpuMs);
  return {
    variant,
    wallMsMedian: Math.round(median(wall)),
    wallMsRange: `${Math.round(Math.min(...wall))}–${Math.round(Math.max(...wall))}`,
    cpuMsMedian: Math.round(median(cpu)),
    cpuRatioToTsx: round(median(cpu) / base),
  };
});
rmSync(dataDir, { recursive: true, force: true });
console.table(rows);
console.log(`first start on an empty DATA_DIR (creates the embedded database): ${Math.round(firstRun.wallMs)} ms wall, ${Math.round(firstRun.cpuMs)} ms CPU`);
console.log(
  `wrote ${writeResult('startup', { benchmark: 'gateway start-up (process start to first /healthz)', rounds: ROUNDS, firstRunOnEmptyDataDir: firstRun, results: rows, samples })}`,
);
