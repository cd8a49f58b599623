/**
 * Finance export benchmark: a period export of 100,000 settlement lines (CSV and DATEV EXTF) downloaded over HTTP the
 * way a client does it: `GET /v1/settlement-exports/download` on the gateway gives the signed link, `GET <link>` streams
 * the file (gateway → finance's internal route → keyset pages from the database, chunked, with backpressure), on the
 * embedded PGlite and, when DATABASE_URL is set, on PostgreSQL. The whole system (gateway and five subgraphs) runs in
 * this process and the client reads the body chunk by chunk, so memory must not grow with the line count: the
 * benchmark runs 10,000 and 100,000 lines and reports peak RSS and heap above the baseline before each download, the
 * time to the first byte (the stream starts long before it ends) and the SHA-256 (same period, same bytes). Prints a
 * table and writes scripts/bench/results/finance-export.json.
 *
 *   pnpm exec tsx scripts/bench/finance-export.ts [lines]
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pnpm exec tsx scripts/bench/finance-export.ts
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createLogger, sandboxId, type Database } from '@ipay/platform';
import { apiKeyPepper } from '@ipay/identity/src/app/services.ts';
import { createTestDatabase } from '@ipay/platform/testing';
import * as schema from '@ipay/finance/src/db/schema.ts';
import type { ExportFormat } from '@ipay/finance/src/app/documents.ts';
import { sandboxCredentials } from '@ipay/identity/src/sandbox/seed.ts';
import { startSystem, type RunningSystem } from '@ipay/system';

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
  /** From the request for the file to its first byte. */
  firstByteMs: number;
  chunks: number;
  contentType: string;
  linesPerSecond: number;
  baselineRssMb: number;
  peakRssAboveBaselineMb: number;
  peakHeapAboveBaselineMb: number;
  /** Heap above the baseline once the download is done and garbage collected: what the download kept (≈ 0). */
  retainedHeapAboveBaselineMb: number;
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

// A sandbox system on loopback with the development secrets (as `pnpm start`); no scheduled background jobs.
process.env.IPAY_ENV ||= 'development';
process.env.CONTROLS_TICK_MS ??= '0';
process.env.AUDIT_ATTESTATION_INTERVAL_MS ??= '0';
const OPERATOR = sandboxCredentials(apiKeyPepper({})).operator!;
const UNLIMITED = { ip: { limit: 1_000_000, windowSeconds: 60 }, key: { limit: 1_000_000, windowSeconds: 60 }, auth: { limit: 1_000_000, windowSeconds: 60 } };

async function measure(system: RunningSystem, kind: Result['database'], format: ExportFormat, lines: number): Promise<Result> {
  const base = new URL('/', system.gatewayUrl).toString().replace(/\/$/, '');
  const headers = { authorization: `Bearer ${OPERATOR}` };
  const linkUrl = `${base}/v1/settlement-exports/download?from=${PERIOD.from.toISOString()}&to=${PERIOD.to.toISOString()}&format=${format}`;
  // PGlite runs in this process: a long fill blocks the event loop, and the client may then reuse a keep-alive socket
  // the gateway closed meanwhile (ECONNRESET). The link is an idempotent GET before anything is measured: retry once.
  const linkResponse = await fetch(linkUrl, { headers }).catch(() => fetch(linkUrl, { headers }));
  if (linkResponse.status !== 200) throw new Error(`the link: HTTP ${linkResponse.status} ${await linkResponse.text()}`);
  const link = (await linkResponse.json()) as { url: string };
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  const sample = setInterval(() => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  }, 10);
  const hash = createHash('sha256');
  const t0 = performance.now();
  const response = await fetch(`${base}${link.url}`, { headers });
  if (response.status !== 200 || !response.body) throw new Error(`the download: HTTP ${response.status} ${await response.text()}`);
  let firstByteMs = -1;
  let bytes = 0;
  let chunks = 0;
  // Read as a client writing to disk would: chunk by chunk, nothing kept but the hash.
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (firstByteMs < 0) firstByteMs = performance.now() - t0;
    bytes += chunk.length;
    chunks += 1;
    hash.update(chunk);
  }
  const ms = performance.now() - t0;
  clearInterval(sample);
  (globalThis as { gc?: () => void }).gc?.();
  const retained = process.memoryUsage().heapUsed - baseline.heapUsed;
  return {
    database: kind,
    format,
    lines,
    bytes,
    ms: Math.round(ms),
    firstByteMs: Math.round(firstByteMs),
    chunks,
    contentType: response.headers.get('content-type') ?? '',
    linesPerSecond: Math.round(lines / (ms / 1000)),
    baselineRssMb: mb(baseline.rss),
    peakRssAboveBaselineMb: mb(peakRss - baseline.rss),
    peakHeapAboveBaselineMb: mb(peakHeap - baseline.heapUsed),
    retainedHeapAboveBaselineMb: mb(retained),
    sha256: hash.digest('hex'),
  };
}

