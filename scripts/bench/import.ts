/**
 * Bulk order import benchmark: 10,000 CSV rows through the commerce import path (parse, validate, commit in chunks
 * with order.created events and audit entries), on the embedded PGlite and, when DATABASE_URL is set, on PostgreSQL.
 * Then the same file again (every row a duplicate). Prints a table and writes scripts/bench/results/import.json.
 *
 *   pnpm exec tsx scripts/bench/import.ts [rows]
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pnpm exec tsx scripts/bench/import.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { count, eq } from 'drizzle-orm';
import { SANDBOX_MERCHANTS, createLogger } from '@ipay/platform';
import { createTestDatabase } from '@ipay/platform/testing';
import { createCommerceServer } from '@ipay/commerce';
import { orders, outbox } from '@ipay/commerce/src/db/schema.ts';
import { CSV_COLUMNS, createImportJob, parseImport, runImportJob } from '@ipay/commerce/src/app/imports.ts';

const ROWS = Number(process.argv[2] ?? 10_000);
const merchant = SANDBOX_MERCHANTS[0]!;

/** A realistic file: Dutch addresses, one or two items, every 50th row invalid (as merchants' exports are). */
function csv(rows: number): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (let i = 0; i < rows; i++) {
    const quantity = 1 + (i % 3);
    const unit = 995 + (i % 40) * 25;
    const shipping = i % 4 === 0 ? 0 : 495;
    const total = quantity * unit + shipping;
    const invalid = i % 50 === 49;
    lines.push(
      [
        `BENCH-${String(i).padStart(6, '0')}`,
        'EUR',
        `Customer ${i}`,
        invalid ? `customer${i}-at-example.com` : `customer${i}@example.com`,
        '+31612345678',
        `Customer ${i}`,
        `Keizersgracht ${1 + (i % 700)}`,
        i % 5 === 0 ? '2 hoog' : '',
        'Amsterdam',
        `10${String(10 + (i % 89)).padStart(2, '0')} AB`,
        '',
        'NL',
        `SKU-${i % 120}`,
        `Product ${i % 120}`,
        String(quantity),
        String(unit),
        String(shipping),
        '0',
        String(total),
      ].join(','),
    );
  }
  return lines.join('\n');
}

interface Result {
  database: 'pglite' | 'postgresql';
  rows: number;
  parseMs: number;
  importMs: number;
  rowsPerSecond: number;
  created: number;
  failed: number;
  rerunMs: number;
  rerunDuplicates: number;
  ordersInDb: number;
  outboxEvents: number;
}

async function bench(kind: 'pglite' | 'postgresql', content: string): Promise<Result> {
  const env = kind === 'pglite' ? {} : process.env;
  const database = await createTestDatabase(env);
  const logger = createLogger('bench', 'warn');
  const server = await createCommerceServer({ database: database.target, seed: true, logger, config: { consumeEvents: false, scheduler: { tickMs: 0 } } });
  // The relay would publish the outbox to the bus while we measure; the import itself is what is timed.
  await server.relay.stop();
  try {
    const mutate = <T>(work: Parameters<typeof server.runAsSystem<T>>[2]) => server.runAsSystem('bench', false, work);
    const run = async () => {
      const t0 = performance.now();
      const rows = parseImport('CSV', content);
      const t1 = performance.now();
      const job = await createImportJob(mutate, merchant.id, false, 'CSV', rows.length);
      const done = await runImportJob(server.database.db, mutate, job, rows, merchant.slug, logger);
      const t2 = performance.now();
      if (done.status !== 'COMPLETED') throw new Error(`import ${done.status}: ${done.failureReason}`);
      return { parseMs: t1 - t0, totalMs: t2 - t0, job: done };
    };
    const first = await run();
    const second = await run();
    const db = server.database.db;
    const [{ n: ordersInDb }] = (await db.select({ n: count() }).from(orders).where(eq(orders.source, 'IMPORT'))) as [{ n: number }];
    const [{ n: outboxEvents }] = (await db.select({ n: count() }).from(outbox).where(eq(outbox.type, 'order.created'))) as [{ n: number }];
    return {
      database: kind,
      rows: first.job.totalRows,
      parseMs: Math.round(first.parseMs),
      importMs: Math.round(first.totalMs),
      rowsPerSecond: Math.round(first.job.totalRows / (first.totalMs / 1000)),
      created: first.job.createdCount,
      failed: first.job.failedCount,
      rerunMs: Math.round(second.totalMs),
      rerunDuplicates: second.job.duplicateCount,
      ordersInDb: Number(ordersInDb),
      outboxEvents: Number(outboxEvents),
    };
  } finally {
    await server.stop();
    await database.cleanup();
  }
}

const content = csv(ROWS);
const results: Result[] = [await bench('pglite', content)];
if (process.env.DATABASE_URL) results.push(await bench('postgresql', content));
else console.warn('DATABASE_URL is not set: PostgreSQL skipped');

console.table(results);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const out = new URL('./results/import.json', import.meta.url);
writeFileSync(
  out,
  `${JSON.stringify({ benchmark: 'commerce bulk order import (CSV)', at: new Date().toISOString(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), fileBytes: Buffer.byteLength(content), results }, null, 2)}\n`,
);
console.log(`wrote ${out.pathname}`);
