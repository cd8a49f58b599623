/**
 * Finance export benchmark: a period export of 100,000 settlement lines (CSV and DATEV EXTF) streamed to a file, on the
 * embedded PGlite and, when DATABASE_URL is set, on PostgreSQL. The export reads lines in keyset pages and writes
 * chunk by chunk, so its memory must not grow with the line count: the benchmark runs 10,000 and 100,000 lines and
 * reports peak RSS and heap above the baseline before each export. Prints a table and writes
 * scripts/bench/results/finance-export.json.
 *
 *   pnpm exec tsx scripts/bench/finance-export.ts [lines]
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pnpm exec tsx scripts/bench/finance-export.ts
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createLogger, sandboxId, type Database } from '@ipay/platform';
import { createTestDatabase } from '@ipay/platform/testing';
import { createFinanceServer } from '@ipay/finance';
import * as schema from '@ipay/finance/src/db/schema.ts';
import { exportChunks, type ExportFormat } from '@ipay/finance/src/app/documents.ts';

const LINES = Number(process.argv[2] ?? 100_000);
const SIZES = [...new Set([Math.min(10_000, LINES), LINES])];
const LINES_PER_SETTLEMENT = 1_000;
const PERIOD = { from: new Date(Date.UTC(2026, 9, 1)), to: new Date(Date.UTC(2026, 10, 1)) };

interface Result {
  database: 'pglite' | 'postgresql';
  format: ExportFormat;
  lines: number;
  bytes: number;
  ms: number;
  linesPerSecond: number;
  baselineRssMb: number;
  peakRssAboveBaselineMb: number;
  peakHeapAboveBaselineMb: number;
  sha256: string;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** `lines` collection lines over settlements of 1,000 lines each (one October settlement per merchant), totals matching. */
async function fill(db: Database<typeof schema>, lines: number, offset: number) {
  for (let s = 0; s * LINES_PER_SETTLEMENT < lines; s++) {
    const n = Math.min(LINES_PER_SETTLEMENT, lines - s * LINES_PER_SETTLEMENT);
    const merchantId = sandboxId('mer', `bench:${offset + s}`);
    const id = sandboxId('stl', `bench:${offset + s}`);
    const rows = Array.from({ length: n }, (_, i) => {
      const gross = 1000 + ((i * 37) % 9000);
      return {
        id: sandboxId('sli', `${id}:${i}`),
        settlementId: id,
        kind: 'COLLECTION' as const,
        orderId: sandboxId('ord', `${id}:${i}`),
        paymentSessionId: sandboxId('pay', `${id}:${i}`),
        grossAmount: gross,
        feeAmount: 95,
        netAmount: gross - 95,
        feeScheduleId: 'fee_platform_eur',
        occurredAt: new Date(PERIOD.from.getTime() + i * 2_000_000),
      };
    });
    await db.transaction(async (tx) => {
      await tx.insert(schema.settlements).values({
        id,
        merchantId,
        merchantSlug: `bench-${offset + s}`,
        livemode: false,
        periodKind: 'MONTHLY',
        periodStart: PERIOD.from,
        periodEnd: PERIOD.to,
        status: 'OPEN',
        currency: 'EUR',
        grossAmount: rows.reduce((t, r) => t + r.grossAmount, 0),
        feeAmount: rows.reduce((t, r) => t + r.feeAmount, 0),
        netAmount: rows.reduce((t, r) => t + r.netAmount, 0),
        lineCount: rows.length,
      });
      for (let i = 0; i < rows.length; i += 500) await tx.insert(schema.settlementLines).values(rows.slice(i, i + 500));
    });
  }
}

async function measure(db: Database<typeof schema>, kind: Result['database'], format: ExportFormat, lines: number, dir: string): Promise<Result> {
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  const sample = setInterval(() => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  }, 10);
  const file = join(dir, `${kind}-${format}-${lines}.csv`);
  const hash = createHash('sha256');
  const t0 = performance.now();
  const chunks = exportChunks(db, { ...PERIOD, livemode: false, scope: { kind: 'ALL' } }, format, PERIOD, 'IPAY bench', { consultant: 1001, client: 1 });
  await pipeline(
    Readable.from(
      (async function* () {
        for await (const chunk of chunks) {
          hash.update(chunk);
          yield chunk;
        }
      })(),
    ),
    createWriteStream(file),
  );
  const ms = performance.now() - t0;
  clearInterval(sample);
  const bytes = statSync(file).size;
  rmSync(file);
  return {
    database: kind,
    format,
    lines,
    bytes,
    ms: Math.round(ms),
    linesPerSecond: Math.round(lines / (ms / 1000)),
    baselineRssMb: mb(baseline.rss),
    peakRssAboveBaselineMb: mb(peakRss - baseline.rss),
    peakHeapAboveBaselineMb: mb(peakHeap - baseline.heapUsed),
    sha256: hash.digest('hex'),
  };
}

async function bench(kind: Result['database']): Promise<Result[]> {
  const database = await createTestDatabase(kind === 'pglite' ? {} : process.env);
  const server = await createFinanceServer({ database: database.target, logger: createLogger('bench', 'warn'), config: { consumeEvents: false, settlementCloseIntervalMs: 0 } });
  await server.relay.stop();
  const dir = mkdtempSync(join(tmpdir(), 'finance-export-'));
  const results: Result[] = [];
  try {
    const db = server.database.db as Database<typeof schema>;
    let filled = 0;
    for (const size of SIZES) {
      const t0 = performance.now();
      await fill(db, size - filled, filled);
      console.log(`${kind}: ${size} lines in the database (${Math.round(performance.now() - t0)} ms to add ${size - filled})`);
      filled = size;
      for (const format of ['CSV', 'DATEV'] as const) results.push(await measure(db, kind, format, size, dir));
    }
    // Same period, same bytes.
    const again = await measure(db, kind, 'CSV', filled, dir);
    if (again.sha256 !== results.find((r) => r.format === 'CSV' && r.lines === filled)!.sha256) throw new Error('the export is not reproducible');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.stop();
    await database.cleanup();
  }
  return results;
}

const results = await bench('pglite');
if (process.env.DATABASE_URL) results.push(...(await bench('postgresql')));
else console.warn('DATABASE_URL is not set: PostgreSQL skipped');

console.table(results.map(({ sha256, ...r }) => ({ ...r, sha256: sha256.slice(0, 12) })));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const out = new URL('./results/finance-export.json', import.meta.url);
writeFileSync(
  out,
  `${JSON.stringify({ benchmark: 'finance period export (CSV, DATEV EXTF), streamed to a file', at: new Date().toISOString(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), linesPerSettlement: LINES_PER_SETTLEMENT, results }, null, 2)}\n`,
);
console.log(`wrote ${out.pathname}`);