async function bench(kind: Result['database']): Promise<Result[]> {
  const database = await createTestDatabase(kind === 'pglite' ? {} : process.env);
  const system = await startSystem({
    databaseUrl: database.url,
    pglite: database.target.kind === 'pglite' ? database.target.client : undefined,
    ephemeralPorts: true,
    // The sandbox credentials (the operator's key); its settlements are November's, the bench's October.
    seed: true,
    logger: createLogger('bench', 'warn'),
    rateLimits: UNLIMITED,
    subgraphConfig: { finance: { consumeEvents: false, settlementCloseIntervalMs: 0 } },
  });
  const results: Result[] = [];
  try {
    const db = system.subgraphs.finance.database.db as Database<typeof schema>;
    let filled = 0;
    for (const size of SIZES) {
      const t0 = performance.now();
      await fill(db, size - filled, filled);
      console.log(`${kind}: ${size} lines in the database (${Math.round(performance.now() - t0)} ms to add ${size - filled})`);
      filled = size;
      for (const format of ['CSV', 'DATEV'] as const) results.push(await measure(system, kind, format, size));
    }
    // Same period, same bytes.
    const again = await measure(system, kind, 'CSV', filled);
    if (again.sha256 !== results.find((r) => r.format === 'CSV' && r.lines === filled)!.sha256) throw new Error('the export is not reproducible');
  } finally {
    await system.stop();
    await database.cleanup();
  }
  return results;
}

// BENCH_DATABASES=postgresql (or pglite) runs one database and keeps the other's results in the file.
const chosen = (process.env.BENCH_DATABASES ?? 'pglite,postgresql').split(',') as Result['database'][];
const out = new URL('./results/finance-export.json', import.meta.url);
const BENCHMARK = 'finance period export (CSV, DATEV EXTF), streamed over HTTP: gateway GET /v1/downloads/settlement-exports/{token} → finance, chunked';
const previous = (() => {
  try {
    const file = JSON.parse(readFileSync(out, 'utf8')) as { benchmark?: string; results?: Result[] };
    return file.benchmark === BENCHMARK ? (file.results ?? []) : [];
  } catch {
    return [];
  }
})();
const results: Result[] = [];
if (chosen.includes('pglite')) results.push(...(await bench('pglite')));
if (chosen.includes('postgresql')) {
  if (process.env.DATABASE_URL) results.push(...(await bench('postgresql')));
  else console.warn('DATABASE_URL is not set: PostgreSQL skipped');
}
const kept = previous.filter((r) => !results.some((n) => n.database === r.database));
const all = [...kept, ...results].sort((a, b) => (a.database === b.database ? 0 : a.database === 'pglite' ? -1 : 1));

console.table(all.map(({ sha256, contentType: _type, ...r }) => ({ ...r, sha256: sha256.slice(0, 12) })));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ benchmark: BENCHMARK, at: new Date().toISOString(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), linesPerSettlement: LINES_PER_SETTLEMENT, results: all }, null, 2)}\n`,
);
console.log(`wrote ${out.pathname}`);
